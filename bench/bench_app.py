"""Benchmark of the app as a planner uses it: the real Streamlit server driven in headless Chromium.

Not a test: prints the median and max over ``--runs`` runs (default 5) of each step.

A fresh server per run:

* its first page load: page → map drawn, from the moment the server answers and from the moment
  the process was started; and (another fresh server) the first page opened 5 s after the server
  answers, as a planner who starts the app and then opens the link;
* then a new browser session (nothing cached) on the now warm server, and the same browser
  loading the page again (Streamlit's and Leaflet's files from its cache);
* a click on the map → the candidate panel shows the new candidate (the session's first click,
  and the next one);
* switching to *Sammenlign bydeler* → the table is drawn (the session's first switch, and the
  next one after going back to the map).

``--baseline PATH`` drives another checkout (e.g. ``git worktree add /tmp/before <commit>``) the
same way, run by run in turn with this one, and prints the ratios: both see the same machine.

Run: ``.venv/bin/python bench/bench_app.py [--runs 5] [--baseline PATH]`` (``bash dev bench`` runs
it). Needs Debian's ``chromium`` (Playwright's own browser download is not used).
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the browser tests' server helper

from appserver import CHROMIUM, CHROMIUM_ARGS, MAP_FRAME, map_frame, running_app  # noqa: E402


def _map_drawn(page: Any, timeout_ms: float = 120_000) -> Any:
    page.wait_for_selector(MAP_FRAME, state="attached", timeout=timeout_ms)
    frame = map_frame(page)
    frame.locator("path.oc-bydel").first.wait_for(state="attached", timeout=timeout_ms)
    return frame


def _idle(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )


def _load(browser: Any, url: str) -> tuple[Any, Any, float]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nb-NO")
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    _map_drawn(page)
    return context, page, time.perf_counter() - start


def _reload(page: Any) -> float:
    """The same browser opens the app again: Streamlit's and Leaflet's files come from its cache."""
    start = time.perf_counter()
    page.reload()
    _map_drawn(page)
    return time.perf_counter() - start


def _click_to_panel(page: Any, k: int) -> float:
    frame = _map_drawn(page)
    _idle(page)
    box = frame.locator(".leaflet-container").bounding_box()
    # a plain mouse click at the spot: a locator click would add Playwright's own checks
    # (visibility, stability, scrolling; ~0.1 s) to what is measured
    x = box["x"] + box["width"] * (0.40 + 0.03 * k)
    y = box["y"] + box["height"] * 0.45
    start = time.perf_counter()
    page.mouse.click(x, y)
    page.wait_for_function(
        "(n) => { const t = document.querySelector('.st-key-cand_summary table');"
        " return t && t.textContent.includes('Kandidat K' + n); }",
        arg=k + 1,
        timeout=120_000,
    )
    return time.perf_counter() - start


def _switch_to_compare(page: Any) -> float:
    start = time.perf_counter()
    page.get_by_role("tab", name="Sammenlign bydeler").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('.st-key-compare_table table');"
        " return t && t.textContent.includes('Hele byen'); }",
        timeout=120_000,
    )
    return time.perf_counter() - start


def _switch_to_map(page: Any) -> None:
    page.get_by_role("tab", name="Kart og kandidater").click()
    _map_drawn(page)
    _idle(page)


def _server_times(log: Path) -> dict[str, list[float]]:
    """The app's own timing lines (``OSLO_COVERAGE_TIMING``): whole page runs and map panel runs."""
    out: dict[str, list[float]] = {"whole page run": [], "map panel run (fragment)": []}
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("timing {"):
            continue
        parts = ast.literal_eval(line.removeprefix("timing "))
        if set(parts) == {"kartpanel"}:
            out["map panel run (fragment)"].append(parts["kartpanel"] / 1e3)
        else:
            out["whole page run"].append(sum(parts.values()) / 1e3)
    return {k: v for k, v in out.items() if v}


def _report(name: str, values: list[float], goal: float) -> None:
    med, worst = statistics.median(values), max(values)
    verdict = "OK" if med <= goal else "OVER GOAL"
    print(
        f"{name:<48} median {med:6.2f} s  max {worst:6.2f} s  (n={len(values)}, goal ≤ {goal:g} s: {verdict})"
    )


_STEPS = {
    "first": ("page load → map drawn (first load after start)", 4.0),
    "first_from_start": ("  the same, from starting the server process", 4.0),
    "first_later": ("  the same, opened 5 s after the server answers", 4.0),
    "warm": ("page load → map drawn (warm server)", 1.5),
    "returning": ("  the same, browser with its cache (reload)", 1.5),
    "click": ("click on the map → candidate panel updated", 0.6),
    "click_next": ("  the next click in the same session", 0.6),
    "compare": ("switch to «Sammenlign bydeler» → table drawn", 0.8),
    "compare_next": ("  the next switch (after going back to the map)", 0.8),
}


_LATER_S = 5.0  # a planner who starts the app and opens the link a little later


def _first_load_later(browser: Any, root: Path, folder: Path) -> float:
    """Another fresh server, its first page opened :data:`_LATER_S` after it answers."""
    folder.mkdir()
    with running_app(folder / "s.sqlite", folder / "log.txt", root) as (url, _proc):
        time.sleep(_LATER_S)
        context, _page, seconds = _load(browser, url)
        context.close()
        return seconds


def _one_run(browser: Any, root: Path, folder: Path, results: dict[str, list[float]]) -> None:
    """A fresh server: its first page load, then one new session through every step."""
    folder.mkdir()
    results["first_later"].append(_first_load_later(browser, root, folder / "later"))
    started = time.perf_counter()
    with running_app(folder / "s.sqlite", folder / "log.txt", root) as (url, _proc):
        ready = time.perf_counter() - started
        context, page, seconds = _load(browser, url)
        results["first"].append(seconds)
        results["first_from_start"].append(ready + seconds)
        context.close()
        context, page, seconds = _load(browser, url)
        results["warm"].append(seconds)
        results["click"].append(_click_to_panel(page, 0))
        results["click_next"].append(_click_to_panel(page, 1))
        _idle(page)
        results["compare"].append(_switch_to_compare(page))
        _idle(page)
        _switch_to_map(page)
        results["compare_next"].append(_switch_to_compare(page))
        results["returning"].append(_reload(page))
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. a git worktree of the last release) driven the same way, "
        "run by run in turn with this one, so both see the same machine",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    os.environ["OSLO_COVERAGE_TIMING"] = "1"  # the server logs its own time per run
    targets = {"now": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    results: dict[str, dict[str, list[float]]] = {t: {k: [] for k in _STEPS} for t in targets}
    server: dict[str, dict[str, list[float]]] = {t: {} for t in targets}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for run in range(args.runs):
            for name, root in targets.items():  # in turn, so a busy moment hits both
                folder = Path(tmp) / f"{name}{run}"
                _one_run(browser, root, folder, results[name])
                for step, values in _server_times(folder / "log.txt").items():
                    server[name].setdefault(step, []).extend(values)
        browser.close()
    for name, root in targets.items():
        print(f"== App benchmark: {name} ({root}; real Streamlit server, headless Chromium) ==")
        for step, (label, goal) in _STEPS.items():
            _report(label, results[name][step], goal)
        print("server time per run (the rest is Streamlit and the browser):")
        for step, values in server[name].items():
            print(
                f"  {step:<46} median {statistics.median(values) * 1e3:6.0f} ms  (n={len(values)})"
            )
    if "baseline" in targets:
        print("== now / baseline (median ratio; below 1 is faster) ==")
        for step, (label, _goal) in _STEPS.items():
            ratio = statistics.median(results["now"][step]) / statistics.median(
                results["baseline"][step]
            )
            print(f"{label:<48} {ratio:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
