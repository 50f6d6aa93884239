"""How a table was made: the settings stamped on it and the lines every output shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo import settings
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.labels import CATEGORIES

__all__ = [
    "settings_lines",
    "study_provenance",
]


def study_provenance(study: Study, engine: DistanceEngine, user_weights: bool) -> dict[str, Any]:
    """The settings every table made from ``study`` carries in its ``attrs`` (one stamp).

    Parameters
    ----------
    study
        The reference data the table was computed from.
    engine
        The distance engine (its kind and its note: network, straight line or a fallback).
    user_weights
        True when the weights are user data instead of residents.

    Returns
    -------
    dict
        ``distance_kind``, ``distance_note``, ``population_note``, ``population_year``,
        ``boundary_version``, ``unallocated`` (residents not placed, by code) and
        ``weight_basis`` (``innbyggere`` or ``brukerdata``); :func:`settings_lines` states them.

    """
    return {
        "distance_kind": engine.kind,
        "distance_note": engine.note,
        "population_note": study.demand.attrs.get("note", ""),
        "population_year": study.population.attrs.get("population_year"),
        "boundary_version": study.boundary_version,
        "unallocated": dict(study.demand.attrs.get("unallocated", {})),
        "weight_basis": "brukerdata" if user_weights else "innbyggere",
    }


def settings_lines(table: pd.DataFrame) -> list[str]:
    """Human-readable lines stating how a metric table was made (for every output)."""
    attrs = table.attrs
    cats = attrs.get("categories") or list(CATEGORIES)
    lines = [
        f"Avstand: {attrs.get('distance_note', '')}",
        f"Terskel: {attrs.get('threshold_m', 0):.0f} m · ganghastighet {attrs.get('walk_speed_kmh', settings.DEFAULT_WALK_SPEED_KMH)} km/t",
        f"Kategorier: {', '.join(CATEGORIES.get(c, c) for c in cats)}",
        f"Vekt: {attrs.get('weight_basis', 'innbyggere')} · befolkning per 1.1.{attrs.get('population_year', '')} · grenser: {attrs.get('boundary_version', '')}",
        attrs.get("population_note", ""),
    ]
    unallocated = attrs.get("unallocated") or {}
    if unallocated:
        lines.append(
            "Ikke fordelt (ingen polygon): "
            + ", ".join(f"{k}: {v}" for k, v in unallocated.items())
        )
    return [line for line in lines if line]
