"""Reachability on op graphs, iterative and near-linear (LLM graphs have many thousands of ops).

:class:`Reachability` condenses strongly connected components (iterative Tarjan), orders the
condensation topologically, and answers

- ``reaches(a, b)``: is there a path a → b? (a BFS pruned by topological position, memoised),
- ``ancestors_among(names)``: for each of ``names`` the subset of ``names`` it depends on
  (bitset propagation in topological order: O((V + E) · |names| / 64)).

Nothing here recurses, so a chain of 100k ops costs milliseconds, never a RecursionError.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable


class Reachability:
    """Paths in a directed graph given by edges ``(src, dst)`` (dst depends on src)."""

    def __init__(self, edges: Iterable[tuple[Hashable, Hashable]], nodes: Iterable[Hashable] = ()):
        succ: dict[Hashable, list[Hashable]] = {}
        for n in nodes:
            succ.setdefault(n, [])
        for a, b in edges:
            succ.setdefault(a, []).append(b)
            succ.setdefault(b, [])
        self.succ = succ
        index = {n: k for k, n in enumerate(succ)}
        isucc = [[index[b] for b in outs] for outs in succ.values()]
        order = self._kahn(isucc)
        if len(order) == len(isucc):  # a DAG (the usual case): every node is its own component
            self.comp = index
            self.members = [[n] for n in succ]
            self.csucc = [sorted(set(o)) if len(o) > 1 else o for o in isucc]
            self.order = order
        else:
            self.comp = self._components(succ)
            n_comp = max(self.comp.values(), default=-1) + 1
            self.members = [[] for _ in range(n_comp)]
            for node, c in self.comp.items():
                self.members[c].append(node)
            csucc: list[set[int]] = [set() for _ in range(n_comp)]
            for a, outs in succ.items():
                ca = self.comp[a]
                for b in outs:
                    cb = self.comp[b]
                    if ca != cb:
                        csucc[ca].add(cb)
            self.csucc = [sorted(x) for x in csucc]
            self.order = self._kahn(self.csucc)
        self.pos = [0] * len(self.members)
        for i, c in enumerate(self.order):
            self.pos[c] = i
        self._memo: dict[tuple[int, int], bool] = {}

    @staticmethod
    def _kahn(succ: list[list[int]]) -> list[int]:
        """Kahn's topological order of integer nodes (shorter than ``succ`` when there is a cycle)."""
        indeg = [0] * len(succ)
        for outs in succ:
            for b in outs:
                indeg[b] += 1
        queue = deque(c for c in range(len(succ)) if indeg[c] == 0)
        order: list[int] = []
        while queue:
            c = queue.popleft()
            order.append(c)
            for b in succ[c]:
                indeg[b] -= 1
                if indeg[b] == 0:
                    queue.append(b)
        return order

    @staticmethod
    def _components(succ: dict[Hashable, list[Hashable]]) -> dict[Hashable, int]:
        """Strongly connected components (iterative Tarjan): node -> component id."""
        index: dict[Hashable, int] = {}
        low: dict[Hashable, int] = {}
        on_stack: set[Hashable] = set()
        stack: list[Hashable] = []
        comp: dict[Hashable, int] = {}
        counter = 0
        n_comp = 0
        for root in succ:
            if root in index:
                continue
            work: list[tuple[Hashable, int]] = [(root, 0)]
            while work:
                v, i = work[-1]
                if i == 0:
                    index[v] = low[v] = counter
                    counter += 1
                    stack.append(v)
                    on_stack.add(v)
                outs = succ[v]
                while i < len(outs):
                    w = outs[i]
                    i += 1
                    if w not in index:
                        work[-1] = (v, i)
                        work.append((w, 0))
                        break
                    if w in on_stack:
                        low[v] = min(low[v], index[w])
                else:
                    work.pop()
                    if low[v] == index[v]:
                        while True:
                            w = stack.pop()
                            on_stack.discard(w)
                            comp[w] = n_comp
                            if w == v:
                                break
                        n_comp += 1
                    if work:
                        u = work[-1][0]
                        low[u] = min(low[u], low[v])
                    continue
        return comp

    def reaches(self, a: Hashable, b: Hashable) -> bool:
        """Whether a path of at least one edge leads from ``a`` to ``b``."""
        if a not in self.comp or b not in self.comp:
            return False
        ca, cb = self.comp[a], self.comp[b]
        if ca == cb:
            return len(self.members[ca]) > 1 or b in self.succ[a]
        if self.pos[ca] > self.pos[cb]:
            return False
        key = (ca, cb)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        limit = self.pos[cb]
        seen = {ca}
        queue = deque([ca])
        found = False
        while queue and not found:
            c = queue.popleft()
            for nxt in self.csucc[c]:
                if nxt == cb:
                    found = True
                    break
                if nxt not in seen and self.pos[nxt] < limit:
                    seen.add(nxt)
                    queue.append(nxt)
        if len(self._memo) < 1_000_000:
            self._memo[key] = found
        return found

    def connected(self, a: Hashable, b: Hashable) -> bool:
        """Whether a path joins ``a`` and ``b`` in either direction."""
        return self.reaches(a, b) or self.reaches(b, a)

    def all_connected(self, names: Iterable[Hashable]) -> bool:
        """Whether every pair of ``names`` is joined by a path (they lie on one chain).

        Sorted by topological position, the set is a chain iff each name reaches the next one.
        """
        known = [n for n in dict.fromkeys(names)]
        if any(n not in self.comp for n in known):
            return len(known) < 2
        known.sort(key=lambda n: self.pos[self.comp[n]])
        return all(self.reaches(x, y) for x, y in zip(known, known[1:], strict=False))

    def ancestors_among(self, names: Iterable[Hashable]) -> dict[Hashable, set[Hashable]]:
        """For each of ``names``: the names (of the same list) it transitively depends on."""
        wanted = [n for n in dict.fromkeys(names) if n in self.comp]
        bit = {n: 1 << k for k, n in enumerate(wanted)}
        own = [0] * len(self.members)
        for n, b in bit.items():
            own[self.comp[n]] |= b
        anc = [0] * len(self.members)  # bits of the wanted names strictly upstream of a component
        for c in self.order:
            carry = anc[c] | own[c]
            for nxt in self.csucc[c]:
                anc[nxt] |= carry
        out: dict[Hashable, set[Hashable]] = {}
        for n in wanted:
            c = self.comp[n]
            bits = anc[c]
            if len(self.members[c]) > 1:
                bits |= own[c]  # a cycle: its members depend on each other (and themselves)
            elif n in self.succ[n]:
                bits |= bit[n]
            out[n] = {m for m in wanted if bits & bit[m]}
        return out


__all__ = ["Reachability"]
