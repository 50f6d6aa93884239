r"""Coverage metrics per bydel: one tidy table, one named column per metric, and a whole-city row.

The table is computed from three things: demand points with weights (residents, or a user-data
column spread the same way), the distance from each demand point to the nearest service of the
chosen categories (any :class:`geo.distance.DistanceEngine`), and the located services.

Columns (see :data:`METRIC_LABELS` for bokmål labels and :data:`METRIC_HELP` for one-sentence help):

``population``
    Registered residents :math:`P_b` (or the weight total when another weight basis is used).
``n_services``, ``n_<category>``
    Services with a known location inside the bydel, of the chosen categories / per category.
``services_per_10k``
    :math:`10\\,000 \\cdot S_b / P_b`.
``share_within_threshold``
    Population-weighted share within the threshold distance of the nearest service:
    :math:`\\sum_{i \\in b} w_i [d_i \\le t] / \\sum_{i \\in b} w_i`.
``median_distance_m``, ``p90_distance_m``
    Weighted 50th / 90th percentile of :math:`d_i` (lower weighted quantile: the smallest
    :math:`d` with :math:`\\sum_{d_i \\le d} w_i \\ge q \\sum w_i`).
``location_quotient``
    :math:`LQ_b = (S_b / S) / (P_b / P)`: 1 means the bydel has the city's average supply per
    resident; above 1 more, below 1 less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.boundaries import DEFAULT_VERSION, assign_bydel, load_bydeler
from geo.distance import DistanceEngine, StraightLineEngine
from geo.names import BYDEL_CODES, CITY_CODE, CITY_NAME
from geo.population import demand_points, load_population
from geo.services import CATEGORIES, located, site_xy

METRIC_LABELS: dict[str, str] = {
    "population": "Innbyggere",
    "n_services": "Antall tilbud",
    "services_per_10k": "Tilbud per 10 000 innb.",
    "residents_within_threshold": "Innbyggere innen terskel",
    "share_within_threshold": "Andel innen terskel",
    "mean_distance_m": "Gj.snittlig avstand (m)",
    "median_distance_m": "Medianavstand (m)",
    "p90_distance_m": "90-persentil avstand (m)",
    "median_walk_min": "Median gangtid (min)",
    "share_of_services": "Andel av byens tilbud",
    "share_of_population": "Andel av byens innbyggere",
    "location_quotient": "Lokaliseringskvotient",
}
METRIC_LABELS.update({f"n_{slug}": f"Antall: {label}" for slug, label in CATEGORIES.items()})

METRIC_HELP: dict[str, str] = {
    "population": "Registrerte innbyggere i bydelen (eller summen av valgt vekt, f.eks. brukere).",
    "n_services": "Antall tilbud i de valgte kategoriene med kjent plassering i bydelen.",
    "services_per_10k": "Antall tilbud delt på innbyggere, ganget med 10 000.",
    "residents_within_threshold": "Innbyggere som har et tilbud innen valgt avstand.",
    "share_within_threshold": "Andelen av innbyggerne som har et tilbud innen valgt avstand.",
    "mean_distance_m": "Gjennomsnittlig avstand fra der folk bor til nærmeste tilbud.",
    "median_distance_m": "Halvparten av innbyggerne har kortere vei enn dette til nærmeste tilbud.",
    "p90_distance_m": "Ni av ti innbyggere har kortere vei enn dette til nærmeste tilbud.",
    "median_walk_min": "Medianavstanden gjort om til gangtid med valgt ganghastighet.",
    "share_of_services": "Bydelens andel av alle tilbudene i byen.",
    "share_of_population": "Bydelens andel av byens innbyggere.",
    "location_quotient": "Andel av tilbudene delt på andel av innbyggerne: 1 = byens snitt, under 1 = færre tilbud enn folketallet tilsier.",
}

HIGHER_IS_BETTER = {
    "n_services": True,
    "services_per_10k": True,
    "residents_within_threshold": True,
    "share_within_threshold": True,
    "mean_distance_m": False,
    "median_distance_m": False,
    "p90_distance_m": False,
    "median_walk_min": False,
    "location_quotient": True,
}


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    r"""Lower weighted quantile: the smallest value whose cumulative weight reaches ``q`` of the total.

    .. math::

        Q_w(q) = \\min \\{ d_k : \\sum_{i: d_i \\le d_k} w_i \\ge q \\sum_i w_i \\}

    Returns ``nan`` when the total weight is 0.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    if not keep.any():
        return float("nan")
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    k = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    return float(values[order][min(k, len(values) - 1)])


def bydel_metrics(
    demand: gpd.GeoDataFrame | pd.DataFrame,
    nearest_m: np.ndarray,
    services: gpd.GeoDataFrame,
    bydeler: gpd.GeoDataFrame,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    categories: list[str] | None = None,
    weight_column: str = "weight",
    walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
) -> pd.DataFrame:
    """Compute the per-bydel metric table from per-demand-point nearest distances.

    Parameters
    ----------
    demand
        Demand points with ``bydel_code`` and the weight column.
    nearest_m
        Metres from each demand point to its nearest service of the chosen categories.
    services
        Service registry (all categories; those with a location are counted). Must have
        ``bydel_code`` (see :func:`with_bydel`) or a geometry.
    bydeler
        Bydel polygons (defines the rows).
    threshold_m
        Threshold distance for ``share_within_threshold``.
    categories
        Categories counted in ``n_services``; all when ``None``.
    weight_column
        Column of ``demand`` holding the weights (residents by default).
    walk_speed_kmh
        Walking speed used to turn the median distance into minutes.

    Returns
    -------
    pandas.DataFrame
        One row per bydel sorted by code, then the whole-city row ``Hele byen`` (code ``0301``).

    """
    nearest_m = np.asarray(nearest_m, dtype=float)
    if len(nearest_m) != len(demand):
        raise ValueError(
            f"nearest_m har {len(nearest_m)} verdier, men det er {len(demand)} etterspørselspunkter."
        )
    cats = list(categories) if categories else list(CATEGORIES)
    services = with_bydel(services, bydeler)
    placed = services[services["bydel_code"].notna()]
    codes = bydeler["bydel_code"].tolist()
    w_all = demand[weight_column].to_numpy(dtype=float)
    code_all = demand["bydel_code"].to_numpy()
    within_all = nearest_m <= threshold_m
    per_cat = placed.groupby(["bydel_code", "category"]).size().unstack(fill_value=0)
    chosen = placed[placed["category"].isin(cats)].groupby("bydel_code").size()
    rows = []
    for code in [*codes, CITY_CODE]:
        mask = np.ones(len(code_all), dtype=bool) if code == CITY_CODE else code_all == code
        w, d = w_all[mask], nearest_m[mask]
        total = float(w.sum())
        finite = np.isfinite(d)
        row: dict[str, Any] = {
            "bydel_code": code,
            "bydel": CITY_NAME if code == CITY_CODE else BYDEL_CODES.get(code, code),
            "population": total,
            "n_services": int(chosen.sum() if code == CITY_CODE else chosen.get(code, 0)),
        }
        for slug in CATEGORIES:
            if slug in per_cat.columns:
                row[f"n_{slug}"] = int(
                    per_cat[slug].sum() if code == CITY_CODE else per_cat[slug].get(code, 0)
                )
            else:
                row[f"n_{slug}"] = 0
        row["services_per_10k"] = 1e4 * row["n_services"] / total if total > 0 else np.nan
        row["residents_within_threshold"] = float(w[within_all[mask]].sum())
        row["share_within_threshold"] = (
            row["residents_within_threshold"] / total if total > 0 else np.nan
        )
        row["mean_distance_m"] = (
            float(np.average(d[finite], weights=w[finite]))
            if finite.any() and w[finite].sum() > 0
            else np.inf
        )
        row["median_distance_m"] = weighted_quantile(d, w, 0.5)
        row["p90_distance_m"] = weighted_quantile(d, w, 0.9)
        row["median_walk_min"] = row["median_distance_m"] / settings.walk_metres_per_minute(
            walk_speed_kmh
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    city_pop = table.loc[table["bydel_code"] == CITY_CODE, "population"].iloc[0]
    city_services = table.loc[table["bydel_code"] == CITY_CODE, "n_services"].iloc[0]
    table["share_of_population"] = table["population"] / city_pop if city_pop else np.nan
    table["share_of_services"] = table["n_services"] / city_services if city_services else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        table["location_quotient"] = table["share_of_services"] / table["share_of_population"]
    table.attrs.update(
        threshold_m=threshold_m,
        categories=cats,
        weight_column=weight_column,
        walk_speed_kmh=walk_speed_kmh,
    )
    return table


def with_bydel(services: gpd.GeoDataFrame, bydeler: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``services`` with a ``bydel_code`` column from the point-in-polygon test."""
    out = services.copy()
    if len(out) == 0:
        out["bydel_code"] = pd.Series(dtype=object)
        return out
    out["bydel_code"] = assign_bydel(out.geometry, bydeler).to_numpy()
    return out


def spread_user_data(
    demand: gpd.GeoDataFrame,
    user: pd.DataFrame,
    column: str,
    kind: str = "aggregate",
) -> np.ndarray:
    r"""Turn user data into demand weights (e.g. users by home bydel, visits, incidents).

    * ``kind="aggregate"`` (a value :math:`U_b` per bydel): spread like residents,
      :math:`w_i = U_b \\cdot r_i / R_b`, where :math:`r_i` are the residents of point *i*.
    * ``kind="points"`` (one row per event, with a location): each event's value goes to the
      nearest demand point.

    Returns the new weight per demand point; bydeler without a value get 0.
    """
    residents = demand["weight"].to_numpy(dtype=float)
    if kind == "aggregate":
        values = user.groupby("bydel_code")[column].sum(min_count=1)
        total_by_bydel = (
            demand.groupby("bydel_code")["weight"].transform("sum").to_numpy(dtype=float)
        )
        per_bydel = demand["bydel_code"].map(values).fillna(0).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total_by_bydel > 0, per_bydel * residents / total_by_bydel, 0.0)
    from scipy.spatial import cKDTree

    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    pts = user.geometry
    _, idx = cKDTree(xy).query(np.column_stack([pts.x, pts.y]))
    event_values = (
        pd.to_numeric(user[column], errors="coerce").fillna(0).to_numpy()
        if column in user
        else np.ones(len(user))
    )
    return np.bincount(idx, weights=event_values, minlength=len(demand)).astype(float)


@dataclass
class Study:
    """The reference data one analysis runs on, loaded once and reused (CLI, app, what-if).

    Attributes
    ----------
    bydeler, population, demand, services
        As loaded by :mod:`geo.boundaries`, :mod:`geo.population`, :mod:`geo.services`.
    boundary_version
        Which boundary set.
    problems
        Problems found while loading the service registry.

    """

    bydeler: gpd.GeoDataFrame
    population: pd.DataFrame
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    boundary_version: str = DEFAULT_VERSION
    problems: list = field(default_factory=list)

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        boundary_version: str = DEFAULT_VERSION,
        services_path: str | Path | None = None,
        cell_m: float = settings.DEFAULT_CELL_M,
    ) -> Study:
        """Load boundaries, population, demand points and the service registry."""
        from geo.services import load_services

        bydeler = load_bydeler(boundary_version, data_dir)
        population = load_population(data_dir=data_dir)
        demand = demand_points(bydeler, population, cell_m=cell_m)
        result = load_services(services_path)
        services = with_bydel(result.frame, bydeler)
        return cls(bydeler, population, demand, services, boundary_version, list(result.problems))

    @property
    def demand_xy(self) -> np.ndarray:
        """Demand point coordinates (n, 2), EPSG:25832."""
        return np.column_stack(
            [self.demand.geometry.x.to_numpy(), self.demand.geometry.y.to_numpy()]
        )

    def with_engine(
        self,
        distance: str = "straight",
        speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
        data_dir: str | Path | None = None,
    ) -> tuple[Study, DistanceEngine]:
        """Return the study and a distance engine of the asked kind (``"straight"``/``"network"``).

        With a walking network, demand cells that no path comes near are dropped and their
        residents re-spread inside the bydel (:func:`geo.population.restrict_demand`), so that
        water and forest don't count as unreachable residents. Without a network the engine falls
        back to straight line, and its ``note`` says so.
        """
        if distance != "network":
            return self, self.straight_engine()
        from geo import network as _network
        from geo.population import restrict_demand

        engine, _ = _network.distance_engine(
            self.demand_xy, "network", data_dir=data_dir, speed_kmh=speed_kmh
        )
        on_network = getattr(engine, "demand_on_network", None)
        if engine.kind != "network" or on_network is None or on_network.all():
            return self, engine
        demand = restrict_demand(self.demand, on_network, getattr(engine, "max_snap_m", 0.0))
        study = Study(
            self.bydeler,
            self.population,
            demand,
            self.services,
            self.boundary_version,
            self.problems,
        )
        network_engine, _ = _network.distance_engine(
            study.demand_xy,
            "network",
            network=getattr(engine, "network", None),
            speed_kmh=speed_kmh,
        )
        return study, network_engine

    def straight_engine(self) -> StraightLineEngine:
        """A straight-line engine over this study's demand points."""
        return StraightLineEngine(self.demand_xy)


def coverage_table(
    study: Study,
    categories: list[str] | None = None,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    engine: DistanceEngine | None = None,
    extra_sites: gpd.GeoDataFrame | None = None,
    weights: np.ndarray | None = None,
    walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
) -> pd.DataFrame:
    """The per-bydel coverage table for a study, optionally with extra (candidate) sites added.

    Parameters
    ----------
    study
        Loaded reference data.
    categories
        Service categories that count as "a service"; all when ``None``.
    threshold_m
        Threshold distance in metres.
    engine
        Distance engine; straight line when ``None``.
    extra_sites
        Candidate sites added to the services (they count in ``n_services`` and distances).
    weights
        Demand weights to use instead of residents (e.g. from :func:`spread_user_data`).
    walk_speed_kmh
        Walking speed used for minutes.

    Returns
    -------
    pandas.DataFrame
        See :func:`bydel_metrics`; ``attrs`` record every setting, the distance note and the
        population note, so exports can state them.

    """
    engine = engine or study.straight_engine()
    cats = list(categories) if categories else list(CATEGORIES)
    services = study.services
    if extra_sites is not None and len(extra_sites):
        extra = with_bydel(extra_sites, study.bydeler)
        services = pd.concat([services, extra], ignore_index=True)  # type: ignore[assignment]
    sites = located(services, cats)
    nearest = engine.nearest(site_xy(sites))
    demand = study.demand
    if weights is not None:
        demand = demand.assign(weight=np.asarray(weights, dtype=float))
    table = bydel_metrics(
        demand, nearest, services, study.bydeler, threshold_m, cats, walk_speed_kmh=walk_speed_kmh
    )
    table.attrs.update(
        distance_kind=engine.kind,
        distance_note=engine.note,
        population_note=study.demand.attrs.get("note", ""),
        population_year=study.population.attrs.get("population_year"),
        boundary_version=study.boundary_version,
        unallocated=study.demand.attrs.get("unallocated", {}),
        weight_basis="innbyggere" if weights is None else "brukerdata",
    )
    return table


def compare_tables(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Per-bydel difference ``scenario - baseline`` for every numeric metric (``d_<metric>``)."""
    key = ["bydel_code", "bydel"]
    numeric = [
        c for c in baseline.columns if c not in key and pd.api.types.is_numeric_dtype(baseline[c])
    ]
    merged = baseline[key + numeric].merge(
        scenario[key + numeric], on=key, suffixes=("_base", "_new")
    )
    out = merged[key].copy()
    for column in numeric:
        with np.errstate(invalid="ignore"):
            out[f"d_{column}"] = merged[f"{column}_new"] - merged[f"{column}_base"]
    return out
