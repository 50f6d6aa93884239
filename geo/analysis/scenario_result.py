"""A what-if scenario's result: the distances at once, its tables when first read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    "column_difference",
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
    after = scenario[numeric].to_numpy(dtype=float, na_value=np.nan)
    whole = {
        c for c in numeric if is_integer_dtype(dtypes[c]) and is_integer_dtype(scenario.dtypes[c])
    }
    keys = {k: baseline[k].to_numpy() for k in key}
    return _difference(keys, numeric, before.T, after.T, whole)


def column_difference(
    baseline: Mapping[str, np.ndarray], scenario: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """:func:`table_difference` of two tables given as their columns (same zone rows).

    What :class:`WhatIf` uses: it keeps the baseline's columns, so a scenario's difference is
    one subtraction per metric, without reading a column back out of a table.
    """
    numeric = [
        c
        for c, values in baseline.items()
        if c not in ("zone_code", "zone") and np.issubdtype(np.asarray(values).dtype, np.number)
    ]
    whole = {
        c
        for c in numeric
        if np.issubdtype(baseline[c].dtype, np.integer)
        and np.issubdtype(scenario[c].dtype, np.integer)
    }
    keys = {k: baseline[k] for k in ("zone_code", "zone")}
    return _difference(
        keys, numeric, [baseline[c] for c in numeric], [scenario[c] for c in numeric], whole
    )


def _difference(
    keys: Mapping[str, np.ndarray],
    numeric: Sequence[str],
    before: Sequence[np.ndarray] | np.ndarray,
    after: Sequence[np.ndarray] | np.ndarray,
    whole: set[str],
) -> pd.DataFrame:
    """``d_<metric> = after - before`` per column; whole numbers stay whole."""
    columns: dict[str, Any] = dict(keys)
    with np.errstate(invalid="ignore"):
        for column, old, new in zip(numeric, before, after, strict=True):
            change = np.asarray(new, dtype=float) - np.asarray(old, dtype=float)
            columns[f"d_{column}"] = change.astype(np.int64) if column in whole else change
    return pd.DataFrame(columns)
