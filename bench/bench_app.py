"""Benchmark of the app as a planner uses it: the real Streamlit server driven in headless Chromium.

Not a test: prints the median and max over ``--runs`` runs (default 5) of each step.

* first page load after starting the server (a new server per run): page → map drawn, from
  the moment the server answers and from the moment the process was started;
* page load on a warm server (a new browser session per run, so nothing cached), and the same
  browser loading the page again (Streamlit's and Leaflet's files from its cache);
* a click on the map → the candidate panel shows the new candidate (the session's first click,
  which also brings the browser the table code, and the next one);
* switching to *Sammenlign bydeler* → the table is drawn (the session's first switch, which also
  brings the browser the table code, and the next one after going back to the map).

Run: ``.venv/bin/python bench/bench_app.py [--runs 5]`` (``bash dev bench`` runs it). Needs Debian's
``chromium`` (Playwright's own browser download is not used).
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    os.environ["OSLO_COVERAGE_TIMING"] = "1"  # the server logs its own time per run

    results: dict[str, list[float]] = {
        "first": [],
        "first_from_start": [],
        "warm": [],
        "returning": [],
        "click": [],
        "click_next": [],
        "compare": [],
        "compare_next": [],
    }
    server: dict[str, list[float]] = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for run in range(args.runs):  # a fresh server each run: the first load after start
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            started = time.perf_counter()
            with running_app(folder / "s.sqlite", folder / "log.txt") as (url, _proc):
                ready = time.perf_counter() - started
                context, page, seconds = _load(browser, url)
                results["first"].append(seconds)
                results["first_from_start"].append(ready + seconds)
                context.close()
                if run == 0:
                    sessions: list[Callable[[], None]] = []
                    for k in range(args.runs):
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
                        sessions.append(context.close)
                        del k
                    for close in sessions:
                        close()
                    server = _server_times(folder / "log.txt")
        browser.close()
    print("== App benchmark (real Streamlit server, headless Chromium) ==")
    _report("page load → map drawn (first load after start)", results["first"], 4.0)
    _report("  the same, from starting the server process", results["first_from_start"], 4.0)
    _report("page load → map drawn (warm server)", results["warm"], 1.5)
    _report("  the same, browser with its cache (reload)", results["returning"], 1.5)
    _report("click on the map → candidate panel updated", results["click"], 0.6)
    _report("  the next click in the same session", results["click_next"], 0.6)
    _report("switch to «Sammenlign bydeler» → table drawn", results["compare"], 0.8)
    _report("  the next switch (after going back to the map)", results["compare_next"], 0.8)
    print("server time per run in the same session (the rest is Streamlit and the browser):")
    for name, values in server.items():
        print(f"  {name:<46} median {statistics.median(values) * 1e3:6.0f} ms  (n={len(values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
