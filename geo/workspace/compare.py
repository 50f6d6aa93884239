r"""What candidate sites change: the what-if engine of one analysis and the side-by-side comparison.

The Streamlit app keeps one :class:`Workspace`-style state per browser session and calls the
functions here; everything is plain Python, so the same analysis runs from tests and scripts.

Flow::

    AnalysisSettings ─┐
    Study + engine ───┼─► build_whatif() ─► WhatIf (baseline table, instant scenarios)
    user weights ─────┘                        │
    candidates (GeoDataFrame) ─────────────────┴─► compare_candidates() ─► CandidateComparison

For each candidate :math:`c` alone and for all candidates together the per-bydel table is
recomputed by :class:`geo.whatif.WhatIf` (bounded, incremental on a network); the side-by-side
summary reports, per candidate, the residents (or user-data weight) newly within the threshold

.. math::

    \Delta R_c = \sum_b \left( R^{c}_b - R^{0}_b \right)

and which bydeler gain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.provenance import study_provenance
from geo.analysis.scenario_result import ScenarioResult
from geo.analysis.whatif import WhatIf
from geo.data.boundaries import assign_zone
from geo.data.services import located
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.geom import xy_of
from geo.names import CITY_CODE
from geo.network.isochrones import service_areas
from geo.workspace.settings import AnalysisSettings

__all__ = [
    "CandidateComparison",
    "areas_around_sites",
    "build_whatif",
    "compare_candidates",
    "located_sites",
]


def build_whatif(
    study: Study,
    engine: DistanceEngine,
    analysis: AnalysisSettings,
    weights: np.ndarray | None = None,
) -> WhatIf:
    """The what-if engine for one analysis: baseline table and instant scenarios."""
    demand = study.demand
    if weights is not None:
        demand = demand.assign(weight=np.asarray(weights, dtype=float))
    # weights without a named basis are user data
    basis = "innbyggere" if weights is None else analysis.basis_kind
    basis = "brukerdata" if weights is not None and basis == "innbyggere" else basis
    attrs = study_provenance(study, engine, basis)
    return WhatIf(
        engine,
        demand,
        study.services,
        study.zones,
        categories=list(analysis.categories),
        threshold_m=analysis.threshold_m,
        walk_speed_kmh=analysis.speed_kmh,
        table_attrs=attrs,
    )


@dataclass
class CandidateComparison:
    """What candidates change, alone and together.

    Attributes
    ----------
    summary
        One row per candidate (and ``Alle sammen``): ``id``, ``name``, ``bydel``,
        ``new_within`` (residents/weight newly within the threshold), ``share_before``,
        ``share_after`` (whole city), ``median_before``, ``median_after`` (whole city, metres),
        ``gaining_bydeler`` (text), ``nearest_existing_m`` (straight line to the nearest site of
        the chosen categories).
    gain_by_zone
        Newly within the threshold per bydel (rows) and candidate (columns, by name).
    combined
        The scenario with all candidates added (its table is the "with candidates" table).
    elapsed_s
        Seconds for all scenarios.

    """

    summary: pd.DataFrame
    gain_by_zone: pd.DataFrame
    combined: ScenarioResult | None
    elapsed_s: float = 0.0
    results: dict[str, ScenarioResult] = field(default_factory=dict)


def _city(table: pd.DataFrame, column: str) -> float:
    row = table.loc[table["zone_code"] == CITY_CODE, column]
    return float(row.iloc[0]) if len(row) else float("nan")


def _gaining(diff: pd.DataFrame) -> str:
    rows = diff[(diff["zone_code"] != CITY_CODE) & (diff["d_residents_within_threshold"] > 0.5)]
    rows = rows.sort_values("d_residents_within_threshold", ascending=False)
    return ", ".join(rows["zone"].astype(str)) or "ingen"


def compare_candidates(
    whatif: WhatIf,
    candidates: gpd.GeoDataFrame,
    category: str = "brukerrom",
    cache: dict[Any, ScenarioResult] | None = None,
) -> CandidateComparison:
    """Per candidate alone, and all together, the change from today's services.

    Parameters
    ----------
    whatif
        From :func:`build_whatif`.
    candidates
        Candidate points, EPSG:25832 (``id``, ``name``).
    category
        Category the candidates are counted as.
    cache
        Scenario results by site coordinates, kept by the caller for one ``whatif``: after a
        candidate is moved only its own scenario (and the combined one) is recomputed.

    """
    import time

    cache = {} if cache is None else cache

    def _scenario(points: np.ndarray) -> ScenarioResult:
        key = (category, tuple(np.round(points, 1).ravel().tolist()))
        if key not in cache:
            cache[key] = whatif.add(points, category)
        return cache[key]

    start = time.perf_counter()
    base = whatif.baseline
    codes = base["zone_code"].tolist()
    names = base["zone"].tolist()
    gain = pd.DataFrame({"zone_code": codes, "zone": names})
    zone_names = dict(zip(whatif.zones["zone_code"], whatif.zones["zone"], strict=True))
    rows: list[dict[str, Any]] = []
    results: dict[str, ScenarioResult] = {}
    xy = xy_of(candidates)
    site_xy = located(whatif.services, whatif.categories)
    existing = np.column_stack([site_xy.geometry.x, site_xy.geometry.y]) if len(site_xy) else None
    zone_of = assign_zone(candidates, whatif.zones) if len(candidates) else pd.Series([])
    for i, (_, cand) in enumerate(candidates.iterrows()):
        result = _scenario(xy[i : i + 1])
        results[str(cand["id"])] = result
        d = result.diff.set_index("zone_code")["d_residents_within_threshold"]
        gain[str(cand["name"])] = gain["zone_code"].map(d).fillna(0.0).to_numpy()
        nearest = float(np.min(np.hypot(*(existing - xy[i]).T))) if existing is not None else np.nan
        code = zone_of.iloc[i]
        rows.append(
            {
                "id": cand["id"],
                "name": cand["name"],
                "zone": zone_names.get(code, "") if code else "",
                "new_within": _city(result.diff, "d_residents_within_threshold"),
                "share_before": _city(base, "share_within_threshold"),
                "share_after": _city(result.table, "share_within_threshold"),
                "median_before": _city(base, "median_distance_m"),
                "median_after": _city(result.table, "median_distance_m"),
                "gaining_zones": _gaining(result.diff),
                "nearest_existing_m": nearest,
            }
        )
    combined = None
    if len(candidates) > 1:
        combined = _scenario(xy)
        rows.append(
            {
                "id": "alle",
                "name": "Alle sammen",
                "zone": "",
                "new_within": _city(combined.diff, "d_residents_within_threshold"),
                "share_before": _city(base, "share_within_threshold"),
                "share_after": _city(combined.table, "share_within_threshold"),
                "median_before": _city(base, "median_distance_m"),
                "median_after": _city(combined.table, "median_distance_m"),
                "gaining_zones": _gaining(combined.diff),
                "nearest_existing_m": np.nan,
            }
        )
    elif len(candidates) == 1:
        combined = next(iter(results.values()))
    summary = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "zone",
            "new_within",
            "share_before",
            "share_after",
            "median_before",
            "median_after",
            "gaining_zones",
            "nearest_existing_m",
        ],
    )
    return CandidateComparison(summary, gain, combined, time.perf_counter() - start, results)


def located_sites(whatif: WhatIf, candidates: gpd.GeoDataFrame) -> np.ndarray:
    """Coordinates (n, 2) of today's sites of the chosen categories and of the candidates."""
    existing = xy_of(located(whatif.services, whatif.categories))
    return np.vstack([existing.reshape(-1, 2), xy_of(candidates)])


def areas_around_sites(
    engine: DistanceEngine, sites_xy: np.ndarray, threshold_m: float
) -> gpd.GeoDataFrame | None:
    """Areas within ``threshold_m`` of the sites (isochrones on a network, circles otherwise)."""
    if not len(sites_xy):
        return None
    return service_areas(engine, sites_xy, [threshold_m])
