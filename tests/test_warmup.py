"""The server's start-up warm-up prepares exactly what the app's first page reads.

The page itself runs in Streamlit's own script runner (``AppTest``) in this process, so it
shares the per-server caches the warm-up filled; a key that differed between the two (e.g. a
sidebar default that is not :class:`AnalysisSettings`' default) would leave the warm-up
useless, and this test would see a second map document.
"""

from __future__ import annotations

import gc
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

from geo.workspace.settings import AnalysisSettings
from ui import state
from ui.frontend_files import FrontendFiles
from ui.warmup import warm_start, warm_up

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    """The warm-up freezes the collector's view of this test process too; undo it after."""
    yield
    gc.unfreeze()


def _map_documents() -> list[tuple[str, str]]:
    return [key for key in state._shared_views().views if key[0] == "map_document"]


def test_warm_up_fills_the_caches_the_first_page_reads(data_dir):
    state._shared_views().views.clear()
    assert warm_up() > 0
    warmed = _map_documents()
    assert len(warmed) == 1
    study, engine = state.load_engine(AnalysisSettings())
    assert state.load_engine(AnalysisSettings()) == (study, engine)  # cached, not rebuilt

    page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.session_state["cats"] == list(AnalysisSettings().categories)
    # the page drew the map the warm-up had built (same settings, same key)
    assert _map_documents() == warmed


def test_warm_up_leaves_the_long_lived_heap_out_of_every_runs_collection(data_dir):
    """Streamlit collects all generations after every run; the modules and caches are frozen."""
    gc.unfreeze()
    warm_up()
    frozen = gc.get_freeze_count()
    # the page's modules alone are ~200 000 objects; what is frozen is not searched again
    assert frozen > 100_000
    tracked_after = len(gc.get_objects())
    assert tracked_after < frozen / 10, (tracked_after, frozen)


def test_warm_up_failure_is_logged_not_raised(caplog):
    from ui import warmup

    # the warm-up logs to Streamlit's console logger, which does not pass records up
    warmup._LOG.addHandler(caplog.handler)
    try:
        bad = AnalysisSettings(boundary_version="finnes-ikke")
        assert warm_up(bad) >= 0
    finally:
        warmup._LOG.removeHandler(caplog.handler)
    assert "Oppvarming ved oppstart feilet" in caplog.text


def test_streamlit_run_serves_the_app_with_its_start_up_hook():
    """``streamlit run app.py`` finds the ``st.App`` (Streamlit's own discovery) and its hook."""
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"
    served = importlib.import_module("app").app
    assert served._user_lifespan is warm_start
    assert [m.cls for m in served._user_middleware] == [FrontendFiles]


_FIRST_RUN_COSTS = """
import sys
import streamlit.delta_generator as dg
def paid():
    return dg._use_warning_has_been_displayed, "streamlit.emojis" in sys.modules
before = paid()
from ui.warmup import warm_up
warm_up()
print(before, paid())
"""


def test_warm_up_pays_streamlits_one_time_costs_of_a_first_page(data_dir):
    """Streamlit's first element (a stack walk over every module) and its emoji catalogue.

    A fresh interpreter: in this test process other tests have drawn pages already.
    """
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_RUN_COSTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert done.stdout.split("\n")[0] == "(False, False) (True, True)", done.stdout + done.stderr


def test_a_shared_view_is_computed_once_while_others_wait():
    """Two sessions (or the warm-up and the first page) asking at once: one computes, one waits."""
    import threading
    import time

    from geo.workspace.session import Session

    calls = []

    def compute() -> list[int]:
        calls.append(1)
        time.sleep(0.3)  # long enough for the second caller to arrive while this one computes
        return [42]

    got: list[object] = []
    callers = [
        threading.Thread(
            target=lambda: got.append(state.remembered("test_view", ("k",), compute, Session()))
        )
        for _ in range(2)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(calls) == 1
    assert got[0] is got[1] == [42]
