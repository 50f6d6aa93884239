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

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.provenance import study_provenance
from geo.data.services import located
from geo.data.study import Study, with_bydel
from geo.distance import DistanceEngine
from geo.geom import xy_of
from geo.labels import CATEGORIES
from geo.names import BYDEL_CODES, CITY_CODE, CITY_NAME
from geo.network.mixed import BASIS_NETWORK

__all__ = [
    "bydel_metrics",
    "compare_tables",
    "coverage_table",
    "measured_demand",
    "spread_user_data",
    "weighted_quantile",
    "with_distance_basis",
]


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
    # points in zones left out (the network does not reach them) count for population only
    measured_all = (
        ~demand["excluded"].to_numpy(dtype=bool)
        if "excluded" in demand
        else np.ones(len(demand), dtype=bool)
    )
    within_all = nearest_m <= threshold_m
    per_cat = placed.groupby(["bydel_code", "category"]).size().unstack(fill_value=0)
    chosen = placed[placed["category"].isin(cats)].groupby("bydel_code").size()
    rows = []
    for code in [*codes, CITY_CODE]:
        mask = np.ones(len(code_all), dtype=bool) if code == CITY_CODE else code_all == code
        total = float(w_all[mask].sum())
        measured = mask & measured_all
        w, d = w_all[measured], nearest_m[measured]
        measured_total = float(w.sum())
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
        row["residents_within_threshold"] = (
            float(w[within_all[measured]].sum()) if measured_total > 0 else np.nan
        )
        row["share_within_threshold"] = (
            row["residents_within_threshold"] / measured_total if measured_total > 0 else np.nan
        )
        row["mean_distance_m"] = (
            float(np.average(d[finite], weights=w[finite]))
            if finite.any() and w[finite].sum() > 0
            else (np.inf if measured_total > 0 else np.nan)
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


def coverage_table(
    study: Study,
    categories: list[str] | None = None,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    engine: DistanceEngine | None = None,
    extra_sites: gpd.GeoDataFrame | None = None,
    weights: np.ndarray | None = None,
    walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    weight_basis: str | None = None,
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
    weight_basis
        What ``weights`` are (``sosialhjelp`` or ``brukerdata``; the latter when ``None``).

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
    nearest = engine.nearest(xy_of(sites))
    demand = measured_demand(study.demand, engine)
    if weights is not None:
        demand = demand.assign(weight=np.asarray(weights, dtype=float))
    table = bydel_metrics(
        demand, nearest, services, study.bydeler, threshold_m, cats, walk_speed_kmh=walk_speed_kmh
    )
    table = with_distance_basis(table, engine)
    basis = "innbyggere" if weights is None else (weight_basis or "brukerdata")
    table.attrs.update(study_provenance(study, engine, basis))
    return table


def measured_demand(demand: gpd.GeoDataFrame, engine: DistanceEngine) -> gpd.GeoDataFrame:
    """The demand with an ``excluded`` column when the engine leaves some zones out."""
    excluded = getattr(engine, "excluded", None)
    if excluded is None or not np.any(excluded):
        return demand
    return demand.assign(excluded=np.asarray(excluded, dtype=bool))


def with_distance_basis(table: pd.DataFrame, engine: DistanceEngine) -> pd.DataFrame:
    """Add how each zone was measured: ``network_share`` and ``distance_basis`` (bokmål).

    Only for an engine that measures zones differently (:class:`geo.network.mixed.MixedEngine`);
    the whole-city row gets the share of all residents the network reaches.
    """
    reach = getattr(engine, "reach", None)
    if reach is None:
        return table
    by_zone = reach.set_index("zone_code")
    codes = table["bydel_code"].astype(str)
    table["network_share"] = codes.map(by_zone["network_share"]).to_numpy(dtype=float)
    table["distance_basis"] = codes.map(by_zone["distance_basis"]).fillna("").to_numpy()
    city = (codes == CITY_CODE).to_numpy()
    bases = set(by_zone["distance_basis"])
    table.loc[city, "network_share"] = float(getattr(engine, "network_share", np.nan))
    table.loc[city, "distance_basis"] = (
        BASIS_NETWORK if bases == {BASIS_NETWORK} else "blandet: se hver sone"
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
