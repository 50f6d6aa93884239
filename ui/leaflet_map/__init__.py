"""The app's map: a folium map kept in the browser, clicks sent back without delay.

``streamlit-folium`` sends the whole map script on every run and waits 250 ms after a click
before it reports it; here the map document goes to the browser once per setting (the
component reloads it only when it changed) and a click is reported at once. The candidate
markers are sent as plain coordinates and drawn on the map in place.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import streamlit as st
import streamlit.components.v1 as components

from geo.maps.web_candidates import CANDIDATE_MARKER, candidate_points

__all__ = ["PAGE_RUN_KEY", "count_page_run", "leaflet_map", "map_document"]

PAGE_RUN_KEY = "_page_run"
"""Session-state counter of whole-page runs (fragment runs do not count)."""

_FOLDER = str(Path(__file__).parent)


def count_page_run() -> None:
    """Count a whole-page run: the map component may have been drawn anew, page and all."""
    st.session_state[PAGE_RUN_KEY] = st.session_state.get(PAGE_RUN_KEY, 0) + 1


def map_document(m: folium.Map) -> tuple[str, str, str]:
    """``(html, map_name, map_id)`` of a folium map: its whole page, its JS name, a digest."""
    html = m.get_root().render()
    return html, m.get_name(), hashlib.sha256(html.encode()).hexdigest()[:16]


def leaflet_map(
    document: tuple[str, str, str],
    candidates: gpd.GeoDataFrame | None,
    *,
    key: str,
    height: int,
    view_key: str = "",
) -> dict[str, Any] | None:
    """Show the map document with the candidates on it; returns ``{"last_clicked": …}``.

    When the document changes, the planner's pan and zoom are kept if ``view_key`` (the area
    the map shows) is the same; a map of another area opens on its own extent. The value is
    also in ``st.session_state[key]``.
    """
    html, map_name, map_id = document
    # the page (~150 kB) goes to the browser once per page run: a fragment run (a click) finds
    # the frame still holding it; a frame that lost it asks, and gets it on the next run
    asked = st.session_state.get(key)
    asked = asked if isinstance(asked, dict) and asked.get("need_map") == map_id else None
    epoch = (map_id, st.session_state.get(PAGE_RUN_KEY, 0))
    resend = asked is not None and asked != st.session_state.get(f"_{key}_asked")
    if resend:
        st.session_state[f"_{key}_asked"] = asked
    send = resend or st.session_state.get(f"_{key}_sent") != epoch
    st.session_state[f"_{key}_sent"] = epoch
    # declared in the page run: Streamlit registers a component only inside a run, and this
    # module is first imported when the server starts (``app.py``'s ``st.App``), before any run
    component = components.declare_component("oslo_kart", path=_FOLDER)
    value = component(
        html=html if send else "",
        map_name=map_name,
        map_id=map_id,
        candidates=candidate_points(candidates),
        candidate_style=CANDIDATE_MARKER,
        height=height,
        view_key=view_key,
        key=key,
        default=None,
    )
    return value if isinstance(value, dict) else None
