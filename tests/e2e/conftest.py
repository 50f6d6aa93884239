"""Start the real Streamlit server and a headless Debian Chromium (Playwright) for browser tests.

Every request that does not go to the local server is aborted and recorded, so the tests prove the
app works on a closed network. Screenshots go to ``screenshots/`` (see README).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from appserver import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, STEP_TIMEOUT_MS, running_app


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app started the way planners start it: ``streamlit run app.py`` on a free port."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium mangler ({CHROMIUM}); `bash dev test` installerer den.")
    store = tmp_path_factory.mktemp("scn") / "scenarios.sqlite"
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with running_app(store, log) as (url, _proc):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def blocked() -> list[str]:
    """URLs the page tried to fetch from outside the machine (all were aborted)."""
    return []


@pytest.fixture
def page(browser: Any, app_server: str, blocked: list[str]) -> Iterator[Any]:
    """A fresh browser session (own Streamlit session) at 1366×768 with outside requests blocked."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="nb-NO")

    def _route(route: Any) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", _route)
    pg = context.new_page()
    pg.set_default_timeout(STEP_TIMEOUT_MS)
    pg.goto(app_server)
    yield pg
    context.close()
