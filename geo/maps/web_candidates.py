"""The candidate sites on the interactive map: drawn with it, or sent to a map already shown."""

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
    "CANDIDATE_MARKER",
    "candidate_layer",
    "candidate_points",
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
        "html": CANDIDATE_MARKER["html"],
        "size": MARKER_PX,
        "label": "",
        "prefix": CANDIDATE_MARKER["prefix"],
        "cluster": "oc-cand",
    }
    MarkerLayer(rows, [style], name="Kandidatsteder").add_to(m)
    return len(rows)


def candidate_points(candidates: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    """The candidates as ``{"lat", "lon", "name"}`` (WGS 84, HTML-escaped name) for a live map.

    The app's map draws these on the map already in the browser, so a click that adds or
    moves a candidate does not redraw the map.
    """
    if candidates is None or not len(candidates):
        return []
    placed = located(to_analysis_crs(candidates))
    ll = placed.to_crs(settings.DISPLAY_CRS).geometry
    names = placed["name"].tolist() if "name" in placed.columns else [None] * len(placed)
    return [
        {
            "lat": round(float(point.y), 6),
            "lon": round(float(point.x), 6),
            "name": escaped_text(names[i]) or f"nr. {i + 1}",
        }
        for i, point in enumerate(ll)
    ]


CANDIDATE_MARKER = {
    "html": candidate_html(),
    "class_name": "oc-icon",
    "size": MARKER_PX,
    "prefix": "Kandidat: ",
}
"""How a live map draws each candidate: the same ring as :func:`candidate_layer`."""
