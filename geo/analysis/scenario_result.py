"""A what-if scenario's result: the distances at once, its tables when first read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api.types import is_integer_dtype, is_numeric_dtype

from geo.analysis.metrics import compare_tables

__all__ = [
    "ScenarioResult",
    "table_difference",
]


class _ScenarioBuilder(Protocol):
    """What a scenario builds on first read: its zone table, its registry and its sites."""

    def table(self) -> pd.DataFrame: ...

    def diff(self, table: pd.DataFrame) -> pd.DataFrame: ...

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
        return self._builder.diff(self.table)

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


def table_difference(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """:func:`geo.metrics.compare_tables`, vectorised for tables with the same rows (the usual case).

    ``compare_tables`` merges on the keys, which costs more than the whole incremental update;
    two tables from the same :class:`WhatIf` have identical zone rows, so the difference is a
    plain array subtraction with the same ``d_<metric>`` columns.
    """
    key = ["zone_code", "zone"]
    if not baseline[key].equals(scenario[key]) or list(baseline.columns) != list(scenario.columns):
        return compare_tables(baseline, scenario)
    # one block per table: pandas deep-copies ``attrs`` on every single-column access
    dtypes = baseline.dtypes
    numeric = [c for c in baseline.columns if c not in key and is_numeric_dtype(dtypes[c])]
    before = baseline[numeric].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        change = scenario[numeric].to_numpy(dtype=float, na_value=np.nan) - before
    columns: dict[str, Any] = {k: baseline[k].to_numpy() for k in key}
    for j, column in enumerate(numeric):
        whole = is_integer_dtype(dtypes[column]) and is_integer_dtype(scenario.dtypes[column])
        columns[f"d_{column}"] = change[:, j].astype(np.int64) if whole else change[:, j]
    return pd.DataFrame(columns)
