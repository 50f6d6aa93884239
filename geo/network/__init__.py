"""The walking network: reading OSM, the graph, shortest paths, the distance engine, service areas.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.network.build import (
    CACHE_NAME,
    GRAPHML_NAME,
    NETWORK_SUBDIR,
    OSM_PATTERNS,
    distance_engine,
    download_walk_network,
    format_speed,
    load_walk_network,
    network_dirs,
    oslo_polygon,
    study_engine,
)
from geo.network.engine import (
    NetworkEngine,
    nearest_by_category,
)
from geo.network.graph import (
    CACHE_FORMAT_VERSION,
    DEFAULT_MAX_SEGMENT_M,
    DEFAULT_MAX_SNAP_M,
    Snap,
    WalkNetwork,
    grid_network,
)
from geo.network.isochrones import (
    DEFAULT_ISOCHRONE_BUFFER_M,
    isochrones,
    service_areas,
    straight_isochrones,
)
from geo.network.paths import (
    map_positions,
    multi_source_dijkstra,
)

__all__ = [
    "CACHE_FORMAT_VERSION",
    "CACHE_NAME",
    "DEFAULT_ISOCHRONE_BUFFER_M",
    "DEFAULT_MAX_SEGMENT_M",
    "DEFAULT_MAX_SNAP_M",
    "GRAPHML_NAME",
    "NETWORK_SUBDIR",
    "OSM_PATTERNS",
    "NetworkEngine",
    "Snap",
    "WalkNetwork",
    "distance_engine",
    "download_walk_network",
    "format_speed",
    "grid_network",
    "isochrones",
    "load_walk_network",
    "map_positions",
    "multi_source_dijkstra",
    "nearest_by_category",
    "network_dirs",
    "oslo_polygon",
    "service_areas",
    "straight_isochrones",
    "study_engine",
]
