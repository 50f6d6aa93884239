"""Reading OpenStreetMap extracts into walkable streets (osmnx's ``walk`` filter)."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "WALK_TAGS",
    "is_walkable",
]

# osmnx's own "walk" filter (osmnx/_overpass.py), applied to OSM XML extracts that were not
# filtered on download.
_EXCLUDED_HIGHWAY = re.compile(
    "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|"
    "razed|rest_area|services"
)


WALK_TAGS = ("foot", "sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")


def is_walkable(data: dict[str, Any]) -> bool:
    """Apply osmnx's ``walk`` filter to one edge's tags (values may be lists after simplifying)."""

    def values(key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    highway = values("highway")
    if not highway or any(_EXCLUDED_HIGHWAY.search(h) for h in highway):
        return False
    if "yes" in values("area") or "no" in values("foot") or "private" in values("service"):
        return False
    if "private" in values("access"):
        return False
    return not any("separate" in values(tag) for tag in WALK_TAGS[1:])
