"""Hostile op names (Rich markup, ANSI escapes) are shown verbatim in the TUI and never crash it."""

from __future__ import annotations

from htptui.tui.app import HtpApp
from htptui.tui.widgets.timeline import Timeline
from tests.conftest import meta_process, meta_thread, write_trace, x_event

EVIL_KERNEL = "q::[bold]Evil[/]\x1b[31mRed"
EVIL_QNN = "[/]Op[link=x]"


async def test_markup_and_ansi_names_render_verbatim(tmp_path) -> None:
    d = tmp_path / "evil"
    d.mkdir()
    ev = [
        x_event(EVIL_KERNEL, 512, 0, 100, qnn=EVIL_QNN),
        x_event(
            "q::Norm[/b]", 256, 50, 80, flags=["uses_hmx"], qnn="M[red]a", op_id=0x2000_0000_0017
        ),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 256, "Type: HMX"),
    ]
    write_trace(d / "chrometrace.json", ev)
    app = HtpApp(str(d))
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        timeline = app.query_one(Timeline)
        timeline.select([0], primary=0)
        await pilot.pause()
        for key in ("tab", "down", "enter", "r", "r", "r"):
            await pilot.press(key)
            await pilot.pause()
        assert "[bold]Evil[/]\\x1b[31mRed" in timeline.status_text  # shown, not executed
        assert EVIL_QNN in timeline.status_text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "[bold]Evil[/]" in svg.replace("&#160;", " ")


# --- the markup, escape and overflow classes of the hostile generator, driven in the TUI ----------

import html  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.hostile import generate  # noqa: E402

REAL = generate.REAL
QUIT_MARKUP = "[@click=app.quit]X[/]"


async def _loaded(pilot, app: HtpApp) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    for _ in range(30):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await pilot.pause()


def _screen_text(app: HtpApp) -> str:
    """The visible text of the screen (from the SVG screenshot), with entities resolved."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    return "\n".join(html.unescape(t).replace("\xa0", " ") for t in texts)


def _evil_dir(tmp_path: Path) -> Path:
    """The real sample with markup and escapes in every file-derived name, and a hostile file name."""
    d = generate.copy_real(tmp_path / "T[@click=app.quit]Z[b]")  # even the dir name
    p = d / "chrometrace_qnn_htp_analysis_summary.json"
    obj = json.loads(p.read_text())
    obj["model_id"] = QUIT_MARKUP
    obj["header"]["version"] = {"major": "[/]", "minor": generate.EVIL, "patch": 0}
    obj["data"]["htp_op_types"]["data"][0]["op"] = "[/bold red]T" + generate.EVIL
    obj["data"]["htp_op_instances"]["data"][0]["qnn_op"] = "[link=x]Q[/link]"
    obj["data"]["htp_op_instances"]["data"][0]["htp_op"] = "[/]H"
    p.write_text(json.dumps(obj, ensure_ascii=False))
    p = d / "chrometrace_runtrace.json"
    obj = json.loads(p.read_text())
    for ev in obj["traceEvents"]:
        if ev.get("ph") == "X":
            ev.setdefault("args", {})["graph_name"] = "[/]G[b]" + generate.EVIL
            ev["name"] = ev["name"] + "[/]"
    p.write_text(json.dumps(obj, ensure_ascii=False))
    p = d / "chrometrace.json"
    p.write_text(p.read_text().replace('"MatMul_3"', json.dumps("[/]M3" + generate.EVIL)))
    (d / "[b]x[link=y][@click=app.quit]q.json").write_text("garbage")  # a hostile file name
    (d / "expected.dag").write_text(f'Input -> "[/]{generate.EVIL}" -> MatMul_1\n')
    return d


async def test_markup_in_every_name_is_literal_and_inert(tmp_path: Path) -> None:
    """A model_id of [@click=app.quit]X[/] is shown as text; clicking it does not quit; q does."""
    d = _evil_dir(tmp_path)
    app = HtpApp(str(d))
    async with app.run_test(size=(160, 50)) as pilot:
        await _loaded(pilot, app)
        assert app.ready and app.load_error is None
        assert app.opt is not None and app.opt.qhas is not None
        screen = _screen_text(app)
        assert QUIT_MARKUP in screen  # the header shows the name literally
        await pilot.click("#header-line")
        await pilot.pause()
        assert app.is_running  # the "link" did nothing
        for key in ("2", "r", "r", "3", "4", "tab", "5", "ctrl+p", "escape", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.press("escape")
        assert not generate.unsafe_chars(_screen_text(app))
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_escapes_shown_visible_in_the_tui(tmp_path: Path) -> None:
    """Control, bidi and zero-width characters in names appear as \\x.. / \\u.... escapes."""
    d = _evil_dir(tmp_path)
    app = HtpApp(str(d))
    async with app.run_test(size=(200, 60)) as pilot:
        await _loaded(pilot, app)
        sid = app.opt.trace.strings.lookup("[/]M3" + generate.EVIL)  # type: ignore[union-attr]
        assert sid is not None  # the raw spelling still joins ...
        assert not generate.unsafe_chars(app.opt.trace.strings[sid])  # ... to the cleaned name
        names = [n for n in app.opt.trace.strings.names if n.startswith("[/]M3")]  # type: ignore[union-attr]
        assert names and "\\u202e" in names[0] and "\\x1b" in names[0]
        app.apply_filter(re.escape("[/]M3"))
        await pilot.pause()
        text = _screen_text(app)
        assert "[/]M3" in text and not generate.unsafe_chars(text)
        await pilot.press("q")


async def test_overflow_cases_load_and_quit(tmp_path: Path) -> None:
    """33,000 lanes, a huge core number and QHAS cycles of 1e30: the TUI loads, draws and quits."""
    d = tmp_path / "lanes"
    d.mkdir()
    ev = [generate._x("q::Op", 1000 + k, k * 3, 10, f"Op_{k % 40}", 0x1000_0000_0000 + k)
          for k in range(33_000)]  # fmt: skip
    ev += [
        generate._meta(0, "Core 0 Overview"),
        generate._meta(9, "Core 99999999999999999999 Overview"),
    ]
    ev += [generate._meta(0, "Type: HVX", 1000 + k) for k in range(33_000)]
    (d / "chrometrace.json").write_text(generate._trace_text(ev))
    q = generate.copy_real(tmp_path / "qhas-1e30")
    p = q / "chrometrace_qnn_htp_analysis_summary.json"
    obj = json.loads(p.read_text())
    obj["data"]["dominant_path_htp_0"]["data"][0]["start_cycle"] = 1e30
    obj["data"]["dominant_path_htp_0"]["data"][1]["end_cycle"] = 1e30
    obj["data"]["htp_op_instances"]["data"][0]["start_cycle"] = 1e30
    p.write_text(json.dumps(obj))
    for target in (d, q):
        app = HtpApp(str(target))
        async with app.run_test(size=(120, 40)) as pilot:
            await _loaded(pilot, app)
            assert app.ready and app.load_error is None, app.load_error
            for key in ("w", "w", "s", "0", "j", "j", ".", "1", "f", "d", "a"):
                await pilot.press(key)
            await pilot.pause()
            assert not generate.unsafe_chars(_screen_text(app))
            await pilot.press("q")
            await pilot.pause()
        assert not app.is_running


@pytest.mark.parametrize("art", ["chrometrace_qnn_htp_analysis_summary.json", "chrometrace_htp.json",
                                 "chrometrace_runtrace.json"])  # fmt: skip
async def test_deep_companion_degrades_its_pane(tmp_path: Path, art: str) -> None:
    """A deep (100k levels) companion artifact costs its pane, not the whole load."""
    d = generate.copy_real(tmp_path / "deep")
    (d / art).write_text('{"header": {}, "x": ' + generate.deep(100_000) + "}")
    app = HtpApp(str(d))
    async with app.run_test(size=(160, 50)) as pilot:
        await _loaded(pilot, app)
        assert app.ready and app.load_error is None
        assert app.opt is not None and app.opt.trace is not None and app.opt.errors
        await pilot.press("q")


async def test_export_refused_inside_the_trace_dir_and_after_cwd_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`e` from a subdirectory of the trace dir writes elsewhere; with the cwd deleted it says so."""
    d = generate.copy_real(tmp_path / "T")
    sub = d / "sub" / "deeper"
    sub.mkdir(parents=True)
    before = generate.tree_digest(d)
    monkeypatch.chdir(sub)
    app = HtpApp(str(d))
    async with app.run_test(size=(160, 50)) as pilot:
        await _loaded(pilot, app)
        dest = app.action_export("csv")
        assert dest is not None and d.resolve() not in dest.resolve().parents
        dest.unlink()
        assert generate.tree_digest(d) == before
        gone = tmp_path / "gone"
        gone.mkdir()
        monkeypatch.chdir(gone)
        os.rmdir(gone)
        assert app.action_export("json") is None  # a message, not a crash
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
    shutil.rmtree(d / "sub")


async def test_compare_mode_with_hostile_saved_report_names(tmp_path: Path) -> None:
    """Compare mode on saved reports whose names carry markup and escapes: literal, no crash."""
    from htptui.output.baseline import load_document
    from htptui.tui.compare import CompareApp

    doc = load_document(str(REAL))
    doc["name"] = QUIT_MARKUP + generate.EVIL
    doc["compare_basis"]["qnn_ops"][0]["name"] = "[/bold]" + generate.EVIL
    p = tmp_path / "evil.json"
    p.write_text(json.dumps(doc, ensure_ascii=False))
    app = CompareApp.from_paths(str(REAL), str(p))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        text = _screen_text(app)  # type: ignore[arg-type]
        assert QUIT_MARKUP in text and "\\x1b" in text and not generate.unsafe_chars(text)
        await pilot.press("q")
