"""Per-server caches and per-session state of the Streamlit app."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.data.boundaries import load_delbydeler
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.network.build import study_engine
from geo.scenarios import ScenarioStore
from geo.workspace.session import Session


@st.cache_resource(show_spinner="Laster grenser, befolkning og tjenester …")
def load_study(boundary_version: str) -> Study:
    """Reference data, loaded once per server and shared read-only by all sessions."""
    return Study.load(boundary_version=boundary_version)


@st.cache_resource(show_spinner="Forbereder avstandsberegning …")
def load_engine(
    boundary_version: str, distance: str, speed_kmh: float
) -> tuple[Study, DistanceEngine]:
    """The study and its distance engine (network when present, else straight line with a note)."""
    return study_engine(load_study(boundary_version), distance, speed_kmh)


@st.cache_resource(show_spinner=False)
def load_delbydel_outlines() -> gpd.GeoDataFrame | None:
    """Delbydel polygons for the optional outline layer (``None`` when the file is missing)."""
    try:
        return load_delbydeler()
    except Exception:  # a missing optional layer must not stop the app
        return None


@st.cache_resource(show_spinner=False)
def scenario_store() -> ScenarioStore:
    """The shared scenario store (SQLite, safe for several sessions)."""
    return ScenarioStore()


def session() -> Session:
    """The working state of this browser session (candidates, own data, caches)."""
    if "session" not in st.session_state:
        st.session_state["session"] = Session()
    return st.session_state["session"]  # type: ignore[no-any-return]


def state() -> Any:
    """Widget-side state of this session (upload ids seen, address hits, last suggestion, export)."""
    ss = st.session_state
    ss.setdefault("seen_uploads", set())
    ss.setdefault("address_hits", [])
    ss.setdefault("suggestion", None)
    ss.setdefault("export_file", None)
    return ss


def flash(kind: str, text: str) -> None:
    """A message shown once, on the next run (survives ``st.rerun``)."""
    session().flash(kind, text)


def show_flashes() -> None:
    """Show the messages kept for this run."""
    for kind, text in session().take_messages():
        getattr(st, kind)(text)


def show_table(frame: pd.DataFrame, key: str, **kwargs: Any) -> None:
    """A sortable table in a keyed container (so tests and styles can find it); attrs dropped."""
    shown = frame.copy()
    shown.attrs = {}
    with st.container(key=key):
        st.dataframe(shown, **kwargs)
