"""The coverage table of a study: zone metrics, stamped with how they were made, and its changes.

:func:`coverage_table` measures the distance from every demand point to its nearest service and
hands it to :func:`geo.analysis.zone_metrics.zone_metrics` (the columns and formulas are there);
:func:`compare_tables` is the difference of two tables, :func:`spread_user_data` turns user data
into demand weights.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.provenance import study_provenance
from geo.analysis.zone_metrics import ZoneIndex, zone_metrics
from geo.data.services import located
from geo.data.study import Study, with_bydel, with_zone
from geo.distance import DistanceEngine
from geo.geom import xy_of
from geo.labels import CATEGORIES
from geo.names import CITY_CODE
from geo.network.mixed import BASIS_NETWORK

__all__ = [
    "compare_tables",
    "coverage_table",
    "measured_demand",
    "spread_user_data",
    "with_distance_basis",
]


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
        extra = with_zone(with_bydel(extra_sites, study.bydeler), study.zones)
        services = pd.concat([services, extra], ignore_index=True)  # type: ignore[assignment]
    sites = located(services, cats)
    nearest = engine.nearest(xy_of(sites))
    demand = measured_demand(study.demand, engine)
    if weights is not None:
        demand = demand.assign(weight=np.asarray(weights, dtype=float))
    index = ZoneIndex.from_demand(demand, study.zones, study.total_name)
    table = zone_metrics(index, nearest, services, threshold_m, cats, walk_speed_kmh)
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
    codes = table["zone_code"].astype(str)
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
    """Per-zone difference ``scenario - baseline`` for every numeric metric (``d_<metric>``)."""
    key = ["zone_code", "zone"]
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
