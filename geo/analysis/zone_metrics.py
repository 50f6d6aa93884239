r"""Coverage metrics per zone by array arithmetic: one tidy table, one named column per metric.

A table is computed from the distance :math:`d_i` of every demand point *i* to its nearest
service of the chosen categories, the demand weights :math:`w_i` (residents, the need proxy or
user data), the zone :math:`z(i)` of every demand point and the located services. The zone of
every demand point is looked up once (:class:`ZoneIndex`); each table after that is a handful of
``np.bincount`` sums and one sort, so a what-if scenario costs about a millisecond.

Columns (bokmål labels: :data:`geo.labels.METRIC_LABELS`):

``zone_code``, ``zone``
    The zone (a bydel, a delbydel, a proposed bydel …) and, last, the total row (code ``0301``,
    named after the study area: «Hele byen» for the whole city).
``population``
    :math:`P_z = \sum_{i \in z} w_i`.
``n_services``, ``n_<category>``
    Services with a known location inside the zone (the chosen categories / each category).
``services_per_10k``
    :math:`10\,000 \cdot S_z / P_z`.
``residents_within_threshold``, ``share_within_threshold``
    :math:`\sum_{i \in z} w_i [d_i \le t]` and that divided by :math:`P_z` (over the demand the
    distance engine measures: zones it leaves out get no share).
``mean_distance_m``, ``median_distance_m``, ``p90_distance_m``, ``median_walk_min``
    Weighted mean and lower weighted quantiles of :math:`d_i`:
    :math:`Q_w(q) = \min\{d_k : \sum_{d_i \le d_k} w_i \ge q \sum_i w_i\}`.
``share_of_population``, ``share_of_services``, ``location_quotient``
    :math:`P_z / P`, :math:`S_z / S` and :math:`LQ_z = (S_z / S) / (P_z / P)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.labels import CATEGORIES
from geo.names import CITY_CODE, CITY_NAME

__all__ = [
    "ServiceCounts",
    "ZoneIndex",
    "grouped_quantiles",
    "metric_table",
    "weighted_quantile",
    "zone_metric_columns",
    "zone_metrics",
]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    r"""Lower weighted quantile: the smallest value whose cumulative weight reaches ``q``.

    .. math::

        Q_w(q) = \min \{ d_k : \sum_{i: d_i \le d_k} w_i \ge q \sum_i w_i \}

    Returns ``nan`` when the total weight is 0.
    """
    out = grouped_quantiles(values, weights, np.zeros(len(values), dtype=np.int64), 1, [q])
    return float(out[0, 0])


def grouped_quantiles(
    values: np.ndarray,
    weights: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    qs: Sequence[float],
) -> np.ndarray:
    r"""Lower weighted quantiles of ``values`` per group, ``(n_groups, len(qs))``; ``nan`` if empty.

    One sort for all groups: within each group the cumulative weight is searched for
    :math:`q \sum w` (points with weight 0 or a negative group are left out).
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    keep = (weights > 0) & (group >= 0)
    v, w, g = values[keep], weights[keep], group[keep]
    out = np.full((n_groups, len(qs)), np.nan)
    if not len(v):
        return out
    order = np.lexsort((v, g))
    v, w, g = v[order], w[order], g[order]
    cumulative = np.cumsum(w)
    totals = np.bincount(g, weights=w, minlength=n_groups)
    ends = np.cumsum(np.bincount(g, minlength=n_groups))
    starts = ends - np.bincount(g, minlength=n_groups)
    before = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    present = ends > starts
    for k, q in enumerate(qs):
        target = before + q * totals * (1 - 1e-12)
        pos = np.searchsorted(cumulative, target, side="left")
        pos = np.clip(pos, starts, np.maximum(ends - 1, starts))
        out[present, k] = v[pos[present]]
    return out


@dataclass(frozen=True)
class ZoneIndex:
    """The zone of every demand point and every service, looked up once.

    Attributes
    ----------
    codes, names
        Zone codes and names in table order (without the total row).
    of_demand
        Position in ``codes`` of each demand point's zone (-1: in no zone).
    weight
        Demand weight per point.
    measured
        Per point: the distance engine measures it (``False`` in zones it leaves out).
    total_name
        Name of the total row («Hele byen», or the study area's).

    """

    codes: np.ndarray
    names: np.ndarray
    of_demand: np.ndarray
    weight: np.ndarray
    measured: np.ndarray
    total_name: str = CITY_NAME

    @classmethod
    def from_demand(
        cls, demand: pd.DataFrame, zones: pd.DataFrame, total_name: str = CITY_NAME
    ) -> ZoneIndex:
        """From demand points with ``zone_code`` and ``weight`` and zones with ``zone_code``, ``zone``."""
        codes = zones["zone_code"].astype(str).to_numpy()
        lookup = pd.Index(codes)
        of_demand = lookup.get_indexer(pd.Index(demand["zone_code"].astype(str)))
        measured = (
            ~demand["excluded"].to_numpy(dtype=bool)
            if "excluded" in demand
            else np.ones(len(demand), dtype=bool)
        )
        return cls(
            codes=codes,
            names=zones["zone"].astype(str).to_numpy(),
            of_demand=of_demand.astype(np.int64),
            weight=demand["weight"].to_numpy(dtype=float),
            measured=measured,
            total_name=total_name,
        )

    def with_weight(self, weight: np.ndarray) -> ZoneIndex:
        """The same zones with other demand weights (user data, the need proxy)."""
        return ZoneIndex(
            self.codes,
            self.names,
            self.of_demand,
            np.asarray(weight, dtype=float),
            self.measured,
            self.total_name,
        )

    def service_counts(
        self, services: pd.DataFrame, categories: Sequence[str]
    ) -> dict[str, np.ndarray]:
        """Per zone: located services of each category (``services`` carry ``zone_code``)."""
        return ServiceCounts.of(self, services, categories).columns(categories)

    def positions(self, zone_codes: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Position in :attr:`codes` of each zone code (-1: none, or not one of these zones)."""
        codes = pd.Index(pd.Series(zone_codes, dtype=object).astype(str))
        found = pd.Index(self.codes).get_indexer(codes).astype(np.int64)
        return np.where(pd.isna(np.asarray(zone_codes, dtype=object)), -1, found)


@dataclass(frozen=True)
class ServiceCounts:
    """Services per zone and category as one integer matrix, cheap to change for a scenario.

    Attributes
    ----------
    slugs
        The categories (matrix columns): every known category, then any other chosen one.
    matrix
        ``matrix[z, c]``: services of category ``slugs[c]`` located in zone ``z``.

    """

    slugs: tuple[str, ...]
    matrix: np.ndarray

    @classmethod
    def of(
        cls, index: ZoneIndex, services: pd.DataFrame, categories: Sequence[str]
    ) -> ServiceCounts:
        """Count a registry (``zone_code`` and ``category`` per row; rows without zone skipped)."""
        slugs = (*CATEGORIES, *[c for c in categories if c not in CATEGORIES])
        zero = cls(slugs, np.zeros((len(index.codes), len(slugs)), dtype=np.int64))
        if not len(services):
            return zero
        return zero.changed(
            index.positions(services["zone_code"].to_numpy()), services["category"].to_numpy()
        )

    def changed(
        self, zone_pos: np.ndarray, categories: Sequence[Any] | np.ndarray, sign: int = 1
    ) -> ServiceCounts:
        """These counts with services added (``sign=1``) or taken away (``-1``).

        ``zone_pos`` is each service's zone position (:meth:`ZoneIndex.positions`); services
        outside every zone or of no known category change nothing.
        """
        slug_pos = pd.Index(self.slugs).get_indexer(pd.Index(np.asarray(categories, dtype=object)))
        ok = (np.asarray(zone_pos) >= 0) & (slug_pos >= 0)
        matrix = self.matrix.copy()
        np.add.at(matrix, (np.asarray(zone_pos)[ok], slug_pos[ok]), sign)
        return ServiceCounts(self.slugs, matrix)

    def columns(self, categories: Sequence[str]) -> dict[str, np.ndarray]:
        """``{category: counts per zone}`` for every known category and ``n_services`` (chosen)."""
        out = {slug: self.matrix[:, k] for k, slug in enumerate(self.slugs) if slug in CATEGORIES}
        chosen = [k for k, slug in enumerate(self.slugs) if slug in set(categories)]
        out["n_services"] = self.matrix[:, chosen].sum(axis=1)
        return out


def zone_metrics(
    index: ZoneIndex,
    nearest_m: np.ndarray,
    services: gpd.GeoDataFrame | pd.DataFrame,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    categories: Sequence[str] | None = None,
    walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
) -> pd.DataFrame:
    """The metric table: one row per zone, then the total row (code ``0301``).

    Parameters
    ----------
    index
        The zones of the demand points (:meth:`ZoneIndex.from_demand`).
    nearest_m
        Metres from each demand point to its nearest service of the chosen categories.
    services
        Service registry with ``zone_code`` and ``category`` (those with a zone are counted).
    threshold_m
        Threshold distance for the coverage columns.
    categories
        Categories counted in ``n_services``; all when ``None``.
    walk_speed_kmh
        Walking speed that turns the median distance into minutes.

    """
    cats = list(categories) if categories else list(CATEGORIES)
    columns = zone_metric_columns(
        index,
        nearest_m,
        index.service_counts(services, cats),
        threshold_m,
        walk_speed_kmh,
    )
    return metric_table(columns, threshold_m, cats, walk_speed_kmh)


def metric_table(
    columns: Mapping[str, np.ndarray],
    threshold_m: float,
    categories: Sequence[str],
    walk_speed_kmh: float,
) -> pd.DataFrame:
    """The table of :func:`zone_metric_columns`, with its settings in ``attrs``."""
    table = pd.DataFrame(columns)  # one construction: column-by-column inserts cost more
    table.attrs.update(
        threshold_m=threshold_m, categories=list(categories), walk_speed_kmh=walk_speed_kmh
    )
    return table


def zone_metric_columns(
    index: ZoneIndex,
    nearest_m: np.ndarray,
    counts: Mapping[str, np.ndarray],
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
) -> dict[str, np.ndarray]:
    """The columns of :func:`zone_metrics` as arrays, from counted services.

    ``counts`` is :meth:`ServiceCounts.columns` (or :meth:`ZoneIndex.service_counts`). A what-if
    scenario changes its counts and distances and builds the same table from here.
    """
    d = np.asarray(nearest_m, dtype=float)
    if len(d) != len(index.weight):
        raise ValueError(
            f"nearest_m har {len(d)} verdier, men det er {len(index.weight)} etterspørselspunkter."
        )
    n = len(index.codes)
    zone = np.where(index.of_demand >= 0, index.of_demand, n)  # n: in no zone (total only)
    w = index.weight
    measured = index.measured
    sums = _sums(zone, n, w, measured, d, threshold_m)
    quant = np.vstack(
        [
            grouped_quantiles(d, np.where(measured, w, 0.0), zone, n + 1, [0.5, 0.9])[:n],
            grouped_quantiles(
                d, np.where(measured, w, 0.0), np.zeros(len(d), np.int64), 1, [0.5, 0.9]
            ),
        ]
    )
    population = sums["population"]
    n_services = np.r_[counts["n_services"], counts["n_services"].sum()].astype(int)
    columns: dict[str, np.ndarray] = {
        "zone_code": np.r_[index.codes, [CITY_CODE]].astype(object),
        "zone": np.r_[index.names, [index.total_name]].astype(object),
        "population": population,
        "n_services": n_services,
    }
    for slug in CATEGORIES:
        columns[f"n_{slug}"] = np.r_[counts[slug], counts[slug].sum()].astype(int)
    total_pop, total_services = float(population[-1]), float(n_services[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        has = sums["measured"] > 0
        share_pop = population / total_pop if total_pop else np.full(n + 1, np.nan)
        share_services = n_services / total_services if total_services else np.full(n + 1, np.nan)
        columns.update(
            services_per_10k=np.where(population > 0, 1e4 * n_services / population, np.nan),
            residents_within_threshold=np.where(has, sums["within"], np.nan),
            share_within_threshold=np.where(has, sums["within"] / sums["measured"], np.nan),
            mean_distance_m=np.where(
                sums["finite_w"] > 0,
                sums["finite_wd"] / sums["finite_w"],
                np.where(has, np.inf, np.nan),
            ),
            median_distance_m=quant[:, 0],
            p90_distance_m=quant[:, 1],
            median_walk_min=quant[:, 0] / settings.walk_metres_per_minute(walk_speed_kmh),
            share_of_population=share_pop,
            share_of_services=share_services,
            location_quotient=share_services / share_pop,
        )
    return columns


def _sums(
    zone: np.ndarray, n: int, w: np.ndarray, measured: np.ndarray, d: np.ndarray, threshold: float
) -> dict[str, np.ndarray]:
    """Weight sums per zone (and, last, the total): all, measured, within, finite distances."""

    def per_zone(values: np.ndarray) -> np.ndarray:
        by_zone = np.bincount(zone, weights=values, minlength=n + 1)[:n]
        return np.r_[by_zone, values.sum()]

    wm = np.where(measured, w, 0.0)
    finite = np.isfinite(d) & measured
    return {
        "population": per_zone(w),
        "measured": per_zone(wm),
        "within": per_zone(np.where(d <= threshold, wm, 0.0)),
        "finite_w": per_zone(np.where(finite, w, 0.0)),
        "finite_wd": per_zone(np.where(finite, w * np.where(finite, d, 0.0), 0.0)),
    }
