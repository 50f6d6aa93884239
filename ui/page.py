"""The page: the sidebar and the lazy tabs, wired to the :mod:`geo` library.

Every number comes from the library; this module only places widgets. ``app.py`` runs
:func:`main` for every browser session.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from geo.analysis.whatif import WhatIf
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.workspace.settings import AnalysisSettings
from ui.compare_tab import compare_tab
from ui.export_tab import export_tab
from ui.help_tab import help_tab
from ui.leaflet_map import count_page_run
from ui.map_tab import apply_map_click, map_tab
from ui.scenario_tab import scenario_tab
from ui.sidebar import sidebar
from ui.state import load_engine, session, show_flashes
from ui.suggest_tab import suggest_tab

__all__ = ["main"]


def current_analysis(analysis: AnalysisSettings) -> tuple[Study, DistanceEngine, WhatIf]:
    """Study (with own services), engine and this session's what-if engine for the settings."""
    study, engine = load_engine(analysis)
    whatif = session().whatif(study, engine, analysis)
    return session().study(study), engine, whatif


@st.fragment
def map_panel(
    study: Study, engine: DistanceEngine, whatif: WhatIf, analysis: AnalysisSettings
) -> None:
    """The map and the candidate panel: a click on the map reruns only this part of the page."""
    started = time.perf_counter()
    apply_map_click(study, analysis)
    map_tab(study, engine, whatif, session().comparison(whatif, analysis), analysis)
    if os.environ.get("OSLO_COVERAGE_TIMING"):
        print("timing", {"kartpanel": round((time.perf_counter() - started) * 1000)}, flush=True)


def main() -> None:
    """The whole page: settings, flashes, the open tab and the server's time for the run."""
    st.set_page_config(page_title="Oslo-dekning – lavterskeltilbud", page_icon="🗺️", layout="wide")
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = time.perf_counter() - started - sum(timings.values())

    count_page_run()
    analysis = sidebar()
    show_flashes()
    study, engine, whatif = current_analysis(analysis)
    lap("innstillinger")
    comparison = session().comparison(whatif, analysis)
    lap("kandidater")
    st.title("Dekning av lavterskeltilbud i Oslo")
    if engine.kind != analysis.distance:
        st.info(engine.note)
    # lazy tabs: only the open tab runs, so a click on the map reruns the map tab only
    names = [
        "Kart og kandidater",
        "Sammenlign bydeler",
        "Forslag",
        "Eksport",
        "Scenarier",
        "Om målene",
    ]
    tabs = st.tabs(names, key="fane", on_change="rerun")
    panels = [
        lambda: map_panel(study, engine, whatif, analysis),
        lambda: compare_tab(study, engine, whatif, comparison, analysis),
        lambda: suggest_tab(study, engine, analysis),
        lambda: export_tab(study, whatif, comparison, analysis),
        lambda: scenario_tab(study, analysis),
        lambda: help_tab(analysis),
    ]
    for name, tab, panel in zip(names, tabs, panels, strict=True):
        if tab.open:
            with tab:
                panel()
            lap(name)
    lap("resten")
    total = time.perf_counter() - started
    st.sidebar.caption(
        f"Siden beregnet på {total * 1000:.0f} ms.",
        help="Tid for siste kjøring på serveren: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()),
    )
    if os.environ.get("OSLO_COVERAGE_TIMING"):
        print("timing", {k: round(v * 1000) for k, v in timings.items()}, flush=True)
