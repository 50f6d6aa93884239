"""Per-server caches and per-session state of the Streamlit app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.data.boundaries import load_delbydeler
from geo.data.datasets import find_dataset
from geo.data.drug_scenes import load_drug_scenes, place_drug_scenes
from geo.data.population import load_bydel_series
from geo.data.study import Study
from geo.data.zones import load_zone_set
from geo.distance import DistanceEngine
from geo.errors import DatasetMissingError
from geo.labels import safe_text
from geo.network.build import load_walk_network, network_dirs, network_sources, study_engine
from geo.network.graph import WalkNetwork
from geo.scenarios import ScenarioStore
from geo.workspace.session import Session
from geo.workspace.settings import AnalysisSettings

T = TypeVar("T")


@st.cache_resource(show_spinner="Laster grenser, befolkning og tjenester …")
def load_study(boundary_version: str, population_year: int | None = None) -> Study:
    """Reference data, loaded once per server and shared read-only by all sessions."""
    return Study.load(boundary_version=boundary_version, population_year=population_year)


@st.cache_resource(show_spinner="Forbereder avstandsberegning …")
def _load_engine(key: tuple[Any, ...]) -> tuple[Study, DistanceEngine]:
    analysis = AnalysisSettings(
        boundary_version=key[0],
        population_year=key[1],
        distance=key[2],
        speed_kmh=key[3],
        unreached=key[4],
        zone_set=key[5],
        study_area=key[6],
        area_bydeler=key[7],
    )
    study = load_study(analysis.boundary_version, analysis.population_year)
    if study.delbydeler is not None and (
        analysis.zone_set != "bydel" or analysis.study_area != "by"
    ):
        study = study.with_zones(
            load_zone_set(analysis.zone_set, study.delbydeler), analysis.area()
        )
    return study_engine(study, analysis.distance, analysis.speed_kmh, policy=analysis.unreached)


def load_engine(analysis: AnalysisSettings) -> tuple[Study, DistanceEngine]:
    """The study and its distance engine (network when present, else straight line with a note).

    Cached per server on the settings that change the engine only (not the threshold or the
    categories).
    """
    return _load_engine(analysis.engine_key())


@st.cache_resource(show_spinner=False)
def population_years() -> list[int]:
    """The years of SSB's bydel series in the data directory (newest last)."""
    return list(load_bydel_series(find_dataset("population_series")).attrs["years"])


@st.cache_resource(show_spinner=False)
def need_available() -> bool:
    """True when the social-assistance table for the need proxy is in the data directory."""
    try:
        find_dataset("need_indicators")
    except DatasetMissingError:
        return False
    return True


@st.cache_resource(show_spinner=False)
def load_delbydel_outlines() -> gpd.GeoDataFrame | None:
    """Delbydel polygons for the optional outline layer (``None`` when the file is missing)."""
    try:
        return load_delbydeler()
    except Exception:  # a missing optional layer must not stop the app
        return None


@st.cache_resource(show_spinner=False)
def drug_scenes() -> gpd.GeoDataFrame | None:
    """The named open drug scenes placed on OSM geometry (``None`` without the files)."""
    try:
        named = load_drug_scenes(find_dataset("open_drug_scenes"))
    except DatasetMissingError:
        return None
    return place_drug_scenes(named, network_sources(network_dirs()[0]))


@st.cache_resource(show_spinner=False)
def walk_network() -> WalkNetwork | None:
    """The walking network, loaded once per server (``None`` when there is none)."""
    return load_walk_network()


@st.cache_resource(show_spinner=False)
def scenario_store() -> ScenarioStore:
    """The shared scenario store (SQLite, safe for several sessions)."""
    return ScenarioStore()


_SHARED_VIEWS_MAX = 64


@dataclass
class _SharedViews:
    """Views shared by the sessions without own data, each computed by one of them only."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    views: dict[tuple[str, str], Any] = field(default_factory=dict)
    computing: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)


@st.cache_resource(show_spinner=False)
def _shared_views() -> _SharedViews:
    return _SharedViews()


def remembered(
    name: str, key: tuple[Any, ...], compute: Callable[[], T], owner: Session | None = None
) -> T:
    """A view computed once per key: shared by every session without own data, else per session.

    A session that has uploaded nothing sees the same numbers as any other with the same
    settings and candidates, so one planner's computation serves the next one's first look; a
    session asking while another computes the same view waits for it instead of computing it
    twice. ``owner`` is this browser session's state (the server's warm-up passes a fresh one).
    """
    owner = owner if owner is not None else session()
    if owner.data_version:
        return owner.remembered(name, (key, owner.data_version), compute)
    shared = _shared_views()
    full = (name, repr(key))  # settings hold lists; their repr is exact and hashable
    with shared.lock:
        if full in shared.views:
            return cast(T, shared.views[full])
        one_at_a_time = shared.computing.setdefault(full, threading.Lock())
    with one_at_a_time:
        with shared.lock:
            if full in shared.views:
                return cast(T, shared.views[full])
        value = compute()
        with shared.lock:
            if len(shared.views) >= _SHARED_VIEWS_MAX:
                shared.views.clear()
                shared.computing.clear()
            shared.views[full] = value
    return value


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


def show_static_table(
    frame: pd.DataFrame,
    key: str,
    formats: Mapping[str, Callable[[Any], str]],
    *,
    help_texts: Mapping[str, str] | None = None,
    height: int | None = None,
    total_row: bool = True,
) -> None:
    """A table as plain HTML in a keyed container: drawn at once, as text.

    The browser then needs none of Streamlit's grid code (1.2 MB, fetched and started on first
    use). Every cell goes through ``formats`` (by column) or ``str`` and is escaped
    (:func:`geo.labels.safe_text`): names may come from the planner's own files. Numbers are
    right-aligned; with ``height`` the table scrolls under a fixed header and first column.
    With ``total_row`` the last row (a total, e.g. the whole city) is bold.
    """
    help_texts = help_texts or {}
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    sticky = "position:sticky;background:#fff;"
    head = "".join(
        f'<th title="{safe_text(help_texts.get(c, ""))}" style="{sticky}top:0;'
        f"text-align:{'right' if c in numeric else 'left'};"
        f'{"left:0;z-index:2;" if k == 0 else "z-index:1;"}">{safe_text(c)}</th>'
        for k, c in enumerate(frame.columns)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td style="{_cell_style(k, c in numeric, sticky)}">'
            f"{safe_text(formats.get(c, str)(v))}</td>"
            for k, (c, v) in enumerate(zip(frame.columns, values, strict=True))
        )
        + "</tr>"
        for values in frame.itertuples(index=False, name=None)
    )
    scroll = f"max-height:{height}px;overflow:auto;" if height else "overflow-x:auto;"
    table_class = "oc-table oc-total" if total_row else "oc-table"
    with st.container(key=key):
        st.html(
            f"<style>{_TABLE_CSS}</style>"
            f'<div style="{scroll}"><table class="{table_class}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )


_TABLE_CSS = (
    ".oc-table{border-collapse:collapse;font-size:0.9rem;line-height:1.35}"
    ".oc-table th,.oc-table td{padding:0.3rem 0.6rem;border-bottom:1px solid #e4ddd0}"
    ".oc-table th{vertical-align:bottom;font-weight:600;border-bottom:2px solid #2a2859}"
    ".oc-total tbody tr:last-child td{font-weight:600}"
)
"""Borders and spacing like Streamlit's own tables; a total in the last row in bold."""


def _cell_style(position: int, is_number: bool, sticky: str) -> str:
    return ("text-align:right;white-space:nowrap;" if is_number else "") + (
        f"{sticky}left:0;white-space:nowrap;" if position == 0 else ""
    )
