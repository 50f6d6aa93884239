"""The server's start-up warm-up prepares exactly what the app's first page reads.

The page itself runs in Streamlit's own script runner (``AppTest``) in this process, so it
shares the per-server caches the warm-up filled; a key that differed between the two (e.g. a
sidebar default that is not :class:`AnalysisSettings`' default) would leave the warm-up
useless, and this test would see a second map document.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

from geo.workspace.settings import AnalysisSettings
from ui import state
from ui.warmup import warm_start, warm_up

ROOT = Path(__file__).resolve().parents[1]


def _map_documents() -> list[tuple[str, str]]:
    _lock, views = state._shared_views()
    return [key for key in views if key[0] == "map_document"]


def test_warm_up_fills_the_caches_the_first_page_reads(data_dir):
    _lock, views = state._shared_views()
    views.clear()
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


def test_warm_up_failure_is_logged_not_raised(caplog):
    bad = AnalysisSettings(boundary_version="finnes-ikke")
    assert warm_up(bad) >= 0
    assert "Oppvarming ved oppstart feilet" in caplog.text


def test_streamlit_run_serves_the_app_with_its_start_up_hook():
    """``streamlit run app.py`` finds the ``st.App`` (Streamlit's own discovery) and its hook."""
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"
    served = importlib.import_module("app").app
    assert served._user_lifespan is warm_start
