"""The candidate sites on the interactive map: drawn with it, or sent to a map already shown."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geo import settings
from geo.data.services import located
from geo.geom import to_analysis_crs, xy_of
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


def _placed_points(candidates: gpd.GeoDataFrame | None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Located candidates: their EPSG:25832 coordinates and, per candidate, what a map shows.

    ``lat``/``lon`` in WGS 84; ``name`` HTML-escaped (the id, else ``nr. k``, when missing);
    ``address`` HTML-escaped ("" when missing).
    """
    if candidates is None or not len(candidates):
        return np.empty((0, 2)), []
    placed = located(to_analysis_crs(candidates))
    ll = placed.to_crs(settings.DISPLAY_CRS).geometry

    def column(name: str) -> list[Any]:
        return placed[name].tolist() if name in placed.columns else [None] * len(placed)

    names, ids, addresses = column("name"), column("id"), column("address")
    points = [
        {
            "lat": round(float(point.y), 6),
            "lon": round(float(point.x), 6),
            "name": escaped_text(names[i]) or escaped_text(ids[i]) or f"nr. {i + 1}",
            "address": escaped_text(addresses[i]),
        }
        for i, point in enumerate(ll)
    ]
    return xy_of(placed), points


def candidate_layer(m: folium.Map, candidates: gpd.GeoDataFrame) -> int:
    """Draw the candidates on ``m`` as dashed rings (exports); returns how many were drawn."""
    xy, points = _placed_points(candidates)
    if not points:
        return 0
    offsets = fan_offsets(xy, np.full(len(points), float(MARKER_PX)))
    rows = []
    for point, offset in zip(points, offsets, strict=True):
        row: list[Any] = [point["lat"], point["lon"], 0, point["name"], point["address"], "", ""]
        if offset.any():
            row += [float(offset[0]), float(offset[1])]
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
    """The candidates as ``{"lat", "lon", "name", "address"}`` (WGS 84, escaped) for a live map.

    The app's map draws these on the map already in the browser, so a click that adds or
    moves a candidate does not redraw the map.
    """
    return _placed_points(candidates)[1]


CANDIDATE_MARKER = {
    "html": candidate_html(),
    "class_name": "oc-icon",
    "size": MARKER_PX,
    "prefix": "Kandidat: ",
}
"""How a live map draws each candidate: the same ring as :func:`candidate_layer`."""
