"""Server start: prepare what the first page needs before the first planner asks for it.

``streamlit run app.py`` finds the ``st.App`` in ``app.py`` and serves it with its start-up hook
(the ASGI lifespan), :func:`warm_start`. The server answers at once; a background thread imports
the page's modules (about 2.5 s: pandas, geopandas, scipy, matplotlib, altair, folium) and fills
the per-server caches for the default settings (the sidebar's defaults, :class:`AnalysisSettings`):
the study and its distance engine, the what-if baseline and the default base map. The first page
finds them ready, or waits for the one computation under way, never starts a second one. It also
pays Streamlit's one-time costs of a process's first page (a stack walk over every loaded module
at the first element, the emoji catalogue at the first alert): the first page run 0.57 → 0.12 s.

Then it freezes the garbage collector's view of everything made so far (:func:`gc.freeze`): the
imported modules and these caches live as long as the server, and Streamlit collects every
generation after every run (``runner.postScriptGC``), which with ~220 000 long-lived objects in
the heap cost ~110–130 ms per run on a 2-core machine, on every click. Frozen, they are left out
of the search for cycles; what sessions make later is still collected after each run.

This module imports nothing heavy itself: it is imported when the server starts.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.logger import get_logger

if TYPE_CHECKING:
    from geo.workspace.settings import AnalysisSettings

__all__ = ["wait_for_imports", "warm_start", "warm_up"]

_LOG = get_logger(__name__)  # Streamlit's console log: the planner sees when the app is ready
_IMPORT_WAIT_S = 300.0  # a page waits this long for the start-up imports (a busy machine)

_started = threading.Event()  # the start-up hook ran in this process
_imported = threading.Event()  # … and its thread has imported the page (or failed to)


def warm_up(analysis: AnalysisSettings | None = None) -> float:
    """Import the page and fill the server caches for ``analysis``; seconds used.

    ``analysis`` defaults to the sidebar's defaults. A failure is logged, not raised: the page
    then computes (and reports) the same itself.
    """
    started = time.perf_counter()
    phases: dict[str, float] = {}
    try:
        # imported here, in the background: importing them is most of the server's start
        import ui.page  # noqa: F401  (every module the page uses)
        from geo.workspace.session import Session
        from geo.workspace.settings import AnalysisSettings
        from ui.map_tab import BaseMapChoice, base_map_document
        from ui.state import load_engine
    except Exception:  # the page imports the same and shows the real error
        _LOG.exception("Oppvarming ved oppstart: import feilet")
        return time.perf_counter() - started
    finally:
        _imported.set()
        phases["import"] = time.perf_counter() - started
    analysis = analysis or AnalysisSettings()
    try:
        study, engine = load_engine(analysis)
        phases["studie"] = time.perf_counter() - started - sum(phases.values())
        owner = Session()
        whatif = owner.whatif(study, engine, analysis)
        base_map_document(study, engine, whatif, analysis, BaseMapChoice(), owner)
        phases["kart"] = time.perf_counter() - started - sum(phases.values())
    except Exception:  # the page shows the real error to the planner; the server stays up
        _LOG.exception("Oppvarming ved oppstart feilet")
    # Streamlit's first element in a process runs a one-time check (is it a REPL?) that walks
    # ``inspect.stack()`` and, through it, the file of every loaded module (~0.25 s), and its
    # first alert (or emoji page icon) loads its emoji catalogue (~0.1 s). Paid here rather than
    # in the first planner's page; after the page's data, as a page already waiting pays them
    # itself. Outside a page run the alert goes nowhere; not ASCII, so the catalogue is read.
    st.info("Oppvarming før første side")
    gc.collect()  # what the warm-up left behind, before the rest is frozen
    gc.freeze()
    elapsed = time.perf_counter() - started
    _LOG.info(
        "Oppvarming ferdig på %.1f s (%s)",
        elapsed,
        ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()),
    )
    return elapsed


def wait_for_imports(timeout_s: float = _IMPORT_WAIT_S) -> None:
    """Let a page wait until the start-up thread has imported the modules (if one runs).

    Two threads importing the same packages at once can trip Python's import deadlock guard;
    the page imports after the warm-up thread, from the module cache.
    """
    if _started.is_set():
        _imported.wait(timeout_s)


@asynccontextmanager
async def warm_start(_app: Any) -> AsyncIterator[None]:
    """The server's start-up hook: warm up in the background, serve at once."""
    _started.set()
    threading.Thread(target=warm_up, name="oppvarming", daemon=True).start()
    yield None
