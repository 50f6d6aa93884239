r"""One planner's working state: settings, own data, candidate sites, and what they change.

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

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.boundaries import DEFAULT_VERSION, assign_bydel
from geo.distance import DistanceEngine
from geo.metrics import METRIC_LABELS, Study, spread_user_data
from geo.names import BYDEL_CODES, CITY_CODE
from geo.services import CATEGORIES, located
from geo.whatif import ScenarioResult, WhatIf

CANDIDATE_COLUMNS = ["id", "name", "category", "source", "geometry"]
"""Columns of a candidate set (EPSG:25832 points)."""

MAX_CANDIDATES = 12
"""More than this side by side is unreadable; the app says so instead of adding more."""

USER_WEIGHT_COLUMN = "user_weight"

_NAME_MAX = 80


@dataclass(frozen=True)
class AnalysisSettings:
    """The choices that define one analysis (what the sidebar sets; stored with a scenario).

    Attributes
    ----------
    categories
        Service categories that count as "a service" (slugs of :data:`geo.services.CATEGORIES`).
    distance
        ``straight`` or ``network``.
    threshold_m
        Threshold distance, metres.
    speed_kmh
        Walking speed for minutes.
    weight_basis
        ``innbyggere`` or the name of a numeric user-data column.
    boundary_version
        Boundary set (:data:`geo.boundaries.BOUNDARY_VERSIONS`).
    metric
        Metric that colours the map.

    """

    categories: tuple[str, ...] = ("brukerrom",)
    distance: str = "straight"
    threshold_m: float = settings.DEFAULT_THRESHOLD_M
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH
    weight_basis: str = "innbyggere"
    boundary_version: str = DEFAULT_VERSION
    metric: str = "share_within_threshold"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for scenarios)."""
        out = asdict(self)
        out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisSettings:
        """Rebuild from :meth:`to_dict`; unknown keys are ignored, missing ones take defaults."""
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "categories" in kwargs:
            cats = [c for c in kwargs["categories"] if c in CATEGORIES]
            kwargs["categories"] = tuple(cats) or cls.categories
        if "threshold_m" in kwargs:
            kwargs["threshold_m"] = float(kwargs["threshold_m"])
        if "speed_kmh" in kwargs:
            kwargs["speed_kmh"] = float(kwargs["speed_kmh"])
        if kwargs.get("distance") not in (None, "straight", "network"):
            kwargs["distance"] = "straight"
        if kwargs.get("metric") is not None and kwargs["metric"] not in METRIC_LABELS:
            kwargs.pop("metric")
        return cls(**kwargs)

    @property
    def candidate_category(self) -> str:
        """Category a new candidate gets: brukerrom when chosen (Brukerrom 2), else the first."""
        return "brukerrom" if "brukerrom" in self.categories else self.categories[0]


# ---------------------------------------------------------------------- candidates
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
    bydeler: gpd.GeoDataFrame,
    name: str | None = None,
    category: str = "brukerrom",
    source: str = "klikk i kartet",
) -> gpd.GeoDataFrame:
    """Return ``candidates`` with one more point (EPSG:25832).

    Raises
    ------
    ValueError
        With a bokmål message when the point is outside Oslo's bydeler, not finite, or when
        :data:`MAX_CANDIDATES` is reached.

    """
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError("Koordinatene er ikke tall.")
    if len(candidates) >= MAX_CANDIDATES:
        raise ValueError(
            f"Det er allerede {MAX_CANDIDATES} kandidater; fjern noen før du legger til flere."
        )
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=settings.ANALYSIS_CRS)
    code = assign_bydel(point, bydeler).iloc[0]
    if code is None:
        raise ValueError(
            f"Punktet (Ø {x:.0f}, N {y:.0f}) ligger utenfor Oslos bydeler "
            "(Marka og fjorden hører ikke til noen bydel i grensesettet)."
        )
    new_id = _next_id(candidates)
    row = gpd.GeoDataFrame(
        {
            "id": [new_id],
            "name": [clean_name(name, f"Kandidat {new_id}")],
            "category": [category],
            "source": [source],
        },
        geometry=point.values,
        crs=settings.ANALYSIS_CRS,
    )
    if not len(candidates):
        return row
    return gpd.GeoDataFrame(
        pd.concat([candidates[CANDIDATE_COLUMNS], row], ignore_index=True),
        crs=settings.ANALYSIS_CRS,
    )


def candidates_from_sites(
    sites: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    bydeler: gpd.GeoDataFrame,
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
            out = add_candidate(
                out, geom.x, geom.y, bydeler, label, str(row.get("category") or category), source
            )
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
    candidates: gpd.GeoDataFrame, cand_id: str, x: float, y: float, bydeler: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Return a copy with one candidate moved (must stay inside Oslo)."""
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=settings.ANALYSIS_CRS)
    if assign_bydel(point, bydeler).iloc[0] is None:
        raise ValueError("Det nye punktet ligger utenfor Oslos bydeler.")
    out = candidates.copy()
    mask = (out["id"] == cand_id).to_numpy()
    out.loc[mask, "geometry"] = point.iloc[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.ANALYSIS_CRS)


def candidate_xy(candidates: gpd.GeoDataFrame) -> np.ndarray:
    """Candidate coordinates (n, 2), EPSG:25832."""
    if not len(candidates):
        return np.empty((0, 2))
    return np.column_stack([candidates.geometry.x, candidates.geometry.y])


# ---------------------------------------------------------------------- analysis
def user_weights(
    study: Study, user: pd.DataFrame | None, column: str, kind: str = "aggregate"
) -> np.ndarray | None:
    """Demand weights from user data (``None`` for residents)."""
    if column == "innbyggere" or user is None or column not in user.columns:
        return None
    return spread_user_data(study.demand, user, column, kind)


def build_whatif(
    study: Study,
    engine: DistanceEngine,
    analysis: AnalysisSettings,
    weights: np.ndarray | None = None,
) -> WhatIf:
    """The what-if engine for one analysis: baseline table and instant scenarios."""
    demand = study.demand
    weight_column = "weight"
    if weights is not None:
        demand = demand.assign(**{USER_WEIGHT_COLUMN: np.asarray(weights, dtype=float)})
        weight_column = USER_WEIGHT_COLUMN
    attrs = {
        "distance_kind": engine.kind,
        "distance_note": engine.note,
        "population_note": study.demand.attrs.get("note", ""),
        "population_year": study.population.attrs.get("population_year"),
        "boundary_version": study.boundary_version,
        "weight_basis": "innbyggere" if weights is None else "brukerdata",
    }
    return WhatIf(
        engine,
        demand,
        study.services,
        study.bydeler,
        categories=list(analysis.categories),
        threshold_m=analysis.threshold_m,
        weight_column=weight_column,
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
    gain_by_bydel
        Newly within the threshold per bydel (rows) and candidate (columns, by name).
    combined
        The scenario with all candidates added (its table is the "with candidates" table).
    elapsed_s
        Seconds for all scenarios.

    """

    summary: pd.DataFrame
    gain_by_bydel: pd.DataFrame
    combined: ScenarioResult | None
    elapsed_s: float = 0.0
    results: dict[str, ScenarioResult] = field(default_factory=dict)


def _city(table: pd.DataFrame, column: str) -> float:
    row = table.loc[table["bydel_code"] == CITY_CODE, column]
    return float(row.iloc[0]) if len(row) else float("nan")


def _gaining(diff: pd.DataFrame) -> str:
    rows = diff[(diff["bydel_code"] != CITY_CODE) & (diff["d_residents_within_threshold"] > 0.5)]
    rows = rows.sort_values("d_residents_within_threshold", ascending=False)
    return ", ".join(rows["bydel"].astype(str)) or "ingen"


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
    codes = base["bydel_code"].tolist()
    names = base["bydel"].tolist()
    gain = pd.DataFrame({"bydel_code": codes, "bydel": names})
    rows: list[dict[str, Any]] = []
    results: dict[str, ScenarioResult] = {}
    xy = candidate_xy(candidates)
    site_xy = located(whatif.services, whatif.categories)
    existing = np.column_stack([site_xy.geometry.x, site_xy.geometry.y]) if len(site_xy) else None
    bydel_of = assign_bydel(candidates, whatif.bydeler) if len(candidates) else pd.Series([])
    for i, (_, cand) in enumerate(candidates.iterrows()):
        result = _scenario(xy[i : i + 1])
        results[str(cand["id"])] = result
        d = result.diff.set_index("bydel_code")["d_residents_within_threshold"]
        gain[str(cand["name"])] = gain["bydel_code"].map(d).fillna(0.0).to_numpy()
        nearest = float(np.min(np.hypot(*(existing - xy[i]).T))) if existing is not None else np.nan
        code = bydel_of.iloc[i]
        rows.append(
            {
                "id": cand["id"],
                "name": cand["name"],
                "bydel": BYDEL_CODES.get(code, code) if code else "",
                "new_within": _city(result.diff, "d_residents_within_threshold"),
                "share_before": _city(base, "share_within_threshold"),
                "share_after": _city(result.table, "share_within_threshold"),
                "median_before": _city(base, "median_distance_m"),
                "median_after": _city(result.table, "median_distance_m"),
                "gaining_bydeler": _gaining(result.diff),
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
                "bydel": "",
                "new_within": _city(combined.diff, "d_residents_within_threshold"),
                "share_before": _city(base, "share_within_threshold"),
                "share_after": _city(combined.table, "share_within_threshold"),
                "median_before": _city(base, "median_distance_m"),
                "median_after": _city(combined.table, "median_distance_m"),
                "gaining_bydeler": _gaining(combined.diff),
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
            "bydel",
            "new_within",
            "share_before",
            "share_after",
            "median_before",
            "median_after",
            "gaining_bydeler",
            "nearest_existing_m",
        ],
    )
    return CandidateComparison(summary, gain, combined, time.perf_counter() - start, results)


SUMMARY_LABELS: dict[str, str] = {
    "id": "Id",
    "name": "Kandidat",
    "bydel": "Bydel",
    "new_within": "Nye innen terskel",
    "share_before": "Andel innen terskel i dag (by)",
    "share_after": "Andel innen terskel med kandidat (by)",
    "median_before": "Medianavstand i dag (m)",
    "median_after": "Medianavstand med kandidat (m)",
    "gaining_bydeler": "Bydeler som får bedre dekning",
    "nearest_existing_m": "Luftlinje til nærmeste eksisterende tilbud (m)",
}


def study_with_services(study: Study, extra: gpd.GeoDataFrame | None) -> Study:
    """The study with uploaded services added to the registry (the file's own rows untouched)."""
    if extra is None or not len(extra):
        return study
    from geo.metrics import with_bydel

    added = with_bydel(extra.to_crs(settings.ANALYSIS_CRS), study.bydeler)
    services = pd.concat([study.services, added], ignore_index=True)
    return replace(study, services=gpd.GeoDataFrame(services, crs=settings.ANALYSIS_CRS))


def scenario_payload(
    analysis: AnalysisSettings, candidates: gpd.GeoDataFrame
) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """Settings and candidates as they are stored in a scenario."""
    return analysis.to_dict(), candidates[CANDIDATE_COLUMNS].copy()


_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def parse_point_text(text: str) -> tuple[float, float]:
    """Read one point typed by a planner and return it in EPSG:25832.

    Accepts ``59.9111, 10.7528`` (lat, lon; decimal point or comma, either order: Oslo's
    latitude ~59.8–60.0 and longitude ~10.5–11.0 can't be confused) and ``597700 6643300``
    (EUREF89 UTM 32 east, north; either order).

    Raises
    ------
    ValueError
        With a bokmål message saying what was expected.

    """
    from pyproj import Transformer

    cleaned = str(text).strip()
    numbers = _NUMBER.findall(cleaned)
    if len(numbers) == 4 and "," in cleaned:  # "59,9111, 10,7528" – decimal commas
        numbers = [f"{numbers[0]}.{numbers[1]}", f"{numbers[2]}.{numbers[3]}"]
    if len(numbers) != 2:
        raise ValueError(
            f"«{cleaned[:40]}» er ikke to tall. Skriv f.eks. «59.9111, 10.7528» (bredde, lengde) "
            "eller «597700 6643300» (UTM 32 øst, nord)."
        )
    a, b = (float(n.replace(",", ".")) for n in numbers)
    if 58 <= a <= 61 and 9 <= b <= 12:
        lat, lon = a, b
    elif 58 <= b <= 61 and 9 <= a <= 12:
        lat, lon = b, a
    elif 100_000 <= a <= 900_000 and 6_000_000 <= b <= 7_500_000:
        return a, b
    elif 100_000 <= b <= 900_000 and 6_000_000 <= a <= 7_500_000:
        return b, a
    else:
        raise ValueError(
            f"«{cleaned[:40]}» ligger ikke i nærheten av Oslo som bredde/lengde eller UTM 32."
        )
    x, y = Transformer.from_crs(
        settings.DISPLAY_CRS, settings.ANALYSIS_CRS, always_xy=True
    ).transform(lon, lat)
    return float(x), float(y)


def located_sites(whatif: WhatIf, candidates: gpd.GeoDataFrame) -> np.ndarray:
    """Coordinates (n, 2) of today's sites of the chosen categories and of the candidates."""
    from geo.services import site_xy

    existing = site_xy(located(whatif.services, whatif.categories))
    return np.vstack([existing.reshape(-1, 2), candidate_xy(candidates)])


def service_areas(
    engine: DistanceEngine, sites_xy: np.ndarray, threshold_m: float
) -> gpd.GeoDataFrame | None:
    """Areas within ``threshold_m`` of the sites (isochrones on a network, circles otherwise)."""
    if not len(sites_xy):
        return None
    from geo.network import service_areas as _areas

    return _areas(engine, sites_xy, [threshold_m])
