"""osmnx's ``walk`` filter as a rule on one way's tags, and why a way is left out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "EXCLUSION_LABELS",
    "FILTER_REASONS",
    "REASON_CODE",
    "WALK_FILTER",
    "exclusion_reason",
    "is_walkable",
    "reason_code",
]

WALK_FILTER: tuple[tuple[str, str], ...] = (
    ("area", "yes"),
    ("access", "private"),
    (
        "highway",
        "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|"
        "razed|rest_area|services",
    ),
    ("foot", "no"),
    ("service", "private"),
    ("sidewalk", "separate"),
    ("sidewalk:both", "separate"),
    ("sidewalk:left", "separate"),
    ("sidewalk:right", "separate"),
)
"""osmnx 2.1.1's ``walk`` filter as ``(key, pattern)`` pairs.

A way with a ``highway`` tag is walkable when no pattern is *found* (:func:`re.search`) in the value
of its key; a missing tag passes."""


_REASON_OF_KEY = {
    "area": "area",
    "access": "access",
    "highway": "highway",
    "foot": "foot",
    "service": "service",
    "sidewalk": "sidewalk",
    "sidewalk:both": "sidewalk",
    "sidewalk:left": "sidewalk",
    "sidewalk:right": "sidewalk",
}


EXCLUSION_LABELS: dict[str, str] = {
    "no_highway": "ikke vei (mangler highway)",
    "area": "flate (area=yes)",
    "access": "privat (access=private)",
    "highway": "ikke for gående (highway=motorway, cycleway, construction, …)",
    "foot": "forbudt for gående (foot=no)",
    "service": "privat servicevei (service=private)",
    "sidewalk": "fortau tegnet som egen vei (sidewalk=separate)",
}
"""Bokmål label of every value :func:`exclusion_reason` can return."""


FILTER_REASONS: tuple[str, ...] = ("area", "access", "highway", "foot", "service", "sidewalk")


REASON_CODE = {reason: code for code, reason in enumerate(FILTER_REASONS, start=1)}


_RULES: tuple[tuple[str, re.Pattern[str], int], ...] = tuple(
    (key, re.compile(pattern), REASON_CODE[_REASON_OF_KEY[key]]) for key, pattern in WALK_FILTER
)


def reason_code(get: Callable[[str], Any]) -> int:
    """Return 0 if walkable, else the code of the first failed rule (-1: no highway tag).

    A value may be a list (osmnx merges the tags of simplified edges): it passes only when every
    one of its items would pass on its own.
    """
    if get("highway") is None:
        return -1
    for key, pattern, code in _RULES:
        value = get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if any(pattern.search(str(item)) for item in items):
            return code
    return 0


def exclusion_reason(tags: Mapping[str, Any]) -> str | None:
    """Return why osmnx's ``walk`` filter excludes a way, or None if it is walkable.

    Parameters
    ----------
    tags : Mapping
        The way's OSM tags.

    Returns
    -------
    str or None
        ``"no_highway"`` or the first failed rule of :data:`WALK_FILTER`: ``"area"``,
        ``"access"``, ``"highway"``, ``"foot"``, ``"service"`` or ``"sidewalk"``
        (see :data:`EXCLUSION_LABELS`).
    """
    code = reason_code(tags.get)
    if code == 0:
        return None
    return "no_highway" if code < 0 else FILTER_REASONS[code - 1]


def is_walkable(tags: Mapping[str, Any]) -> bool:
    """Return True if a way with these tags passes osmnx 2.1.1's ``walk`` filter.

    The filter is ``["highway"]["area"!~"yes"]["access"!~"private"]["highway"!~"abandoned|…"]
    ["foot"!~"no"]["service"!~"private"]["sidewalk"!~"separate"]…`` (see :data:`WALK_FILTER`):
    the ``highway`` key must be present, and no pattern may be found in its key's value.

    Parameters
    ----------
    tags : Mapping
        The way's OSM tags.

    Returns
    -------
    bool
        Whether the way belongs to the walking network.
    """
    return reason_code(tags.get) == 0
