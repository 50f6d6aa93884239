"""A planner's candidate sites: add, move, rename, remove; as stored in a scenario."""

from __future__ import annotations

import re
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings

__all__ = [
    "CANDIDATE_COLUMNS",
    "MAX_CANDIDATES",
    "add_candidate",
    "candidates_from_sites",
    "clean_name",
    "empty_candidates",
    "move_candidate",
    "remove_candidates",
    "rename_candidate",
    "with_candidate_columns",
]


CANDIDATE_COLUMNS = ["id", "name", "category", "source", "coord_quality", "geometry"]
"""Columns of a candidate set (EPSG:25832 points); ``coord_quality`` as in the service registry
(``fiktiv`` for the example sites, ``brukeroppgitt`` for a point a planner set)."""


MAX_CANDIDATES = 12
"""More than this side by side is unreadable; the app says so instead of adding more."""


_NAME_MAX = 80


def empty_candidates() -> gpd.GeoDataFrame:
    """An empty candidate set."""
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS[:-1]},
        geometry=gpd.GeoSeries([], crs=settings.ANALYSIS_CRS),
        crs=settings.ANALYSIS_CRS,
    )


def clean_name(text: object, fallback: str) -> str:
    """A candidate/scenario name without control characters, trimmed to a readable length."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(text or "")).strip()
    return name[:_NAME_MAX] or fallback


def _next_id(candidates: gpd.GeoDataFrame) -> str:
    used = set(candidates["id"].astype(str)) if len(candidates) else set()
    n = 1
    while f"K{n}" in used:
        n += 1
    return f"K{n}"


def add_candidate(
    candidates: gpd.GeoDataFrame,
    x: float,
    y: float,
    area: gpd.GeoDataFrame,
    name: str | None = None,
    category: str = "brukerrom",
    source: str = "klikk i kartet",
    quality: str = "brukeroppgitt",
) -> gpd.GeoDataFrame:
    """Return ``candidates`` with one more point (EPSG:25832).

    ``quality`` is the point's ``coord_quality`` (``fiktiv`` keeps an example labelled so).

    Raises
    ------
    ValueError
        With a bokmål message when the point is outside ``area`` (the zones of the analysis:
        Oslo's bydeler, or a study area), not finite, or when
        :data:`MAX_CANDIDATES` is reached.

    """
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError("Koordinatene er ikke tall.")
    if len(candidates) >= MAX_CANDIDATES:
        raise ValueError(
            f"Det er allerede {MAX_CANDIDATES} kandidater; fjern noen før du legger til flere."
        )
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=settings.ANALYSIS_CRS)
    if not _inside(point, area):
        raise ValueError(
            f"Punktet (Ø {x:.0f}, N {y:.0f}) ligger utenfor Oslos bydeler eller studieområdet "
            "(Marka og fjorden hører ikke til noen bydel i grensesettet)."
        )
    new_id = _next_id(candidates)
    row = gpd.GeoDataFrame(
        {
            "id": [new_id],
            "name": [clean_name(name, f"Kandidat {new_id}")],
            "category": [category],
            "source": [source],
            "coord_quality": [quality],
        },
        geometry=point.values,
        crs=settings.ANALYSIS_CRS,
    )
    if not len(candidates):
        return row
    return gpd.GeoDataFrame(
        pd.concat([with_candidate_columns(candidates), row], ignore_index=True),
        crs=settings.ANALYSIS_CRS,
    )


def with_candidate_columns(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The candidates with exactly :data:`CANDIDATE_COLUMNS` (a missing quality is ``brukeroppgitt``).

    A scenario stored before ``coord_quality`` was kept has no such column.
    """
    out = candidates.copy()
    if "coord_quality" not in out.columns:
        out["coord_quality"] = "brukeroppgitt"
    return gpd.GeoDataFrame(out[CANDIDATE_COLUMNS], geometry="geometry", crs=candidates.crs)


def candidates_from_sites(
    sites: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    area: gpd.GeoDataFrame,
    category: str,
    source: str,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Append located rows of an uploaded candidate file (or suggestions) to ``existing``.

    Returns the new set and bokmål messages for rows that could not be added.
    """
    out = existing
    messages: list[str] = []
    sites = sites.to_crs(settings.ANALYSIS_CRS) if sites.crs else sites
    for position, (_, row) in enumerate(sites.iterrows(), start=1):
        geom = row.geometry
        label = row.get("name") if isinstance(row.get("name"), str) else None
        if geom is None or geom.is_empty:
            messages.append(f"Rad {position}: mangler koordinater.")
            continue
        try:
            quality = str(row.get("coord_quality") or "brukeroppgitt")
            kind = str(row.get("category") or category)
            out = add_candidate(out, geom.x, geom.y, area, label, kind, source, quality)
        except ValueError as exc:
            messages.append(f"Rad {position} ({label or 'uten navn'}): {exc}")
    return out, messages


def rename_candidate(candidates: gpd.GeoDataFrame, cand_id: str, name: str) -> gpd.GeoDataFrame:
    """Return a copy with one candidate renamed."""
    out = candidates.copy()
    out.loc[out["id"] == cand_id, "name"] = clean_name(name, str(cand_id))
    return out


def remove_candidates(candidates: gpd.GeoDataFrame, ids: Iterable[str]) -> gpd.GeoDataFrame:
    """Return a copy without the given candidate ids."""
    drop = set(ids)
    return candidates[~candidates["id"].isin(drop)].reset_index(drop=True)


def move_candidate(
    candidates: gpd.GeoDataFrame, cand_id: str, x: float, y: float, area: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Return a copy with one candidate moved (must stay inside Oslo)."""
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=settings.ANALYSIS_CRS)
    if not _inside(point, area):
        raise ValueError("Det nye punktet ligger utenfor Oslos bydeler eller studieområdet.")
    out = candidates.copy()
    mask = (out["id"] == cand_id).to_numpy()
    out.loc[mask, "geometry"] = point.iloc[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.ANALYSIS_CRS)


def _inside(point: gpd.GeoSeries, area: gpd.GeoDataFrame) -> bool:
    """True when the point lies in (or on the edge of) one of the polygons of ``area``."""
    polygons = area.to_crs(point.crs) if area.crs != point.crs else area
    hits, _ = polygons.sindex.query(point.values, predicate="intersects")
    return bool(len(hits))
