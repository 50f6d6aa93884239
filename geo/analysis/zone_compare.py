"""The same metrics under two zone sets side by side (e.g. today's bydeler and proposal A).

Each zone set gets its own coverage table (:func:`geo.analysis.metrics.coverage_table`) and its
own balance indices (:func:`geo.analysis.balance.balance_summary`), computed from the same
residents, services and distances; what differs is only how the city is cut into zones. The
comparison names the zones that would have no low-threshold service at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from geo.analysis.balance import balance_summary
from geo.analysis.metrics import coverage_table
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.names import CITY_CODE

__all__ = [
    "COMPARED_METRICS",
    "SHORT_NAMES",
    "ZoneComparison",
    "compare_zone_sets",
]

COMPARED_METRICS = [
    "population",
    "n_services",
    "services_per_10k",
    "share_within_threshold",
    "median_distance_m",
    "location_quotient",
]
"""The metrics put side by side, per zone."""

SHORT_NAMES = {"bydel": "Bydeler i dag", "delbydel": "Delbydeler", "forslag-a": "Forslag A"}
"""Short names of the built-in zone sets, for narrow columns (the full label is always beside)."""


@dataclass
class ZoneComparison:
    """Two (or more) zone sets, one table and one set of balance indices each.

    Attributes
    ----------
    labels
        The zone sets' provenance lines, in order (they say «ikke vedtatt» for a proposal).
    names
        Their short names (column headers of :attr:`balance`).
    tables
        The coverage table of each zone set (same order).
    balance
        ``metric``, ``label`` and one column per zone set, named by :attr:`names`.
    without_service
        Per zone set: the names of the zones with no service of the chosen categories.

    """

    labels: list[str]
    names: list[str]
    tables: list[pd.DataFrame]
    balance: pd.DataFrame
    without_service: list[list[str]]

    def side_by_side(self) -> pd.DataFrame:
        """One long table: ``zone_set`` (the label), ``zone_code``, ``zone`` and the metrics."""
        parts = []
        for label, table in zip(self.labels, self.tables, strict=True):
            part = table[["zone_code", "zone", *COMPARED_METRICS]].copy()
            part.insert(0, "zone_set", label)
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out.attrs = dict(self.tables[0].attrs)
        return out

    def lines(self) -> list[str]:
        """Bokmål summary: which zones have no service, and how Gini and Theil change."""
        out = []
        for label, names in zip(self.labels, self.without_service, strict=True):
            listed = ", ".join(names) if names else "ingen"
            out.append(f"{label}: uten tilbud – {listed}.")
        return out


def compare_zone_sets(
    cases: Sequence[tuple[Study, DistanceEngine]],
    categories: Sequence[str] | None,
    threshold_m: float,
    walk_speed_kmh: float,
) -> ZoneComparison:
    """Compute the tables and balance indices of each ``(study with its zones, engine)`` case.

    Every study must hold the same residents and services (:meth:`Study.with_zones` of one
    study); the engine of each is made for its zones, since the walking network's reach is
    judged per zone.
    """
    labels, names, tables, summaries, empty = [], [], [], [], []
    for study, engine in cases:
        table = coverage_table(
            study,
            list(categories) if categories else None,
            threshold_m,
            engine,
            walk_speed_kmh=walk_speed_kmh,
        )
        rows = table[table["zone_code"] != CITY_CODE]
        labels.append(table.attrs.get("zone_provenance", "") or str(study.zone_set))
        key = study.zone_set.key if study.zone_set is not None else "bydel"
        names.append(SHORT_NAMES.get(key, key))
        tables.append(table)
        summaries.append(balance_summary(table, "share_within_threshold", "population"))
        empty.append(rows.loc[rows["n_services"] == 0, "zone"].astype(str).tolist())
    balance = summaries[0][["metric", "label"]].copy()
    for name, summary in zip(names, summaries, strict=True):
        balance[name] = summary.set_index("metric").reindex(balance["metric"])["value"].to_numpy()
    return ZoneComparison(labels, names, tables, balance, empty)
