"""The reference data one analysis runs on: boundaries, population, demand points and services."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.data.boundaries import (
    DEFAULT_VERSION,
    assign_bydel,
    assign_zone,
    load_bydeler,
    load_delbydeler,
)
from geo.data.datasets import find_dataset
from geo.data.demand import DEMAND_METHODS, load_demand
from geo.data.population import load_bydel_series
from geo.data.services import load_services
from geo.data.study_area import STUDY_AREAS, StudyArea
from geo.data.zone_set import ZoneSet, restrict_zone_set
from geo.data.zones import load_zone_set
from geo.distance import StraightLineEngine

__all__ = [
    "Study",
    "with_bydel",
    "with_zone",
]


def with_bydel(services: gpd.GeoDataFrame, bydeler: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``services`` with a ``bydel_code`` column from the point-in-polygon test."""
    out = services.copy()
    if len(out) == 0:
        out["bydel_code"] = pd.Series(dtype=object)
        return out
    out["bydel_code"] = assign_bydel(out.geometry, bydeler).to_numpy()
    return out


def with_zone(services: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``services`` with a ``zone_code`` column from the point-in-polygon test."""
    out = services.copy()
    out["zone_code"] = assign_zone(out.geometry, zones).to_numpy() if len(out) else []
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
    zone_set
        The zones every table, map and suggestion is made for (:mod:`geo.data.zones`).
    study_area
        The part of Oslo analysed; demand is restricted to it (:mod:`geo.data.study_area`).

    Demand points and services carry ``zone_code`` (the zone of :attr:`zone_set` they lie in);
    ``bydel_code`` stays today's bydel.
    """

    bydeler: gpd.GeoDataFrame
    population: pd.DataFrame
    demand: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    boundary_version: str = DEFAULT_VERSION
    problems: list = field(default_factory=list)
    delbydeler: gpd.GeoDataFrame | None = None
    zone_set: ZoneSet | None = None
    study_area: StudyArea = STUDY_AREAS["by"]

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
        study = cls(
            bydeler,
            population,
            demand,
            services,
            boundary_version,
            list(result.problems),
            delbydeler,
        )
        return study.with_zones(load_zone_set("bydel", delbydeler, data_dir))

    def with_zones(self, zone_set: ZoneSet, area: StudyArea | None = None) -> Study:
        """The same reference data seen through another zone set and, optionally, a study area.

        Demand outside the study area is left out (and said so in the provenance); services
        everywhere stay, as the nearest service of a resident may lie outside the area.
        """
        if self.delbydeler is None:
            raise ValueError("Studien har ikke delbydeler; soner bygges fra dem.")
        area = area or STUDY_AREAS["by"]
        demand = self.demand
        if not area.whole_city:
            codes = area.delbydel_codes(self.delbydeler)
            zone_set = restrict_zone_set(zone_set, self.delbydeler, codes)
            demand = demand[demand["delbydel_code"].isin(codes)].reset_index(drop=True)
        zones = _zone_layer(zone_set)
        zone_code = zone_set.zone_of(demand["delbydel_code"])
        names = dict(zip(zones["zone_code"], zones["zone"], strict=True))
        demand = demand.assign(zone_code=zone_code, zone=[names.get(c, "") for c in zone_code])
        services = with_zone(self.services, zones)
        return replace(self, demand=demand, services=services, zone_set=zone_set, study_area=area)

    @property
    def zones(self) -> gpd.GeoDataFrame:
        """The zone polygons: ``zone_code``, ``zone`` (name), ``n_delbydeler``, ``area_km2``.

        ``attrs`` carry the zone set's ``provenance`` and ``total_name`` (the total row's name).
        """
        if self.zone_set is None:
            raise ValueError("Studien har ingen soneinndeling.")
        layer = _zone_layer(self.zone_set)
        layer.attrs["total_name"] = self.total_name
        return layer

    @property
    def total_name(self) -> str:
        """Name of every table's total row (the study area's)."""
        return self.study_area.total_name

    @property
    def demand_xy(self) -> np.ndarray:
        """Demand point coordinates (n, 2), EPSG:25832."""
        return np.column_stack(
            [self.demand.geometry.x.to_numpy(), self.demand.geometry.y.to_numpy()]
        )

    def straight_engine(self) -> StraightLineEngine:
        """A straight-line engine over this study's demand points."""
        return StraightLineEngine(self.demand_xy)


def _zone_layer(zone_set: ZoneSet) -> gpd.GeoDataFrame:
    layer = zone_set.polygons.rename(columns={"zone_name": "zone"})
    layer.attrs = {**zone_set.polygons.attrs, "noun": zone_set.noun}
    return layer
