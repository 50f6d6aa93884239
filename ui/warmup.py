"""Server start: prepare what the first page needs before the first planner asks for it.

``streamlit run app.py`` finds the ``st.App`` in ``app.py`` and serves it with its start-up hook
(the ASGI lifespan), which runs :func:`warm_up` in the background: the study and its distance
engine for the default settings (the sidebar's defaults, :class:`AnalysisSettings`), the
what-if engine's baseline and the default base map. They land in the same per-server caches the
pages read, so the first page load finds them ready (or waits for the one computation under
way, never a second one).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from geo.workspace.session import Session
from geo.workspace.settings import AnalysisSettings
from ui.map_tab import BaseMapChoice, base_map_document
from ui.state import load_engine

__all__ = ["warm_start", "warm_up"]

_LOG = logging.getLogger("oslo_coverage.warmup")


def warm_up(analysis: AnalysisSettings | None = None) -> float:
    """Fill the server caches for ``analysis`` (default: the sidebar's defaults); seconds used.

    A failure is logged, not raised: the page then computes (and reports) the same itself.
    """
    started = time.perf_counter()
    analysis = analysis or AnalysisSettings()
    try:
        study, engine = load_engine(analysis)
        owner = Session()
        whatif = owner.whatif(study, engine, analysis)
        base_map_document(study, engine, whatif, analysis, BaseMapChoice(), owner)
    except Exception:  # the page shows the real error to the planner; the server stays up
        _LOG.exception("Oppvarming ved oppstart feilet")
    elapsed = time.perf_counter() - started
    _LOG.info("Oppvarming ferdig på %.1f s", elapsed)
    return elapsed


@asynccontextmanager
async def warm_start(_app: Any) -> AsyncIterator[None]:
    """The server's start-up hook: warm the caches in the background, serve at once."""
    threading.Thread(target=warm_up, name="oppvarming", daemon=True).start()
    yield None
