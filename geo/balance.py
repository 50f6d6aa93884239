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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import settings

BYDEL_GROUPS_FILE = "bydel_groups.csv"
CENTRAL_GROUP = "Indre by"
"""The group whose bydeler count as «central» in :func:`concentration_share`."""

METRIC_LABELS: dict[str, str] = {
    "gini": "Gini-koeffisient",
    "theil": "Theil-indeks",
    "theil_within": "Theil innen bydelsgrupper",
    "theil_between": "Theil mellom bydelsgrupper",
    "theil_between_share": "Andel av Theil mellom grupper",
    "min_value": "Laveste bydelsverdi",
    "max_value": "Høyeste bydelsverdi",
    "herfindahl": "Herfindahl-indeks",
    "herfindahl_normalised": "Normalisert Herfindahl-indeks",
    "central_service_share": "Sentrale bydelers andel av tilbudene",
    "central_population_share": "Sentrale bydelers andel av innbyggerne",
    "central_ratio": "Konsentrasjonsforhold sentrum",
    "location_quotient": "Lokaliseringskvotient",
    "lorenz": "Lorenzkurve",
}

METRIC_HELP: dict[str, str] = {
    "gini": "Hvor ujevnt tilgangen er fordelt mellom bydelene, veid med innbyggere: 0 = helt likt, 1 = alt på én bydel.",
    "theil": "Ulikhet i tilgang mellom bydelene (0 = helt likt); kan deles i ulikhet innen og mellom bydelsgrupper.",
    "theil_within": "Den delen av Theil-indeksen som skyldes forskjeller mellom bydeler i samme bydelsgruppe.",
    "theil_between": "Den delen av Theil-indeksen som skyldes forskjeller mellom bydelsgruppene (indre by, ytre øst, ytre vest, ytre sør).",
    "theil_between_share": "Hvor stor del av ulikheten som ligger mellom bydelsgruppene heller enn innen dem.",
    "min_value": "Verdien for den bydelen som kommer dårligst ut.",
    "max_value": "Verdien for den bydelen som kommer best ut.",
    "herfindahl": "Hvor samlet tilbudene er på få bydeler: 1 = alle i én bydel, 1/antall bydeler = helt jevnt spredt.",
    "herfindahl_normalised": "Herfindahl-indeksen skalert til 0 (helt jevnt spredt) – 1 (alle tilbud i én bydel).",
    "central_service_share": "Hvor stor andel av tilbudene som ligger i indre by.",
    "central_population_share": "Hvor stor andel av innbyggerne (eller brukerne) som bor i indre by.",
    "central_ratio": "Indre bys andel av tilbudene delt på dens andel av innbyggerne: over 1 betyr at tilbudene er samlet sentralt.",
    "location_quotient": "Bydelens andel av tilbudene delt på andelen av innbyggerne: 1 = byens snitt, under 1 = færre tilbud enn folketallet tilsier.",
    "lorenz": "Kurven viser hvor stor andel av tilgangen de x % med dårligst tilgang har; jo lenger under diagonalen, jo skjevere.",
}
"""One bokmål sentence per metric, for the app's help texts."""


# ---------------------------------------------------------------------- validation helpers
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


# ---------------------------------------------------------------------- inequality
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


# ---------------------------------------------------------------------- concentration
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


# ---------------------------------------------------------------------- bydel groups
def load_bydel_groups(path: str | Path | None = None) -> pd.Series:
    """Load the editable bydel grouping (``data/bydel_groups.csv``).

    Returns
    -------
    pandas.Series
        Group label indexed by 6-digit bydel code.

    Raises
    ------
    geo.io.InputError
        When a column is missing, a bydel code is unknown or repeated, or a group is empty; the
        message names the file, row and column.

    """
    from geo.io import InputError, Problem
    from geo.names import normalise_bydel

    file = Path(path) if path is not None else settings.project_data_dir() / BYDEL_GROUPS_FILE
    try:
        raw = pd.read_csv(file, dtype=str, comment="#")
    except FileNotFoundError:
        raise InputError(Problem(file.name, None, None, "Filen finnes ikke.")) from None
    for column in ("bydel_code", "group"):
        if column not in raw.columns:
            raise InputError(Problem(file.name, None, column, f"Kolonnen «{column}» mangler."))
    problems = []
    out: dict[str, str] = {}
    for position, record in enumerate(raw.to_dict("records")):
        row = position + 2  # header is row 1
        code = normalise_bydel(record.get("bydel_code"))
        group = str(record.get("group") or "").strip()
        if code is None:
            problems.append(
                Problem(
                    file.name, row, "bydel_code", f"Ukjent bydelskode «{record.get('bydel_code')}»."
                )
            )
        elif code in out:
            problems.append(Problem(file.name, row, "bydel_code", f"Bydel {code} står to ganger."))
        elif not group or group.lower() == "nan":
            problems.append(Problem(file.name, row, "group", "Gruppen er tom."))
        else:
            out[code] = group
    if problems:
        raise InputError(problems)
    return pd.Series(out, name="group").rename_axis("bydel_code")


def central_codes(groups: pd.Series | None = None, central_group: str = CENTRAL_GROUP) -> list[str]:
    """Bydel codes of the central group («Indre by» unless another label is given)."""
    groups = load_bydel_groups() if groups is None else groups
    return sorted(groups.index[groups == central_group])


# ---------------------------------------------------------------------- summary
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
    from geo.names import CITY_CODE

    grouping = load_bydel_groups() if groups is None else pd.Series(groups)
    rows = table[table["bydel_code"].astype(str) != CITY_CODE].set_index("bydel_code")
    for column in (value_col, weight_col):
        if column not in rows.columns:
            raise ValueError(f"Tabellen mangler kolonnen «{column}».")
    usable = rows[rows[weight_col].astype(float) > 0]
    usable = usable[np.isfinite(usable[value_col].astype(float))]
    values = usable[value_col].astype(float).to_numpy()
    weights = usable[weight_col].astype(float).to_numpy()
    labels = usable.index.map(lambda code: grouping.get(code, "Uten gruppe")).to_numpy()
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
            counts, population, [str(c) for c, g in grouping.items() if g == central_group]
        )
        metrics["central_service_share"] = centre.service_share
        metrics["central_population_share"] = centre.population_share
        metrics["central_ratio"] = centre.ratio
        lq = location_quotient(counts, population)
    out = pd.DataFrame(
        {
            "metric": list(metrics),
            "value": list(metrics.values()),
            "label": [METRIC_LABELS[m] for m in metrics],
            "help": [METRIC_HELP[m] for m in metrics],
        }
    )
    out.attrs.update(
        value_col=value_col,
        weight_col=weight_col,
        theil_by_group=decomposition.by_group,
        location_quotient=lq,
    )
    return out
