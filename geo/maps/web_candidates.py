"""The candidate sites on the interactive map: drawn with it, or as a layer added without a redraw."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geo import settings
from geo.data.services import located
from geo.geom import to_analysis_crs
from geo.maps._leaflet import (
    MARKER_PX,
    MarkerLayer,
    candidate_html,
    escaped_text,
    fan_offsets,
)

__all__ = [
    "candidate_group",
    "candidate_layer",
]


def candidate_layer(m: folium.Map, candidates: gpd.GeoDataFrame) -> int:
    """Draw the candidates on ``m`` as dashed rings (exports); returns how many were drawn."""
    placed = located(to_analysis_crs(candidates))
    if placed.empty:
        return 0
    ll = placed.to_crs(settings.DISPLAY_CRS).geometry
    names = placed["name"].tolist() if "name" in placed.columns else [None] * len(placed)
    ids = placed["id"].tolist() if "id" in placed.columns else [None] * len(placed)
    addresses = placed["address"].tolist() if "address" in placed.columns else [None] * len(placed)
    xy = np.column_stack([placed.geometry.x.to_numpy(), placed.geometry.y.to_numpy()])
    offsets = fan_offsets(xy, np.full(len(placed), float(MARKER_PX)))
    rows = []
    for i, (y, x) in enumerate(zip(ll.y.to_numpy(), ll.x.to_numpy(), strict=True)):
        name = escaped_text(names[i]) or escaped_text(ids[i]) or f"nr. {i + 1}"
        row: list[Any] = [
            round(float(y), 6),
            round(float(x), 6),
            0,
            name,
            escaped_text(addresses[i]),
        ]
        row += ["", ""]
        if offsets[i].any():
            row += [float(offsets[i, 0]), float(offsets[i, 1])]
        rows.append(row)
    style = {
        "html": candidate_html(),
        "size": MARKER_PX,
        "label": "",
        "prefix": "Kandidat: ",
        "cluster": "oc-cand",
    }
    MarkerLayer(rows, [style], name="Kandidatsteder").add_to(m)
    return len(rows)


def candidate_group(candidates: gpd.GeoDataFrame | None) -> folium.FeatureGroup:
    """The candidate sites as a layer of their own, for maps that add it without a redraw.

    The app hands it to ``st_folium(feature_group_to_add=…)``: a click that adds or moves a
    candidate then updates this layer in the browser while the rest of the map stays as it is.
    """
    group = folium.FeatureGroup(name="Kandidatsteder")
    if candidates is None or not len(candidates):
        return group
    placed = located(to_analysis_crs(candidates))
    ll = placed.to_crs(settings.DISPLAY_CRS).geometry
    names = placed["name"].tolist() if "name" in placed.columns else [None] * len(placed)
    for i, (y, x) in enumerate(zip(ll.y.to_numpy(), ll.x.to_numpy(), strict=True)):
        folium.Marker(
            [round(float(y), 6), round(float(x), 6)],
            icon=folium.DivIcon(
                html=candidate_html(),
                icon_size=(MARKER_PX, MARKER_PX),
                icon_anchor=(MARKER_PX // 2, MARKER_PX // 2),
                class_name="oc-icon",
            ),
            tooltip=f"Kandidat: {escaped_text(names[i]) or f'nr. {i + 1}'}",
        ).add_to(group)
    return group
