"""The walking network: reading OSM, the graph, shortest paths, the distance engine, service areas.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.network.build import (
    CACHE_NAME,
    DOWNLOAD_NAME,
    NETWORK_SUBDIR,
    OSM_SUFFIXES,
    OVERPASS_URL,
    distance_engine,
    download_walk_network,
    format_speed,
    load_walk_network,
    network_dirs,
    network_sources,
    oslo_polygon,
    read_network,
    source_signature,
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
    clear_isochrone_cache,
    corridor_polygon,
    isochrones,
    reached_segments,
    service_areas,
    straight_isochrones,
)
from geo.network.mixed import (
    BASIS_EXCLUDED,
    BASIS_NETWORK,
    BASIS_STRAIGHT,
    MIN_REACH,
    POLICIES,
    MixedEngine,
)
from geo.network.osm import (
    PathArg,
    project,
    read_osm,
)
from geo.network.osm_report import (
    OsmReadError,
    OsmReadReport,
    OsmStreets,
)
from geo.network.paths import (
    map_positions,
    multi_source_dijkstra,
)
from geo.network.walkfilter import (
    EXCLUSION_LABELS,
    FILTER_REASONS,
    REASON_CODE,
    WALK_FILTER,
    exclusion_reason,
    is_walkable,
    reason_code,
)

__all__ = [
    "BASIS_EXCLUDED",
    "BASIS_NETWORK",
    "BASIS_STRAIGHT",
    "CACHE_FORMAT_VERSION",
    "CACHE_NAME",
    "DEFAULT_ISOCHRONE_BUFFER_M",
    "DEFAULT_MAX_SEGMENT_M",
    "DEFAULT_MAX_SNAP_M",
    "DOWNLOAD_NAME",
    "EXCLUSION_LABELS",
    "FILTER_REASONS",
    "MIN_REACH",
    "NETWORK_SUBDIR",
    "OSM_SUFFIXES",
    "OVERPASS_URL",
    "POLICIES",
    "REASON_CODE",
    "WALK_FILTER",
    "MixedEngine",
    "NetworkEngine",
    "OsmReadError",
    "OsmReadReport",
    "OsmStreets",
    "PathArg",
    "Snap",
    "WalkNetwork",
    "clear_isochrone_cache",
    "corridor_polygon",
    "distance_engine",
    "download_walk_network",
    "exclusion_reason",
    "format_speed",
    "grid_network",
    "is_walkable",
    "isochrones",
    "load_walk_network",
    "map_positions",
    "multi_source_dijkstra",
    "nearest_by_category",
    "network_dirs",
    "network_sources",
    "oslo_polygon",
    "project",
    "reached_segments",
    "read_network",
    "read_osm",
    "reason_code",
    "service_areas",
    "source_signature",
    "straight_isochrones",
    "study_engine",
]
