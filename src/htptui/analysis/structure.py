"""Structure folding: QNN op names folded at their numeric indices into the model's tree.

An LLM's QNN op names spell its module path: ``model.layers.17.self_attn.q_proj.3`` (dotted, as
the converter keeps them) or ``_model_layers_17_self_attn_q_proj_3`` (the sanitised form, every
``.``/``/`` turned into ``_``). The structure level folds every numeric index into the component
before it, so all 28 layers and all heads share one node: ``model / layers.* / self_attn /
q_proj.*``; each node carries Σ DPC, busy, instances and its share of the graph's path over every op
below it, and the DPC split by resource (analysis/attribution.py).

The rule (documented limits at the end):

1. **Hard separators** ``.`` and ``/`` always split components. A name holding one is *dotted*:
   inside a component, ``_`` splits only around numeric words (``Add_1`` → ``Add``, ``1``), so
   ``self_attn`` stays one component. Every such multi-word component (``self_attn``, ``q_proj``)
   is *learned* as a compound word for the sanitised names of the same trace.
2. A name without hard separators is *sanitised*: ``_`` is the only separator, and which ``_``
   separates modules is decided by, in order: **numeric words are fold points** (``17``, ``3``:
   every index ends a component); **compound words** join (the built-in list of common module names
   — ``self_attn``, ``q_proj``, ``input_layernorm``, … — plus the learned ones plus the user's
   ``words``), longest first; then two lower-case words ``a_b`` (module names are snake_case, op
   types such as ``MatMul`` are not) join when, over every sanitised name of the trace, ``a`` is
   only ever followed by ``b``, ``b`` only ever preceded by ``a``, and ``b`` is never followed by
   an index (``lm_head``, ``act_fn``, ``embed_tokens`` without the list; ``model`` / ``layers``
   stay apart because ``layers`` is indexed).
3. A numeric component folds into the one before it (``layers`` + ``17`` → ``layers.*``; several
   indices in a row fold once; a leading index is ``*``). A last component ``C`` beside a sibling
   ``C.*`` joins it (the converter names the first of a kind ``Add``, the next ``Add_1``).
4. **User rules** (``--group REGEX``, ``[structure] rules`` in the config file) come first: the first
   rule whose regex matches a name (``re.search``) gives the path: one level per named group that
   matched (``layer=17 / block=self_attn``), then the op's full name as the leaf. Names no rule
   matches fall back to the automatic fold.

Names that do not fold at all (``Conv_0``-style generic graphs, ``Input``) give a flat or shallow
tree: a node per distinct prefix, never a lost op. Limits: a component with digits inside a word
(``layer1``, ``conv2d``) is not an index; a numbered sibling pair such as ``ln_1``/``ln_2`` folds into
``ln.*`` (that is what folding means); a sanitised compound unknown to the list and used with several
neighbours (``foo_proj``) splits into ``foo / proj``; paths deeper than :data:`MAX_DEPTH` keep the rest
of the name as one last component. Everything here is iterative and near-linear in the number of
ops (per-name work only over the distinct QNN op names; per-op work vectorised).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from htptui.analysis import attribution
from htptui.analysis.intervals import grouped_max_concurrency
from htptui.analysis.ranking import Ranking, op_figures, sorted_unique
from htptui.errors import InputError
from htptui.model._io import MAX_NAME_CHARS, clean_text
from htptui.model.chrometrace import OpTrace

FOLD = ".*"
PATH_SEP = "/"
MAX_DEPTH = 24
MAX_RULES = 64
MAX_RULE_CHARS = 1000
HARD_SEPARATORS = re.compile(r"[./]+")
#: common module names of Hugging Face / torch models that the sanitised form spells with ``_``
BUILTIN_WORDS: tuple[str, ...] = (
    "self_attn", "cross_attn", "attn_output", "q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj",
    "out_proj", "in_proj", "gate_proj", "up_proj", "down_proj", "gate_up_proj", "act_fn",
    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
    "post_feedforward_layernorm", "q_norm", "k_norm", "q_layernorm", "k_layernorm", "embed_tokens",
    "embed_positions", "lm_head", "rotary_emb", "final_layernorm", "layer_norm", "c_attn", "c_proj",
    "c_fc", "ln_f", "word_embeddings", "position_embeddings", "token_type_embeddings",
    "block_sparse_moe", "shared_expert", "shared_experts", "router_logits",
)  # fmt: skip


class StructureRuleError(InputError):
    """A bad grouping rule or config file (one line naming where it came from)."""


@dataclass(frozen=True)
class Rule:
    """One user grouping rule: a regex with named groups, and where it was given."""

    pattern: str
    source: str
    regex: re.Pattern[str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class StructureRules:
    """User grouping rules and extra compound words (none: the automatic fold alone)."""

    rules: tuple[Rule, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the cached structure ranking depends on."""
        return tuple(r.pattern for r in self.rules), self.words

    def __add__(self, other: StructureRules) -> StructureRules:
        return StructureRules(self.rules + other.rules, self.words + other.words)

    def describe(self) -> list[str]:
        """One line per rule and word list, for the report."""
        out = [f"{r.source}: {r.pattern}" for r in self.rules]
        if self.words:
            out.append("compound words: " + ", ".join(self.words))
        return out


NO_RULES = StructureRules()


def compile_rules(
    patterns: Iterable[Any], source: str, words: Iterable[Any] = ()
) -> StructureRules:
    """Compile grouping regexes (each needs a named group) and words; raises StructureRuleError."""
    rules: list[Rule] = []
    pats = list(patterns)
    if len(pats) > MAX_RULES:
        raise StructureRuleError(source, f"{len(pats)} grouping rules (at most {MAX_RULES})")
    for k, pat in enumerate(pats):
        where = source if len(pats) == 1 else f"{source}[{k}]"
        if not isinstance(pat, str):
            raise StructureRuleError(where, f"a grouping rule must be a string, not {pat!r:.60}")
        shown = clean_text(pat, max_chars=200)
        if len(pat) > MAX_RULE_CHARS:
            raise StructureRuleError(where, f"rule longer than {MAX_RULE_CHARS} characters")
        try:
            rx = re.compile(pat)
        except (re.error, RecursionError, OverflowError) as exc:
            raise StructureRuleError(where, f"{shown!r} is not a valid regex: {exc}") from None
        if not rx.groupindex:
            raise StructureRuleError(
                where, f"{shown!r} has no named group; name each level: (?P<layer>\\d+)"
            )
        rules.append(Rule(pat, where, rx))
    ws: list[str] = []
    for w in words:
        if not isinstance(w, str) or not re.fullmatch(r"[^\s./_]+(?:_[^\s./_]+)+", w):
            raise StructureRuleError(
                source, f"compound word {clean_text(str(w), max_chars=80)!r} must be words "
                "joined by '_' (such as attn_output)",
            )  # fmt: skip
        ws.append(w)
    return StructureRules(tuple(rules), tuple(ws))


def load_rules(patterns: Iterable[str] = (), config: bool = True) -> StructureRules:
    """``--group`` rules (first) and the config file's ``[structure]`` rules and words.

    Raises InputError (StructureRuleError for a bad rule), naming ``--group`` or the file.
    """
    rules = compile_rules(list(patterns), "--group")
    if config:
        from htptui.model.userconfig import read_structure_config

        cfg = read_structure_config()
        if cfg is not None:
            rules = rules + compile_rules(cfg.rules, f"{cfg.path}: [structure] rules", cfg.words)
    return rules


# ------------------------------------------------------------------ names → paths


def _is_index(word: str) -> bool:
    return word.isascii() and word.isdigit()


def _is_word(tok: str) -> bool:
    """A plain lower-case word (not an index, not a compound, not a CamelCase op type)."""
    return bool(tok) and tok[0].islower() and "_" not in tok and not _is_index(tok)


def _dotted_tokens(parts: list[str], learned: set[str]) -> list[str]:
    """Tokens of a dotted name: its components, ``_`` splitting only around numeric words."""
    out: list[str] = []
    for part in parts:
        run: list[str] = []
        for w in part.split("_"):
            if not w:
                continue
            if _is_index(w):
                if run:
                    out.append("_".join(run))
                    if len(run) > 1:
                        learned.add(out[-1])
                    run = []
                out.append(w)
            else:
                run.append(w)
        if run:
            out.append("_".join(run))
            if len(run) > 1:
                learned.add(out[-1])
    return out


def _compound_index(words: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """First word → compounds (as word tuples), longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for w in set(words):
        parts = tuple(p for p in w.split("_") if p)
        if len(parts) > 1:
            index.setdefault(parts[0], []).append(parts)
    for lst in index.values():
        lst.sort(key=len, reverse=True)
    return index


def _join_compounds(words: list[str], index: dict[str, list[tuple[str, ...]]]) -> list[str]:
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        for comp in index.get(w, ()):
            k = len(comp)
            if tuple(words[i : i + k]) == comp:
                out.append("_".join(comp))
                i += k
                break
        else:
            out.append(w)
            i += 1
    return out


_START, _END, _NUM = "\x00start", "\x00end", "\x00num"


def _merge_by_statistics(seqs: list[list[str]]) -> list[list[str]]:
    """Join ``a_b`` where a is only followed by b, b only preceded by a, and b never indexed."""
    succ: dict[str, set[str]] = {}
    pred: dict[str, set[str]] = {}
    indexed: set[str] = set()
    for seq in seqs:
        prev = _START
        for tok in seq:
            cur = _NUM if _is_index(tok) else tok
            s = succ.setdefault(prev, set())
            if len(s) < 2:
                s.add(cur)
            p = pred.setdefault(cur, set())
            if len(p) < 2:
                p.add(prev)
            if cur == _NUM and prev not in (_START, _NUM):
                indexed.add(prev)
            prev = cur
        s = succ.setdefault(prev, set())
        if len(s) < 2:
            s.add(_END)

    def joins(a: str, b: str) -> bool:
        return (
            _is_word(a)
            and _is_word(b)
            and succ.get(a) == {b}
            and pred.get(b) == {a}
            and b not in indexed
        )

    out = []
    for seq in seqs:
        merged: list[str] = []
        prev: str | None = None
        for tok in seq:
            if merged and prev is not None and joins(prev, tok):
                merged[-1] = f"{merged[-1]}_{tok}"
            else:
                merged.append(tok)
            prev = tok
        out.append(merged)
    return out


def _fold(tokens: Sequence[str]) -> tuple[str, ...]:
    """Tokens → path labels, every run of numeric tokens folded into the label before it."""
    path: list[str] = []
    prev_index = False
    for tok in tokens:
        if _is_index(tok):
            if not prev_index:
                if path:
                    path[-1] += FOLD
                else:
                    path.append("*")
            prev_index = True
            continue
        path.append(tok)
        prev_index = False
    if len(path) > MAX_DEPTH:
        path = [*path[: MAX_DEPTH - 1], ".".join(path[MAX_DEPTH - 1 :])]
    return tuple(path)


# a whole numeric token (between separators or the name's ends): the only part of a name whose
# value the rule never reads (an index only matters as "an index here")
_INDEX_TOKEN = re.compile(r"(?<![^_./])[0-9]+(?![^_./])")
# in a name with fewer than two dotted components only ``_`` delimits a word (``1.`` is one word)
_SOFT_INDEX_TOKEN = re.compile(r"(?<![^_])[0-9]+(?![^_])")


def _family_key(name: str) -> str:
    """``name`` with every token the folder reads as an index replaced by ``0``."""
    inner = name.strip("./")  # two or more dotted components ⇔ a separator between them
    dotted = "." in inner or "/" in inner
    return (_INDEX_TOKEN if dotted else _SOFT_INDEX_TOKEN).sub("0", name)


def fold_paths(
    names: Sequence[str],
    rules: StructureRules = NO_RULES,
    *,
    dedupe: bool = True,
    family_keys: Sequence[str] | None = None,
) -> list[tuple[str, ...]]:
    """The tree path of every name (see the module doc for the rule); never an empty path.

    Names that differ only in their numeric tokens (``q_proj_3`` / ``q_proj_7``, ``layers.17`` /
    ``layers.2``) get the same path, so each such family is folded once (``dedupe``; a user word
    holding a numeric token turns it off). ``dedupe=False`` folds name by name: the same result,
    tested. ``family_keys``: each name's ``_family_key``, when the caller keeps them (the trace's
    names are keyed once, not once per filter).
    """
    paths: list[tuple[str, ...] | None] = [None] * len(names)
    rest: list[int] = []
    for i, name in enumerate(names):
        for rule in rules.rules:
            m = rule.regex.search(name)
            if m is None:
                continue
            levels = [f"{k}={v}" for k, v in m.groupdict().items() if v]
            if levels:
                paths[i] = (*levels[: MAX_DEPTH - 1], name)
                break
        if paths[i] is None:
            rest.append(i)
    if dedupe and not any(_is_index(w) for word in rules.words for w in word.split("_")):
        family: dict[str, int] = {}
        of: list[int] = []
        for i in rest:
            key = _family_key(names[i]) if family_keys is None else family_keys[i]
            of.append(family.setdefault(key, len(family)))
        folded_once = _fold_names(list(family), rules)
        for i, k in zip(rest, of, strict=True):
            paths[i] = folded_once[k]
    else:
        for i, p in zip(rest, _fold_names([names[i] for i in rest], rules), strict=True):
            paths[i] = p
    out = [p if p else (names[i] or "(none)",) for i, p in enumerate(paths)]
    # a last component C beside a sibling C.* joins it (Add, Add_1, Add_2 → Add.*); decided once
    # per distinct path (a folded family is thousands of names on one path)
    distinct = set(out)
    folded = {p for p in distinct if p[-1].endswith(FOLD)}
    joined = {
        p: (*p[:-1], p[-1] + FOLD)
        for p in distinct
        if not p[-1].endswith(FOLD) and (*p[:-1], p[-1] + FOLD) in folded
    }
    return [joined.get(p, p) for p in out] if joined else out


def _fold_names(names: Sequence[str], rules: StructureRules = NO_RULES) -> list[tuple[str, ...]]:
    """The folded path of each name no rule matched (possibly empty); words learned over all."""
    paths: list[tuple[str, ...]] = [()] * len(names)
    learned: set[str] = set()
    soft: list[int] = []
    soft_words: list[list[str]] = []
    for i, name in enumerate(names):
        parts = [p for p in HARD_SEPARATORS.split(name) if p]
        if len(parts) > 1:
            paths[i] = _fold(_dotted_tokens(parts, learned))
        else:
            soft.append(i)
            soft_words.append([w for w in name.split("_") if w])
    if soft:
        index = _compound_index((*BUILTIN_WORDS, *learned, *rules.words))
        joined = [_join_compounds(ws, index) for ws in soft_words]
        for i, seq in zip(soft, _merge_by_statistics(joined), strict=True):
            paths[i] = _fold(seq)
    return paths


# ------------------------------------------------------------------ the ranking


@dataclass(eq=False)
class StructureRanking(Ranking):
    """Tree nodes as ranking rows, in pre-order (children by DPC, descending).

    Row ``r`` covers the rows ``[r, r + size[r])`` (its subtree) and the ops
    ``member_order[member_start[r] : member_end[r]]`` (every op at or below it); ``member_start``
    also indexes the ops *at* each node (``member_start[r]:member_start[r + 1]``), so
    :attr:`op_rows` gives each op its deepest node.
    """

    labels: list[str] = field(default_factory=list)
    depth: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    parent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # row, -1 = root
    size: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    member_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rules: StructureRules = NO_RULES

    def members(self, row: int) -> np.ndarray:
        """Every op at or below the node, in trace (= time) order."""
        lo, hi = int(self.member_start[row]), int(self.member_end[row])
        if int(self.size[row]) == 1:  # a leaf: its ops are stored in time order already
            return self.member_order[lo:hi]
        cache = self.__dict__.setdefault("_sorted_members", {})
        out = cache.get(row)
        if out is None:
            out = sorted_unique(self.member_order[lo:hi])  # the root's 320k ops: by a mask
            out.flags.writeable = False
            if len(cache) >= 64:
                cache.pop(next(iter(cache)))
            cache[row] = out
        return out  # type: ignore[no-any-return]

    def member_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Every node's range ``[lo, hi)`` of ``member_order``: the ops at or below it."""
        return self.member_start[: len(self)], self.member_end

    @cached_property
    def n_children(self) -> np.ndarray:
        """Children per row."""
        out = np.zeros(len(self), dtype=np.int64)
        roots = self.parent >= 0
        np.add.at(out, self.parent[roots], 1)
        return out

    @cached_property
    def roots(self) -> np.ndarray:
        """Rows without a parent, in pre-order."""
        return np.flatnonzero(self.parent < 0)

    def ancestors(self, row: int) -> list[int]:
        """Rows from the root down to ``row``'s parent."""
        out = []
        p = int(self.parent[row])
        while p >= 0:
            out.append(p)
            p = int(self.parent[p])
        return out[::-1]

    def tree_order(self, key: str = "dpc", descending: bool = True) -> np.ndarray:
        """Every row in pre-order with siblings sorted by ``key`` (a subtree stays contiguous)."""
        cache = self.__dict__.setdefault("_tree_orders", {})
        ck = (key, descending)
        if ck not in cache:
            if key == "name":
                flat = np.array(sorted(range(len(self)), key=lambda r: _natural(self.labels[r])),
                                dtype=np.int64)  # fmt: skip
                flat = flat[::-1] if descending else flat
            else:
                flat = self.sorted_by(key, descending)
            cache[ck] = _preorder(self.parent, flat)
        return cache[ck]  # type: ignore[no-any-return]

    def visible(self, order: np.ndarray, expanded: np.ndarray) -> np.ndarray:
        """The rows of ``order`` (a :meth:`tree_order`) whose ancestors are all expanded."""
        out: list[int] = []
        size = self.size
        i, n = 0, order.size
        order_l = order.tolist()
        while i < n:
            r = order_l[i]
            out.append(r)
            i += 1 if expanded[r] else int(size[r])
        return np.asarray(out, dtype=np.int64)

    def path_of(self, row: int) -> list[str]:
        """Labels from the root to ``row``."""
        return [self.labels[r] for r in (*self.ancestors(row), row)]


def _natural(text: str) -> list[Any]:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text) if t]


def _preorder(parent: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Pre-order of a forest whose siblings come in the order of ``flat`` (iterative)."""
    n = parent.size
    children: list[list[int]] = [[] for _ in range(n)]
    roots: list[int] = []
    par = parent.tolist()
    for r in flat.tolist():
        p = par[r]
        (roots if p < 0 else children[p]).append(r)
    out: list[int] = []
    stack = roots[::-1]
    while stack:
        v = stack.pop()
        out.append(v)
        stack.extend(reversed(children[v]))
    return np.asarray(out, dtype=np.int64)


def _up(values: np.ndarray, parent: np.ndarray, by_depth: list[np.ndarray], op: str) -> None:
    """Fold every node's value into its parent, deepest level first (in place)."""
    fn = {"add": np.add.at, "min": np.minimum.at, "max": np.maximum.at, "or": np.bitwise_or.at}[op]
    for sel in reversed(by_depth[1:]):
        fn(values, parent[sel], values[sel])


def rank(
    trace: OpTrace, mask: np.ndarray | None = None, rules: StructureRules = NO_RULES
) -> StructureRanking:
    """The structure level over the executed ops (optionally only those in ``mask``)."""
    idx = np.arange(len(trace)) if mask is None else np.flatnonzero(mask)
    dpc_all, graph_path, known_all, units_all, res_all = op_figures(trace)
    uniq, inverse = np.unique(trace.qnn_op[idx], return_inverse=True)
    shown, keys = _shown_names(trace)
    ids = uniq.tolist()
    names = [shown[u] for u in ids]
    paths = fold_paths(names, rules, family_keys=[keys[u] for u in ids])
    # the trie: one node per distinct path prefix (folded families share a path: each distinct
    # path is walked once)
    node_of: dict[tuple[int, str], int] = {}
    parent_l: list[int] = []
    label_l: list[str] = []
    depth_l: list[int] = []
    term_of: dict[tuple[str, ...], int] = {}
    term = np.empty(len(paths), dtype=np.int64)
    for g, path in enumerate(paths):
        hit = term_of.get(path)
        if hit is not None:
            term[g] = hit
            continue
        p = -1
        for d, lab in enumerate(path):
            node = node_of.get((p, lab))
            if node is None:
                node = node_of[(p, lab)] = len(parent_l)
                parent_l.append(p)
                label_l.append(lab)
                depth_l.append(d)
            p = node
        term[g] = term_of[path] = p
    n = len(parent_l)
    parent = np.asarray(parent_l, dtype=np.int64)
    depth = np.asarray(depth_l, dtype=np.int64)
    by_depth = [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1 if n else 0)]
    op_node = term[inverse] if idx.size else np.zeros(0, np.int64)
    ts, end, dur = trace.ts[idx], trace.end[idx], trace.dur[idx]
    d_idx = dpc_all[idx]

    def summed(weights: np.ndarray | None) -> np.ndarray:
        out = np.bincount(op_node, weights=weights, minlength=n)
        out = out.astype(
            np.float64 if weights is not None and weights.dtype.kind == "f" else np.int64
        )
        _up(out, parent, by_depth, "add")
        return out

    dpc = summed(d_idx.astype(np.float64)).astype(np.int64)
    busy = summed(dur.astype(np.float64)).astype(np.int64)
    count = summed(None)
    known = known_all[idx]
    unknown = summed((~known).astype(np.float64)).astype(np.int64)
    absent = summed((trace.dpc[idx] < 0).astype(np.float64)).astype(np.int64)
    res = attribution.group_split(op_node, d_idx, res_all[idx], n)
    for sel in reversed(by_depth[1:]):
        np.add.at(res, parent[sel], res[sel])
    # cycles per packet: Σ cycles ÷ Σ packets, additive over the subtree (as ranking.group_cpp)
    vals = trace.cpp[idx].astype(np.float64)
    pos = np.isfinite(vals) & (vals > 0)
    packets = np.where(pos, dur / np.where(pos, vals, 1.0), 0.0)
    cyc = summed(np.where(pos, dur, 0).astype(np.float64))
    pk = summed(packets)
    zero = summed((np.isfinite(vals) & (vals == 0)).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        cpp = np.where(pk > 0, cyc / np.maximum(pk, 1e-300), np.nan)
    cpp = np.where((pk <= 0) & (zero > 0), 0.0, cpp)
    units = np.zeros(n, dtype=np.int64)
    if idx.size:
        np.bitwise_or.at(units, op_node, units_all[idx])
    _up(units, parent, by_depth, "or")
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if idx.size:
        np.minimum.at(first, op_node, ts)
        np.maximum.at(last, op_node, end)
    _up(first, parent, by_depth, "min")
    _up(last, parent, by_depth, "max")
    conc = _subtree_concurrency(op_node, parent, depth, ts, end, n)
    # rows in pre-order, siblings by DPC descending (then first start, then label)
    flat = np.lexsort((np.arange(n), first, -dpc))
    pre = _preorder(parent, flat)
    row_of = np.empty(n, dtype=np.int64)
    row_of[pre] = np.arange(n, dtype=np.int64)
    subtree = np.ones(n, dtype=np.int64)  # nodes in each subtree, the node included
    _up(subtree, parent, by_depth, "add")
    op_row = row_of[op_node]
    morder = np.lexsort((ts, op_row))
    direct = np.bincount(op_row, minlength=n).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(direct)]).astype(np.int64)
    size = subtree[pre]
    rows = np.arange(n, dtype=np.int64)
    parent_row = np.where(parent[pre] >= 0, row_of[np.maximum(parent[pre], 0)], -1)
    labels = [label_l[v] for v in pre.tolist()]
    full: list[str] = []
    for r in range(n):  # pre-order: a parent's full name is known before its children's
        p = int(parent_row[r])
        full.append(labels[r] if p < 0 else f"{full[p]}{PATH_SEP}{labels[r]}")
    return StructureRanking(
        level="structure",
        names=full,
        dpc=dpc[pre],
        busy=busy[pre],
        instances=count[pre],
        span=np.where(count[pre] > 0, last[pre] - first[pre], 0),
        concurrency=conc[pre],
        cpp=cpp[pre],
        units=units[pre],
        first_ts=first[pre],
        dpc_total=graph_path,
        member_order=idx[morder],
        member_start=start,
        dpc_filtered_total=int(d_idx.sum()),
        dpc_exact=(unknown == 0)[pre],
        res_dpc=res[pre],
        dpc_absent=absent[pre],
        labels=labels,
        depth=depth[pre],
        parent=parent_row,
        size=size,
        member_end=start[np.minimum(rows + size, n)],
        rules=rules,
    )


def _shown_names(trace: OpTrace) -> tuple[list[str], list[str]]:
    """Every string of the trace as the structure level shows it (cleaned when interned;
    ``clean_text`` again only what is not; "(none)" for the empty name) and its family key,
    computed once per string table: each filter's structure only looks them up."""
    strings = trace.strings.names

    def compute() -> tuple[list[str], list[str]]:
        shown = [
            (s if s.isprintable() and len(s) <= MAX_NAME_CHARS else clean_text(s)) or "(none)"
            for s in strings
        ]
        return shown, [_family_key(s) for s in shown]

    return trace.derived("structure.shown_names", (strings,), compute)


def _subtree_concurrency(
    op_node: np.ndarray, parent: np.ndarray, depth: np.ndarray, ts: np.ndarray, end: np.ndarray,
    n: int,
) -> np.ndarray:  # fmt: skip
    """Max ops running at once at or below each node: one grouped pass per tree depth."""
    out = np.zeros(n, dtype=np.int64)
    if not op_node.size or not n:
        return out
    anc = op_node.copy()
    op_depth = depth[op_node]
    for d in range(int(depth.max()), -1, -1):
        sel = np.flatnonzero(op_depth >= d)
        if not sel.size:
            continue
        groups = anc[sel]
        res = grouped_max_concurrency(groups, ts[sel], end[sel], n)
        at_d = depth == d
        out[at_d] = res[at_d]
        move = sel[depth[anc[sel]] == d]
        anc[move] = np.maximum(parent[anc[move]], 0)
    return out
