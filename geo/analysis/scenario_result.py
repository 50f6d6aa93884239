"""A what-if scenario's result: the distances at once, its tables when first read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "ScenarioResult",
    "column_difference",
]


class _ScenarioBuilder(Protocol):
    """What a scenario builds on first read: its zone table, its registry and its sites."""

    def table(self) -> pd.DataFrame: ...

    def diff(self) -> pd.DataFrame: ...

    def rows(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]: ...


@dataclass
class ScenarioResult:
    """Outcome of :meth:`WhatIf.scenario`: distances at once, tables when first read.

    A search over many scenarios reads only the distances; the zone table and the diff are
    built on first access (from the zone and category of each site, without copying the
    registry), and the changed registry and site list only when they are read.

    Attributes
    ----------
    nearest_m
        Metres from each demand point to its nearest site in the scenario.
    nearest_site
        Row position in :attr:`sites` of that site (``-1`` if none).
    elapsed_s
        Seconds used for the distances.

    """

    nearest_m: np.ndarray
    nearest_site: np.ndarray
    elapsed_s: float
    _builder: _ScenarioBuilder = field(repr=False)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The zone metric table with the changes."""
        return self._builder.table()

    @cached_property
    def diff(self) -> pd.DataFrame:
        """``scenario - baseline`` per zone (``d_<metric>`` columns)."""
        return self._builder.diff()

    @cached_property
    def _rows(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        return self._builder.rows()

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """The scenario's sites: kept baseline rows, then added and moved ones."""
        return self._rows[0]

    @property
    def services(self) -> gpd.GeoDataFrame:
        """The registry as the scenario has it (what the table counts)."""
        return self._rows[1]


def column_difference(
    baseline: Mapping[str, np.ndarray], scenario: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """:func:`geo.analysis.metrics.compare_tables` of two tables given as their columns.

    Two tables from the same :class:`WhatIf` have identical zone rows, so the difference is a
    plain subtraction per metric (``d_<metric>``; whole numbers stay whole), without the merge
    on the keys nor reading a column back out of a table.
    """
    columns: dict[str, Any] = {k: baseline[k] for k in ("zone_code", "zone")}
    with np.errstate(invalid="ignore"):
        for column, old in baseline.items():
            old = np.asarray(old)
            if column in columns or not np.issubdtype(old.dtype, np.number):
                continue
            new = np.asarray(scenario[column])
            change = new.astype(float) - old.astype(float)
            whole = np.issubdtype(old.dtype, np.integer) and np.issubdtype(new.dtype, np.integer)
            columns[f"d_{column}"] = change.astype(np.int64) if whole else change
    return pd.DataFrame(columns)
