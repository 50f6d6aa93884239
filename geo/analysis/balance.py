r"""Balance of services across bydeler: inequality and concentration measures.

The mandate asks for a *balanced geographic distribution* of low-threshold services, not a
concentration in a few central areas. This module holds the measures that make "balanced"
checkable. All functions are pure (numpy arrays / pandas Series in, numbers or frames out), and
all of them are **weighted**: each bydel counts with its residents (or a user-data column), so a
small bydel does not count as much as a large one.

Conventions used by every function here:

* ``values`` are non-negative (coverage share, 2SFCA index, metres to the nearest service …);
  a negative value raises ``ValueError``.
* ``weights`` are non-negative with a positive sum; rows with zero weight do not count.
* :math:`0 \cdot \ln 0 = 0` (the limit), so a bydel with value 0 adds nothing to the Theil index
  but still counts in the mean.
* When **every** value is 0 (e.g. nobody is within the threshold of any service), there is no
  distribution to be unequal about: Gini and Theil return 0 and the Lorenz curve is the diagonal.
  The app should show the coverage level next to these measures, since "equally nothing" is not
  good.

The PySAL ``inequality`` Theil/Gini are unweighted; the versions here follow the weighted
definitions (Cowell, *Measuring Inequality*, 3rd ed., 2011, ch. 3 and technical appendix) and
are checked against hand-worked examples in ``tests/test_balance.py``.

The bydel grouping used for the within/between split (indre by, ytre øst, ytre vest, ytre sør) is
data: ``data/bydel_groups.csv`` (definition and sources in ``data/bydel_groups.md``), loaded with
:func:`load_bydel_groups`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.access import access_by_zone, accessibility
from geo.analysis.metrics import coverage_table
from geo.data.groups import CENTRAL_GROUP, load_bydel_groups
from geo.data.services import located
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.geom import xy_of
from geo.labels import BALANCE_HELP, BALANCE_LABELS
from geo.names import CITY_CODE

__all__ = [
    "ACCESS_MEASURES",
    "ConcentrationShare",
    "TheilDecomposition",
    "balance_summary",
    "concentration_share",
    "current_balance",
    "group_of",
    "herfindahl",
    "location_quotient",
    "lorenz_curve",
    "theil_decomposition",
    "weighted_gini",
    "weighted_theil",
]


def _as_arrays(values: Any, weights: Any | None) -> tuple[np.ndarray, np.ndarray]:
    """Validate and align values and weights; rows with zero weight are dropped."""
    x = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    if x.shape != w.shape:
        raise ValueError(f"values ({len(x)}) og weights ({len(w)}) må ha like mange verdier.")
    if not (np.isfinite(x).all() and np.isfinite(w).all()):
        raise ValueError("Verdier og vekter må være endelige tall (ingen NaN eller uendelig).")
    if (x < 0).any():
        raise ValueError("Ulikhetsmålene krever verdier ≥ 0.")
    if (w < 0).any():
        raise ValueError("Vektene må være ≥ 0.")
    keep = w > 0
    if not keep.any():
        raise ValueError("Summen av vektene må være større enn 0.")
    return x[keep], w[keep]


def _xlogx_ratio(share: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """``share * ln(ratio)`` elementwise with the convention 0·ln 0 = 0."""
    out = np.zeros_like(share, dtype=float)
    positive = share > 0
    out[positive] = share[positive] * np.log(ratio[positive])
    return out


def weighted_gini(values: Any, weights: Any | None = None) -> float:
    r"""Population-weighted Gini coefficient.

    .. math::

        G = \frac{\sum_i \sum_j w_i w_j \, |x_i - x_j|}{2 W^2 \mu},
        \qquad W = \sum_i w_i, \quad \mu = \frac{1}{W} \sum_i w_i x_i

    computed in :math:`O(n \log n)` from the values sorted ascending with cumulative weights
    :math:`C_i`:
    :math:`G = \sum_i w_i x_i (2 C_i - w_i - W) \,/\, (W \sum_i w_i x_i)`.
    With integer weights this equals the ordinary Gini of the list where value :math:`x_i` is
    repeated :math:`w_i` times.

    Betydning: hvor ujevnt tilgangen er fordelt, veid med innbyggere (0 = helt likt, 1 = alt hos én).

    Parameters
    ----------
    values
        Non-negative values, one per unit (bydel).
    weights
        Non-negative weights (residents); equal weights when ``None``.

    Returns
    -------
    float
        In :math:`[0, 1)`; 0 when all values are equal, including when all are 0.

    """
    x, w = _as_arrays(values, weights)
    total_value = float((w * x).sum())
    if total_value == 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    total_weight = cumulative[-1]
    numerator = float((w * x * (2 * cumulative - w - total_weight)).sum())
    return max(0.0, numerator / (total_weight * total_value))


def weighted_theil(values: Any, weights: Any | None = None) -> float:
    r"""Population-weighted Theil index :math:`T` (generalised entropy with :math:`\alpha = 1`).

    .. math::

        T = \sum_i s_i \ln \frac{x_i}{\mu}, \qquad
        s_i = \frac{w_i x_i}{\sum_k w_k x_k}, \quad \mu = \frac{\sum_k w_k x_k}{\sum_k w_k}

    with :math:`0 \cdot \ln 0 = 0`. :math:`T = 0` when every unit has the mean value; the maximum
    is :math:`\ln(W / w_k)` when unit *k* holds everything.

    Betydning: ulikhet i tilgang mellom bydelene (0 = helt likt), og den kan deles i ulikhet innen
    og mellom bydelsgrupper.

    Parameters
    ----------
    values
        Non-negative values, one per unit.
    weights
        Non-negative weights; equal weights when ``None``.

    Returns
    -------
    float
        :math:`T \ge 0`; 0 when all values are 0.

    """
    x, w = _as_arrays(values, weights)
    total_value = float((w * x).sum())
    if total_value == 0:
        return 0.0
    mean = total_value / float(w.sum())
    share = w * x / total_value
    return max(0.0, float(_xlogx_ratio(share, x / mean).sum()))


@dataclass(frozen=True)
class TheilDecomposition:
    r"""Theil index split into a within-group and a between-group part.

    Attributes
    ----------
    total
        :math:`T` of all units.
    within
        :math:`\sum_g S_g T_g`.
    between
        :math:`\sum_g S_g \ln(\mu_g / \mu)`.
    by_group
        One row per group: ``group``, ``weight``, ``mean``, ``value_share`` (:math:`S_g`),
        ``theil`` (:math:`T_g`), ``within_contribution`` (:math:`S_g T_g`).

    """

    total: float
    within: float
    between: float
    by_group: pd.DataFrame

    @property
    def between_share(self) -> float:
        """Share of the total that lies between groups (``nan`` when the total is 0)."""
        return self.between / self.total if self.total > 0 else float("nan")


def theil_decomposition(values: Any, weights: Any | None, groups: Any) -> TheilDecomposition:
    r"""Weighted Theil index split into within- and between-group parts.

    .. math::

        T = \underbrace{\sum_g S_g T_g}_{\text{innen}} +
            \underbrace{\sum_g S_g \ln \frac{\mu_g}{\mu}}_{\text{mellom}},
        \qquad S_g = \frac{\sum_{i \in g} w_i x_i}{\sum_i w_i x_i}

    where :math:`T_g` and :math:`\mu_g` are the weighted Theil index and mean inside group *g*.
    The two parts sum exactly to :func:`weighted_theil` of all units. A group whose values are
    all 0 has :math:`S_g = 0` and adds nothing to either part.

    Betydning: hvor mye av ulikheten som skyldes forskjeller mellom bydelsgruppene (f.eks. indre
    by mot ytre øst) og hvor mye som skyldes forskjeller mellom bydeler i samme gruppe.

    Parameters
    ----------
    values, weights
        As in :func:`weighted_theil`.
    groups
        Group label of every unit (same length as ``values``).

    """
    x_all = np.asarray(values, dtype=float).ravel()
    w_all = np.ones_like(x_all) if weights is None else np.asarray(weights, dtype=float).ravel()
    g_all = np.asarray(groups, dtype=object).ravel()
    if len(g_all) != len(x_all):
        raise ValueError(
            f"groups ({len(g_all)}) og values ({len(x_all)}) må ha like mange verdier."
        )
    x, w = _as_arrays(x_all, w_all)
    g = g_all[w_all > 0]
    total = weighted_theil(x, w)
    total_value = float((w * x).sum())
    mean = total_value / float(w.sum())
    rows = []
    within = between = 0.0
    for label in pd.unique(pd.Series(g)):
        mask = g == label
        wg, xg = w[mask], x[mask]
        group_value = float((wg * xg).sum())
        group_mean = group_value / float(wg.sum())
        share = group_value / total_value if total_value > 0 else 0.0
        theil_g = weighted_theil(xg, wg) if group_value > 0 else 0.0
        within += share * theil_g
        if share > 0:
            between += share * np.log(group_mean / mean)
        rows.append(
            {
                "group": label,
                "weight": float(wg.sum()),
                "mean": group_mean,
                "value_share": share,
                "theil": theil_g,
                "within_contribution": share * theil_g,
            }
        )
    return TheilDecomposition(total, within, float(between), pd.DataFrame(rows))


def lorenz_curve(values: Any, weights: Any | None = None) -> pd.DataFrame:
    r"""Weighted Lorenz curve: cumulative share of the value held by the worst-off share of people.

    Units are sorted by value ascending; point *k* is

    .. math::

        \left( \frac{\sum_{i \le k} w_i}{W}, \;
               \frac{\sum_{i \le k} w_i x_i}{\sum_i w_i x_i} \right)

    starting at (0, 0) and ending at (1, 1). The Gini coefficient is twice the area between the
    diagonal and this curve.

    Betydning: hvor stor andel av tilgangen de x % med dårligst tilgang har.

    Returns
    -------
    pandas.DataFrame
        ``cum_pop_share``, ``cum_value_share`` (n + 1 rows). When all values are 0 the curve is the
        diagonal.

    """
    x, w = _as_arrays(values, weights)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum_pop = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    value_mass = w * x
    if value_mass.sum() > 0:
        cum_value = np.concatenate([[0.0], np.cumsum(value_mass) / value_mass.sum()])
    else:
        cum_value = cum_pop.copy()
    cum_pop[-1] = cum_value[-1] = 1.0  # exact endpoint despite rounding
    return pd.DataFrame({"cum_pop_share": cum_pop, "cum_value_share": cum_value})


def herfindahl(counts: Any, normalised: bool = False) -> float:
    r"""Herfindahl(-Hirschman) index of services across bydeler.

    .. math::

        H = \sum_b s_b^2, \qquad s_b = \frac{S_b}{\sum_k S_k}, \qquad
        H^{*} = \frac{H - 1/n}{1 - 1/n}

    :math:`H = 1/n` when the *n* bydeler have equally many services, 1 when one bydel has all.
    With ``normalised=True`` :math:`H^{*}` is returned (0 = equal spread, 1 = all in one; 0 for
    :math:`n = 1`).

    Betydning: hvor samlet tilbudene er på få bydeler.

    Parameters
    ----------
    counts
        Services per bydel (include bydeler with 0 so that *n* is right).
    normalised
        Return :math:`H^{*}` instead of :math:`H`.

    Returns
    -------
    float
        ``nan`` when there are no services at all.

    """
    c = np.asarray(counts, dtype=float).ravel()
    if (c < 0).any() or not np.isfinite(c).all():
        raise ValueError("Antall tilbud må være endelige tall ≥ 0.")
    total = c.sum()
    if len(c) == 0 or total == 0:
        return float("nan")
    h = float(((c / total) ** 2).sum())
    if not normalised:
        return h
    n = len(c)
    return 0.0 if n == 1 else (h - 1 / n) / (1 - 1 / n)


def location_quotient(service_counts: pd.Series, population: pd.Series) -> pd.Series:
    r"""Location quotient of services per bydel.

    .. math::

        LQ_b = \frac{S_b / \sum_k S_k}{P_b / \sum_k P_k}

    1 means the bydel's share of services equals its share of residents (or users); below 1 it
    has fewer services than its population suggests. ``nan`` for a bydel without population, and
    everywhere when there are no services.

    Betydning: bydelens andel av tilbudene delt på andelen av innbyggerne.

    Parameters
    ----------
    service_counts, population
        Series indexed by bydel code (aligned on the index; a missing count is 0).

    """
    pop = population.astype(float)
    services = service_counts.reindex(pop.index).fillna(0).astype(float)
    total_services, total_pop = services.sum(), pop.sum()
    if total_services == 0 or total_pop == 0:
        return pd.Series(np.nan, index=pop.index, name="location_quotient")
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (services / total_services) / (pop / total_pop)
    return lq.where(pop > 0).rename("location_quotient")


@dataclass(frozen=True)
class ConcentrationShare:
    """Share of services in the central bydeler against their share of people."""

    service_share: float
    population_share: float

    @property
    def ratio(self) -> float:
        """``service_share / population_share`` (> 1: services concentrated centrally)."""
        return (
            self.service_share / self.population_share
            if self.population_share > 0
            else float("nan")
        )


def concentration_share(
    service_counts: pd.Series, population: pd.Series, central_codes: Iterable[str]
) -> ConcentrationShare:
    r"""Share of services located in the central bydeler, against their share of residents/users.

    .. math::

        c_S = \frac{\sum_{b \in Z} S_b}{\sum_b S_b}, \qquad
        c_P = \frac{\sum_{b \in Z} P_b}{\sum_b P_b}, \qquad
        \text{ratio} = c_S / c_P

    where *Z* is the set of central bydeler (the group «Indre by» in ``data/bydel_groups.csv``).

    Betydning: om tilbudene er samlet sentralt i forhold til hvor folk bor (forhold over 1).

    """
    central = set(central_codes)
    pop = population.astype(float)
    services = service_counts.reindex(pop.index).fillna(0).astype(float)
    is_central = pop.index.isin(list(central))
    total_s, total_p = services.sum(), pop.sum()
    return ConcentrationShare(
        float(services[is_central].sum() / total_s) if total_s > 0 else float("nan"),
        float(pop[is_central].sum() / total_p) if total_p > 0 else float("nan"),
    )


def group_of(zone_code: str, grouping: pd.Series) -> str:
    """The bydel group of a zone: its own (a bydel), its bydel's (a delbydel), or «Uten gruppe».

    A delbydel zone code is ``0301`` + its 4-digit code, whose first two digits are the bydel.

    A zone made of parts of several bydeler (a proposed bydel) has no group of its own.
    """
    if zone_code in grouping.index:
        return str(grouping[zone_code])
    if len(zone_code) == 8 and zone_code.startswith("0301"):  # a delbydel: 0301 + bb + dd
        return str(grouping.get(zone_code[:6], "Uten gruppe"))
    return "Uten gruppe"


def balance_summary(
    table: pd.DataFrame,
    value_col: str,
    weight_col: str = "population",
    groups: pd.Series | Mapping[str, str] | None = None,
    service_col: str | None = "n_services",
    central_group: str = CENTRAL_GROUP,
) -> pd.DataFrame:
    r"""Every balance metric for one per-bydel table, one named value per row.

    Parameters
    ----------
    table
        One row per bydel with ``bydel_code`` (the whole-city row ``0301`` is ignored), the access
        column and the weight column, e.g. :func:`geo.metrics.coverage_table`.
    value_col
        Access measure per bydel (``share_within_threshold``, a 2SFCA index, or a distance; for
        distances higher means worse, the inequality measures read the same way).
    weight_col
        Residents or a user-data weight per bydel.
    groups
        Bydel code → group label; ``data/bydel_groups.csv`` when ``None``.
    service_col
        Services per bydel for Herfindahl and the central concentration (skipped when ``None``
        or absent).
    central_group
        Group label counted as central.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``value``, ``label``, ``help`` (bokmål); ``attrs`` hold the
        decomposition per group (``theil_by_group``) and the per-bydel location quotients
        (``location_quotient``).

    """
    grouping = load_bydel_groups() if groups is None else pd.Series(groups)
    rows = table[table["zone_code"].astype(str) != CITY_CODE].set_index("zone_code")
    for column in (value_col, weight_col):
        if column not in rows.columns:
            raise ValueError(f"Tabellen mangler kolonnen «{column}».")
    usable = rows[rows[weight_col].astype(float) > 0]
    usable = usable[np.isfinite(usable[value_col].astype(float))]
    values = usable[value_col].astype(float).to_numpy()
    weights = usable[weight_col].astype(float).to_numpy()
    labels = usable.index.map(lambda code: group_of(str(code), grouping)).to_numpy()
    decomposition = theil_decomposition(values, weights, labels)
    metrics: dict[str, float] = {
        "gini": weighted_gini(values, weights),
        "theil": decomposition.total,
        "theil_within": decomposition.within,
        "theil_between": decomposition.between,
        "theil_between_share": decomposition.between_share,
        "min_value": float(values.min()),
        "max_value": float(values.max()),
    }
    lq = pd.Series(dtype=float)
    if service_col is not None and service_col in rows.columns:
        counts = rows[service_col].astype(float)
        population = rows[weight_col].astype(float)
        metrics["herfindahl"] = herfindahl(counts.to_numpy())
        metrics["herfindahl_normalised"] = herfindahl(counts.to_numpy(), normalised=True)
        centre = concentration_share(
            counts,
            population,
            [str(c) for c in rows.index if group_of(str(c), grouping) == central_group],
        )
        metrics["central_service_share"] = centre.service_share
        metrics["central_population_share"] = centre.population_share
        metrics["central_ratio"] = centre.ratio
        lq = location_quotient(counts, population)
    out = pd.DataFrame(
        {
            "metric": list(metrics),
            "value": list(metrics.values()),
            "label": [BALANCE_LABELS[m] for m in metrics],
            "help": [BALANCE_HELP[m] for m in metrics],
        }
    )
    out.attrs.update(
        value_col=value_col,
        weight_col=weight_col,
        theil_by_group=decomposition.by_group,
        location_quotient=lq,
    )
    return out


ACCESS_MEASURES = {
    "share": "share_within_threshold",
    "median": "median_distance_m",
    "access": "access_per_10k",
}
"""``--measure`` → column of the per-bydel table used as the access value."""


def current_balance(
    study: Study,
    engine: DistanceEngine,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    categories: Sequence[str] | None = None,
    measure: str = "share",
    weights: np.ndarray | None = None,
    groups: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balance metrics of today's services, and the per-bydel table they were computed from.

    Parameters
    ----------
    study, engine, threshold_m, categories, weights
        As in :func:`geo.metrics.coverage_table`.
    measure
        ``share`` (share within the threshold), ``median`` (median distance, metres; higher is
        worse) or ``access`` (2SFCA index per 10 000, :mod:`geo.access`).
    groups
        Bydel grouping; ``data/bydel_groups.csv`` when ``None``.

    Returns
    -------
    (summary, table)
        :func:`geo.balance_summary` output and the per-bydel table with the chosen
        access column, ``population``, ``n_services`` and ``location_quotient``.

    """
    if measure not in ACCESS_MEASURES:
        raise ValueError(f"Ukjent tilgangsmål «{measure}»; bruk {', '.join(ACCESS_MEASURES)}.")
    table = coverage_table(
        study, list(categories) if categories else None, threshold_m, engine, weights=weights
    )
    column = ACCESS_MEASURES[measure]
    if measure == "access":
        w = study.demand["weight"].to_numpy(dtype=float) if weights is None else weights
        index = accessibility(
            engine,
            w,
            xy_of(located(study.services, list(categories) if categories else None)),
            threshold_m,
        )
        access = access_by_zone(index, w, study.demand["zone_code"].to_numpy())
        table = table.merge(access[["zone_code", column]], on="zone_code", how="left")
    summary = balance_summary(table, column, "population", groups)
    lq = summary.attrs["location_quotient"]
    table = table.assign(location_quotient=table["zone_code"].map(lq))
    summary.attrs.update(measure=measure, threshold_m=threshold_m)
    return summary, table
