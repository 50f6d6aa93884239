"""What the sidebar sets and a scenario stores: :class:`AnalysisSettings`, and user-data weights."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.metrics import spread_user_data
from geo.data.boundaries import BOUNDARY_VERSIONS, DEFAULT_VERSION
from geo.data.datasets import find_dataset
from geo.data.need import need_weights
from geo.data.study import Study
from geo.data.study_area import STUDY_AREAS, StudyArea, study_area
from geo.data.zones import ZONE_SETS
from geo.labels import CATEGORIES, METRIC_LABELS, NEED_BASIS
from geo.network.mixed import POLICIES

__all__ = [
    "AnalysisSettings",
    "user_data_weights",
    "weight_basis_kind",
]


@dataclass(frozen=True)
class AnalysisSettings:
    """The choices that define one analysis (what the sidebar sets; stored with a scenario).

    Attributes
    ----------
    categories
        Service categories that count as "a service" (slugs of :data:`geo.services.CATEGORIES`).
    distance
        ``straight`` or ``network``.
    threshold_m
        Threshold distance, metres.
    speed_kmh
        Walking speed for minutes.
    weight_basis
        ``innbyggere``, ``sosialhjelp`` (the need proxy, :data:`geo.labels.NEED_LABEL`) or the
        name of a numeric user-data column.
    boundary_version
        Boundary set (:data:`geo.boundaries.BOUNDARY_VERSIONS`).
    metric
        Metric that colours the map.
    population_year
        Residents on 1 January of this year (SSB); ``None`` for the newest.
    unreached
        Zones the walking network reaches for under 95 % of residents: ``fallback`` (straight
        line, labelled) or ``exclude`` (left out with the reason).
    zone_set
        Zones of every table and map (:data:`geo.data.zones.ZONE_SETS`).
    study_area
        ``by``, ``sentrum`` or ``egen`` (:mod:`geo.data.study_area`).
    area_bydeler
        The bydel codes of an own study area (``egen``, or the centre with Frogner added …).

    """

    categories: tuple[str, ...] = ("brukerrom",)
    distance: str = settings.DEFAULT_DISTANCE
    threshold_m: float = settings.DEFAULT_THRESHOLD_M
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH
    weight_basis: str = "innbyggere"
    boundary_version: str = DEFAULT_VERSION
    metric: str = "share_within_threshold"
    population_year: int | None = None
    unreached: str = "fallback"
    zone_set: str = "bydel"
    study_area: str = "by"
    area_bydeler: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for scenarios)."""
        out = asdict(self)
        out["categories"] = list(self.categories)
        out["area_bydeler"] = list(self.area_bydeler)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisSettings:
        """Rebuild from :meth:`to_dict` (e.g. a stored scenario).

        Unknown keys are ignored; missing keys, ``None`` and values that are not valid choices
        take the defaults (a single category given as text counts as a list of one). Raises
        ``ValueError`` when a threshold or speed is not a number.
        """
        known = set(cls.__dataclass_fields__)
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        if "categories" in kwargs:
            given = kwargs["categories"]
            given = [given] if isinstance(given, str) else given
            cats = [c for c in given if c in CATEGORIES] if isinstance(given, Iterable) else []
            kwargs["categories"] = tuple(cats) or cls.categories
        for number in ("threshold_m", "speed_kmh"):
            if number in kwargs:
                kwargs[number] = float(kwargs[number])
        if "population_year" in kwargs:
            kwargs["population_year"] = int(kwargs["population_year"])
        choices = {
            "distance": ("straight", "network"),
            "metric": tuple(METRIC_LABELS),
            "unreached": POLICIES,
            "zone_set": tuple(ZONE_SETS),
            "study_area": (*STUDY_AREAS, "egen"),
            "boundary_version": tuple(BOUNDARY_VERSIONS),
        }
        for name, allowed in choices.items():
            if name in kwargs and kwargs[name] not in allowed:
                kwargs.pop(name)
        if "area_bydeler" in kwargs:
            kwargs["area_bydeler"] = tuple(str(c) for c in kwargs["area_bydeler"])
        return cls(**kwargs)

    def cache_key(self) -> tuple[Any, ...]:
        """Everything that changes the numbers (not the map colouring), for caches."""
        return (
            self.categories,
            self.distance,
            self.threshold_m,
            self.speed_kmh,
            self.weight_basis,
            self.boundary_version,
            self.population_year,
            *self.engine_key()[4:],
        )

    def engine_key(self) -> tuple[Any, ...]:
        """The settings that change the study and its distance engine (not the threshold)."""
        return (
            self.boundary_version,
            self.population_year,
            self.distance,
            self.speed_kmh,
            self.unreached,
            self.zone_set,
            self.study_area,
            self.area_bydeler,
        )

    def area(self) -> StudyArea:
        """The study area these settings describe."""
        return study_area(self.study_area, self.area_bydeler)

    @property
    def basis_kind(self) -> str:
        """What the weights are: ``innbyggere``, ``sosialhjelp`` or ``brukerdata``."""
        return weight_basis_kind(self.weight_basis)

    @property
    def candidate_category(self) -> str:
        """Category a new candidate gets: brukerrom when chosen (Brukerrom 2), else the first."""
        return "brukerrom" if "brukerrom" in self.categories else self.categories[0]


def weight_basis_kind(basis: str) -> str:
    """``innbyggere``, ``sosialhjelp`` (need proxy) or ``brukerdata`` (any user-data column)."""
    return basis if basis in ("innbyggere", NEED_BASIS) else "brukerdata"


def user_data_weights(
    study: Study, user: pd.DataFrame | None, column: str, kind: str = "aggregate"
) -> np.ndarray | None:
    """Demand weights of the basis ``column`` (``None`` for residents).

    ``sosialhjelp`` weights each resident by the bydel's share receiving social assistance
    (:func:`geo.data.need.need_weights`); any other name is a numeric column of the user data.
    """
    if column == NEED_BASIS:
        weighted, _ = need_weights(study.demand, find_dataset("need_indicators"))
        return weighted["weight"].to_numpy(dtype=float)
    if column == "innbyggere" or user is None or column not in user.columns:
        return None
    return spread_user_data(study.demand, user, column, kind)
