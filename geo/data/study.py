"""The reference data one analysis runs on: boundaries, population, demand points and services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.data.boundaries import DEFAULT_VERSION, assign_bydel, load_bydeler
from geo.data.population import demand_points, load_population
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
        As loaded by :mod:`geo.boundaries`, :mod:`geo.population`, :mod:`geo.services`.
    boundary_version
        Which boundary set.
    problems
        Problems found while loading the service registry.

    """

    bydeler: gpd.GeoDataFrame
    population: pd.DataFrame
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    boundary_version: str = DEFAULT_VERSION
    problems: list = field(default_factory=list)

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        boundary_version: str = DEFAULT_VERSION,
        services_path: str | Path | None = None,
        cell_m: float = settings.DEFAULT_CELL_M,
    ) -> Study:
        """Load boundaries, population, demand points and the service registry."""
        bydeler = load_bydeler(boundary_version, data_dir)
        population = load_population(data_dir=data_dir)
        demand = demand_points(bydeler, population, cell_m=cell_m)
        result = load_services(services_path)
        services = with_bydel(result.frame, bydeler)
        return cls(bydeler, population, demand, services, boundary_version, list(result.problems))

    @property
    def demand_xy(self) -> np.ndarray:
        """Demand point coordinates (n, 2), EPSG:25832."""
        return np.column_stack(
            [self.demand.geometry.x.to_numpy(), self.demand.geometry.y.to_numpy()]
        )

    def straight_engine(self) -> StraightLineEngine:
        """A straight-line engine over this study's demand points."""
        return StraightLineEngine(self.demand_xy)
