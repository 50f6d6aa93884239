"""The reference data one analysis runs on: boundaries, population, demand points and services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.data.boundaries import DEFAULT_VERSION, assign_bydel, load_bydeler, load_delbydeler
from geo.data.datasets import find_dataset
from geo.data.demand import DEMAND_METHODS, load_demand
from geo.data.population import load_bydel_series
from geo.data.services import load_services
from geo.distance import StraightLineEngine

__all__ = [
    "Study",
    "with_bydel",
]


def with_bydel(services: gpd.GeoDataFrame, bydeler: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``services`` with a ``bydel_code`` column from the point-in-polygon test."""
    out = services.copy()
    if len(out) == 0:
        out["bydel_code"] = pd.Series(dtype=object)
        return out
    out["bydel_code"] = assign_bydel(out.geometry, bydeler).to_numpy()
    return out


@dataclass
class Study:
    """The reference data one analysis runs on, loaded once and reused (CLI, app, what-if).

    Attributes
    ----------
    bydeler, population, demand, services
        As loaded by :mod:`geo.data.boundaries`, :func:`geo.data.population.load_bydel_series`,
        :func:`geo.data.demand.load_demand` and :mod:`geo.data.services`.
    boundary_version
        Which boundary set.
    problems
        Problems found while loading the service registry.
    delbydeler
        The delbydel polygons the demand points were assigned to (zone sets are built from them).

    """

    bydeler: gpd.GeoDataFrame
    population: pd.DataFrame
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    boundary_version: str = DEFAULT_VERSION
    problems: list = field(default_factory=list)
    delbydeler: gpd.GeoDataFrame | None = None

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        boundary_version: str = DEFAULT_VERSION,
        services_path: str | Path | None = None,
        *,
        population_year: int | None = None,
        demand_method: str = "auto",
        cell_m: float = settings.DEFAULT_CELL_M,
    ) -> Study:
        """Load boundaries, residents, demand points and the service registry.

        Parameters
        ----------
        data_dir
            Reference-data directory (resolved by :func:`geo.settings.data_dir` when ``None``).
        boundary_version
            Which bydel boundary set.
        services_path
            A service registry other than the project's ``data/services.csv``.
        population_year
            Residents on 1 January of this year (SSB's bydel series); the newest when ``None``.
        demand_method
            ``"auto"`` (SSB's 100 m grid, else its 250 m grid, else evenly per bydel, saying
            why), or one of :data:`geo.data.demand.DEMAND_METHODS` only.
        cell_m
            Cell size when residents are spread evenly (``"uniform"``).

        """
        prefer = DEMAND_METHODS if demand_method == "auto" else (demand_method,)
        bydeler = load_bydeler(boundary_version, data_dir)
        delbydeler = load_delbydeler(boundary_version, data_dir)
        population = load_bydel_series(find_dataset("population_series", data_dir), population_year)
        demand = load_demand(
            settings.data_dir(data_dir), bydeler, delbydeler, population, prefer, cell_m
        )
        result = load_services(services_path)
        services = with_bydel(result.frame, bydeler)
        return cls(
            bydeler,
            population,
            demand,
            services,
            boundary_version,
            list(result.problems),
            delbydeler,
        )

    @property
    def demand_xy(self) -> np.ndarray:
        """Demand point coordinates (n, 2), EPSG:25832."""
        return np.column_stack(
            [self.demand.geometry.x.to_numpy(), self.demand.geometry.y.to_numpy()]
        )

    def straight_engine(self) -> StraightLineEngine:
        """A straight-line engine over this study's demand points."""
        return StraightLineEngine(self.demand_xy)
