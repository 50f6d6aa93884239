"""Finding, caching and downloading the walking network, and the distance-engine factory."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from geo import settings
from geo.data.boundaries import load_bydeler
from geo.data.population import restrict_demand
from geo.data.study import Study
from geo.distance import DistanceEngine, StraightLineEngine
from geo.errors import NetworkUnavailableError
from geo.labels import NOTE_ENGINE, NOTE_FALLBACK, NOTE_NETWORK, NOTE_STRAIGHT
from geo.network.engine import NetworkEngine
from geo.network.graph import DEFAULT_MAX_SEGMENT_M, DEFAULT_MAX_SNAP_M, WalkNetwork

__all__ = [
    "CACHE_NAME",
    "GRAPHML_NAME",
    "NETWORK_SUBDIR",
    "OSM_PATTERNS",
    "distance_engine",
    "download_walk_network",
    "format_speed",
    "load_walk_network",
    "network_dirs",
    "oslo_polygon",
    "study_engine",
]


logger = logging.getLogger(__name__)


CACHE_NAME = "oslo_walk.npz"


GRAPHML_NAME = "oslo_walk.graphml"


OSM_PATTERNS = ("*.osm", "*.osm.xml", "*.osm.bz2")


NETWORK_SUBDIR = "network"


def network_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for a walking network, in order.

    With an explicit ``data_dir`` only ``<data_dir>/network``; otherwise
    ``settings.data_dir()/network``, the project's ``data/network`` and
    ``settings.cache_dir()/network`` (where ``oslo-coverage fetch walk_network`` writes).
    """
    if data_dir is not None:
        return [Path(data_dir) / NETWORK_SUBDIR]
    dirs = [
        settings.data_dir() / NETWORK_SUBDIR,
        settings.project_data_dir() / NETWORK_SUBDIR,
        settings.cache_dir() / NETWORK_SUBDIR,
    ]
    return list(dict.fromkeys(dirs))


def _cache_target(data_dir: str | Path | None) -> Path:
    # Reference data (../shared/data) is read-only for us: the cache goes to the project's data/.
    if data_dir is not None:
        return Path(data_dir) / NETWORK_SUBDIR / CACHE_NAME
    return settings.project_data_dir() / NETWORK_SUBDIR / CACHE_NAME


def _find_source(folder: Path) -> Path | None:
    graphml = folder / GRAPHML_NAME
    if graphml.is_file():
        return graphml
    others = sorted(folder.glob("*.graphml"))
    if others:
        return others[0]
    for pattern in OSM_PATTERNS:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _read_source(path: Path, max_segment_m: float) -> WalkNetwork:
    if path.suffix == ".graphml":
        return WalkNetwork.from_graphml(path, max_segment_m)
    return WalkNetwork.from_osm_xml(path, max_segment_m)


def load_walk_network(
    data_dir: str | Path | None = None,
    *,
    allow_download: bool = False,
    max_segment_m: float = DEFAULT_MAX_SEGMENT_M,
    write_cache: bool = True,
) -> WalkNetwork | None:
    """Load Oslo's walking network from the cache, a GraphML file or an OSM XML extract.

    Parameters
    ----------
    data_dir
        Folder whose ``network/`` subfolder holds the files; default: searched as in
        :func:`network_dirs`.
    allow_download
        If nothing is found, download it with osmnx (needs internet).
    max_segment_m
        Densification for GraphML/OSM sources (see :meth:`WalkNetwork.from_networkx`).
    write_cache
        Write ``oslo_walk.npz`` after reading a GraphML/OSM source or downloading.

    Returns
    -------
    WalkNetwork or None
        ``None`` when no network is available (the caller falls back to straight lines and says
        so, see :func:`distance_engine`).

    """
    for folder in network_dirs(data_dir):
        source = _find_source(folder) if folder.is_dir() else None
        cache = folder / CACHE_NAME
        target = cache if data_dir is not None else _cache_target(None)
        # a cache made from this folder's source may live in the project's data/network
        for candidate in dict.fromkeys([cache, target] if source is not None else [cache]):
            if candidate.is_file() and (
                source is None or candidate.stat().st_mtime >= source.stat().st_mtime
            ):
                try:
                    return WalkNetwork.load(candidate)
                except (OSError, ValueError, KeyError) as exc:
                    logger.warning("Gangnett-cachen %s kunne ikke leses: %s", candidate, exc)
        if source is not None:
            net = _read_source(source, max_segment_m)
            if write_cache:
                _try_save(net, target)
            return net
    if allow_download:
        return WalkNetwork.load(download_walk_network(data_dir, max_segment_m=max_segment_m))
    return None


def _try_save(net: WalkNetwork, path: Path) -> None:
    try:
        net.save(path)
    except OSError as exc:  # a read-only data folder must not stop the analysis
        logger.warning("Kunne ikke skrive gangnett-cache %s: %s", path, exc)


def oslo_polygon(data_dir: str | Path | None = None) -> Any:
    """Oslo kommune's outline (union of the bydeler) in EPSG:4326, for the osmnx download."""
    import geopandas as gpd

    bydeler = load_bydeler(data_dir=data_dir)
    outline = gpd.GeoSeries([bydeler.union_all()], crs=bydeler.crs).to_crs(settings.DISPLAY_CRS)
    return outline.iloc[0]


def download_walk_network(
    target: str | Path | None = None,
    polygon: Any = None,
    max_segment_m: float = DEFAULT_MAX_SEGMENT_M,
    data_dir: str | Path | None = None,
) -> Path:
    """Download the walking network for Oslo with osmnx and cache it (needs internet).

    ``osmnx.graph_from_polygon(polygon, network_type="walk")`` → project to EPSG:25832 →
    ``oslo_walk.graphml`` (for other tools) and ``oslo_walk.npz`` (for this package), side by side.

    Parameters
    ----------
    target
        The ``.npz`` file to write, or a folder (then ``<folder>/network/oslo_walk.npz``);
        default the project's ``data/network/oslo_walk.npz``.
    polygon
        Area in EPSG:4326; default Oslo's outline from the bydel boundaries (``data_dir``).
    max_segment_m
        Densification, see :meth:`WalkNetwork.from_networkx`.
    data_dir
        Where the bydel boundaries are read from.

    Returns
    -------
    pathlib.Path
        The written ``.npz`` cache.

    Raises
    ------
    NetworkUnavailableError
        When the download fails (no internet, Overpass down).

    """
    import osmnx as ox

    if target is None:
        path = _cache_target(None)
    elif Path(target).suffix == ".npz":
        path = Path(target)
    else:
        path = _cache_target(target)
    if polygon is None:
        polygon = oslo_polygon(data_dir)
    try:
        graph = ox.graph_from_polygon(polygon, network_type="walk")
    except Exception as exc:  # osmnx raises many types (requests, InsufficientResponseError…)
        raise NetworkUnavailableError(
            f"Kunne ikke laste ned gangnettet fra OpenStreetMap: {exc}"
        ) from exc
    graph = ox.project_graph(graph, to_crs=settings.ANALYSIS_CRS)
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, path.with_name(GRAPHML_NAME))
    net = WalkNetwork.from_networkx(
        graph, max_segment_m=max_segment_m, source="OpenStreetMap (osmnx)"
    )
    return net.save(path)


def distance_engine(
    demand_xy: np.ndarray,
    distance: str = "network",
    *,
    network: WalkNetwork | None = None,
    data_dir: str | Path | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    off_network: str = "unreachable",
) -> tuple[DistanceEngine, str]:
    """Return a distance engine and the note every output must show about it.

    Gangnett eller luftlinje: med ``distance="network"`` brukes gangnettet hvis det finnes;
    ellers brukes luftlinje, og merknaden sier det («Gangnett ikke tilgjengelig – avstander er
    luftlinje»). With ``distance="network"`` the walking network is used when available; otherwise
    straight-line distance is used and the note says so ("Walking network not available –
    distances are straight-line"). The fallback is never silent.

    Parameters
    ----------
    demand_xy
        ``(n, 2)`` demand point coordinates, EPSG:25832.
    distance
        ``"network"`` or ``"straight"``.
    network
        An already loaded network; default :func:`load_walk_network` (``data_dir``).
    data_dir
        Passed to :func:`load_walk_network`.
    max_snap_m, off_network
        See :class:`NetworkEngine`.
    speed_kmh
        Walking speed stated in the note.

    Returns
    -------
    (engine, note)
        ``engine.kind`` is ``"network"`` or ``"straight"``; ``note`` is bokmål text for outputs.

    """
    speed = format_speed(speed_kmh)
    if distance not in {"network", "straight"}:
        raise ValueError(f"Ukjent avstandstype «{distance}» (bruk network eller straight).")
    if distance == "straight":
        straight = StraightLineEngine(demand_xy)
        straight.note = NOTE_STRAIGHT.format(speed=speed)
        return straight, straight.note
    reason = "fant ingen gangnett-cache, GraphML- eller OSM-fil i network-mappen"
    if network is None:
        try:
            network = load_walk_network(data_dir)
        except (OSError, ValueError, SyntaxError) as exc:  # SyntaxError: broken OSM XML
            network, reason = None, f"gangnettet kunne ikke leses: {exc}"
    if network is None:
        fallback = StraightLineEngine(demand_xy)
        fallback.note = NOTE_FALLBACK.format(speed=speed, reason=reason)
        return fallback, fallback.note
    engine = NetworkEngine(network, demand_xy, max_snap_m=max_snap_m, off_network=off_network)
    engine.note = NOTE_NETWORK.format(speed=speed) + engine.note[len(NOTE_ENGINE) :]
    return engine, engine.note


def format_speed(speed_kmh: float) -> str:
    """A walking speed as written in bokmål notes (``4,5``)."""
    return f"{speed_kmh:g}".replace(".", ",")


def study_engine(
    study: Study,
    distance: str = "straight",
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    data_dir: str | Path | None = None,
) -> tuple[Study, DistanceEngine]:
    """Return the study and a distance engine of the asked kind (``"straight"``/``"network"``).

    With a walking network, demand cells that no path comes near are dropped and their
    residents re-spread inside the bydel (:func:`geo.data.population.restrict_demand`), so that
    water and forest don't count as unreachable residents. Without a network the engine falls
    back to straight line, and its ``note`` says so.
    """
    if distance != "network":
        return study, study.straight_engine()
    engine, _ = distance_engine(study.demand_xy, "network", data_dir=data_dir, speed_kmh=speed_kmh)
    on_network = getattr(engine, "demand_on_network", None)
    if engine.kind != "network" or on_network is None or on_network.all():
        return study, engine
    demand = restrict_demand(study.demand, on_network, getattr(engine, "max_snap_m", 0.0))
    restricted = dataclasses.replace(study, demand=demand)
    network_engine, _ = distance_engine(
        restricted.demand_xy,
        "network",
        network=getattr(engine, "network", None),
        speed_kmh=speed_kmh,
    )
    return restricted, network_engine
