"""Shared fixtures: the real Oslo reference data, loaded once per test session."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo import settings
from geo.data.boundaries import load_bydeler, load_delbydeler
from geo.data.datasets import find_dataset
from geo.data.population import load_bydel_series
from geo.data.study import Study


@pytest.fixture(scope="session")
def data_dir():
    path = settings.data_dir()
    if not (path / "boundaries").is_dir():
        pytest.fail(
            f"Reference data not found at {path}: place ../shared/data beside the checkout or set OSLO_COVERAGE_DATA"
        )
    return path


@pytest.fixture(scope="session")
def bydeler(data_dir) -> gpd.GeoDataFrame:
    return load_bydeler()


@pytest.fixture(scope="session")
def delbydeler(data_dir) -> gpd.GeoDataFrame:
    return load_delbydeler()


@pytest.fixture(scope="session")
def population(data_dir) -> pd.DataFrame:
    return load_bydel_series(find_dataset("population_series"))


@pytest.fixture(scope="session")
def study(data_dir) -> Study:
    """The reference data as the product loads it: residents on SSB's 100 m grid, newest year."""
    return Study.load()


@pytest.fixture(scope="session")
def zones(study) -> gpd.GeoDataFrame:
    """The zone polygons the study's tables are made for (today's bydeler)."""
    return study.zones
