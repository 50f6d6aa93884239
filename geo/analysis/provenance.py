"""How a table was made: the settings stamped on it and the lines every output shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo import settings
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.labels import CATEGORIES, NEED_BASIS, NEED_LABEL, WEIGHT_BASIS_LABELS, format_number

__all__ = [
    "settings_lines",
    "study_provenance",
]


def study_provenance(
    study: Study, engine: DistanceEngine, weight_basis: str = "innbyggere"
) -> dict[str, Any]:
    """The settings every table made from ``study`` carries in its ``attrs`` (one stamp).

    Parameters
    ----------
    study
        The reference data the table was computed from.
    engine
        The distance engine (its kind and its note: network, straight line or a fallback).
    weight_basis
        ``innbyggere``, ``sosialhjelp`` (the need proxy) or ``brukerdata`` (user data).

    Returns
    -------
    dict
        ``distance_kind``, ``distance_note``, ``population_note``, ``population_year``,
        ``boundary_version``, ``unallocated`` (residents not placed, by code) and
        ``demand_method``, ``weight_basis``, ``zone_set``, ``zone_noun``, ``zone_provenance``
        and ``study_area``; :func:`settings_lines` states them.

    """
    return {
        "distance_kind": engine.kind,
        "distance_note": engine.note,
        "population_note": study.demand.attrs.get("note", ""),
        "demand_method": study.demand.attrs.get("method", ""),
        "population_year": study.population.attrs.get("population_year"),
        "boundary_version": study.boundary_version,
        "unallocated": dict(study.demand.attrs.get("unallocated", {})),
        "weight_basis": weight_basis,
        "zone_set": study.zone_set.key if study.zone_set is not None else "bydel",
        "zone_noun": study.zone_set.noun if study.zone_set is not None else "bydeler",
        "zone_provenance": study.zone_set.provenance() if study.zone_set is not None else "",
        "study_area": study.study_area.provenance(),
    }


def settings_lines(table: pd.DataFrame) -> list[str]:
    """Human-readable lines stating how a metric table was made (for every output)."""
    attrs = table.attrs
    cats = attrs.get("categories") or list(CATEGORIES)
    basis = attrs.get("weight_basis", "innbyggere")
    lines = [
        f"Avstand: {attrs.get('distance_note', '')}",
        f"Terskel: {attrs.get('threshold_m', 0):.0f} m · ganghastighet "
        f"{format_number(attrs.get('walk_speed_kmh', settings.DEFAULT_WALK_SPEED_KMH), 1)} km/t",
        f"Kategorier: {', '.join(CATEGORIES.get(c, c) for c in cats)}",
        f"Vekt: {WEIGHT_BASIS_LABELS.get(basis, basis)} · befolkning per 1.1."
        f"{attrs.get('population_year', '')} (SSB) · grenser: {attrs.get('boundary_version', '')}",
        attrs.get("zone_provenance", ""),
        attrs.get("study_area", ""),
        attrs.get("population_note", ""),
        NEED_LABEL if basis == NEED_BASIS else "",
    ]
    unallocated = attrs.get("unallocated") or {}
    if unallocated:
        lines.append(
            "Ikke plassert (Marka og uoppgitt bydel har ingen bosted i kartet): "
            + ", ".join(f"{k}: {v}" for k, v in unallocated.items())
        )
    return [line for line in lines if line]
