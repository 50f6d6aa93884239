"""What reading OpenStreetMap extracts gives and what it left out: the streets and the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from geo.labels import format_count
from geo.network.walkfilter import EXCLUSION_LABELS

__all__ = [
    "OsmReadError",
    "OsmReadReport",
    "OsmStreets",
]


class OsmReadError(ValueError):
    """An OSM file could not be read; the message (bokmål) names the file and the problem."""


def _n(value: int, one: str, many: str) -> str:
    """Format a count with the singular or plural noun (``1 vei``, ``2 veier``)."""
    return f"{format_count(value)} {one if value == 1 else many}"


@dataclass(frozen=True)
class OsmReadReport:
    """What :func:`read_osm` read, kept and skipped.

    Way counts are of distinct way ids after choosing one version per id; geometry counts
    (``closed_ways`` onwards) are of walkable ways only. A way can be counted in several
    categories (a clipped way can also be closed or degenerate).

    Attributes
    ----------
    files : tuple of str
        File names, in reading order.
    ways_read : int
        Way objects read from all files (including non-highway ways and duplicates).
    ways_unique : int
        Distinct way ids.
    duplicate_ways : int
        ``ways_read - ways_unique``: copies of a way id that were not used.
    duplicate_nodes : int
        Node ids used by highway ways and located in more than one file.
    conflicting_nodes : int
        Of those, nodes whose location differs between files (the newest file's location is used).
    deleted_ways : int
        Ways whose chosen version is deleted (``visible="false"``).
    stale_ways : int
        Highway ways of an older file that a newer file covers but no longer contains (deleted
        or replaced later); left out unless ``read_osm(..., drop_stale=False)``.
    non_highway_ways : int
        Ways without a ``highway`` tag (buildings, land use, …).
    highway_ways : int
        Ways with a ``highway`` tag.
    walkable_ways : int
        Highway ways that pass the osmnx ``walk`` filter.
    excluded : dict of str to int
        Highway ways excluded by the filter, by reason (keys of :data:`EXCLUSION_LABELS`).
    closed_ways : int
        Walkable ways whose first and last node are the same (kept).
    clipped_ways : int
        Walkable ways with nodes that are in none of the files.
    clipped_segments : int
        Segments dropped because they touch a missing node.
    completed_ways : int
        Walkable ways that miss nodes in their own file but got them from another file.
    missing_nodes : int
        Distinct missing node ids referenced by walkable ways.
    negative_missing_nodes : int
        Of those, ids below zero (unsaved JOSM objects, which libosmium cannot locate).
    invalid_nodes : int
        Distinct nodes with an invalid location.
    invalid_segments : int
        Segments dropped because they touch a node with an invalid location.
    degenerate_ways : int
        Walkable ways with fewer than two distinct usable nodes.
    self_loop_segments : int
        Segments from a node to itself, dropped.
    self_loop_ways : int
        Walkable ways with at least one self-loop segment.
    zero_length_segments : int
        Segments between two nodes at the same location, dropped.
    merged_nodes : int
        Nodes merged into another node at the same location.
    duplicate_segments : int
        Segments already given by another way (or earlier in the same way), kept once.
    nodes, edges : int
        Size of the resulting network.
    components : int
        Connected components of the network.
    largest_component : int
        Nodes in the largest component.
    newest_timestamp : datetime or None
        Newest timestamp of any way read (node timestamps are not read).
    seconds : float
        Wall-clock time of the read.
    """

    files: tuple[str, ...]
    ways_read: int
    ways_unique: int
    duplicate_ways: int
    duplicate_nodes: int
    conflicting_nodes: int
    deleted_ways: int
    stale_ways: int
    non_highway_ways: int
    highway_ways: int
    walkable_ways: int
    excluded: dict[str, int]
    closed_ways: int
    clipped_ways: int
    clipped_segments: int
    completed_ways: int
    missing_nodes: int
    negative_missing_nodes: int
    invalid_nodes: int
    invalid_segments: int
    degenerate_ways: int
    self_loop_segments: int
    self_loop_ways: int
    zero_length_segments: int
    merged_nodes: int
    duplicate_segments: int
    nodes: int
    edges: int
    components: int
    largest_component: int
    newest_timestamp: datetime | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """Return the report as bokmål lines for a CLI or a log.

        Returns
        -------
        list of str
            One line per topic; categories with a zero count are left out.
        """
        out = [
            f"Leste {_n(len(self.files), 'fil', 'filer')} ({', '.join(self.files)}): "
            f"{_n(self.ways_read, 'vei', 'veier')}, {format_count(self.highway_ways)} med highway, "
            f"{format_count(self.walkable_ways)} gangbare."
        ]
        if self.duplicate_ways or self.duplicate_nodes:
            text = (
                f"Duplikater: {_n(self.duplicate_ways, 'vei', 'veier')} og "
                f"{_n(self.duplicate_nodes, 'node', 'noder')} fantes i flere filer "
                "(brukt én gang, nyeste versjon)"
            )
            if self.conflicting_nodes:
                text += f"; {_n(self.conflicting_nodes, 'node', 'noder')} hadde ulik posisjon"
            out.append(text + ".")
        if self.stale_ways:
            out.append(
                f"Utdatert: {_n(self.stale_ways, 'vei', 'veier')} fra en eldre fil mangler i en "
                "nyere fil som dekker dem (slettet eller erstattet siden) og er utelatt."
            )
        excluded = [
            f"{format_count(count)} {EXCLUSION_LABELS[reason]}"
            for reason, count in self.excluded.items()
            if count
        ]
        if excluded:
            out.append("Utelatt av gangfilteret (osmnx «walk»): " + ", ".join(excluded) + ".")
        out.append("Hoppet over: " + (", ".join(self._skipped()) or "ingenting") + ".")
        out.append("Beholdt: " + ", ".join(self._kept()) + ".")
        out.append(
            f"Gangnett: {_n(self.nodes, 'node', 'noder')}, {_n(self.edges, 'kant', 'kanter')}, "
            f"{_n(self.components, 'sammenhengende del', 'sammenhengende deler')} "
            f"(største: {_n(self.largest_component, 'node', 'noder')})."
        )
        if self.newest_timestamp is not None:
            out.append(f"Nyeste vei i dataene: {self.newest_timestamp:%Y-%m-%d}.")
        return out

    def _skipped(self) -> list[str]:
        """Return the bokmål phrases for the skipped pieces with a non-zero count."""
        parts = []
        if self.self_loop_segments:
            parts.append(_n(self.self_loop_segments, "selvløkke", "selvløkker"))
        if self.clipped_ways:
            parts.append(
                f"{_n(self.clipped_ways, 'avkuttet vei', 'avkuttede veier')} "
                f"({_n(self.clipped_segments, 'segment', 'segmenter')}; "
                f"{_n(self.missing_nodes, 'node', 'noder')} finnes ikke i filene)"
            )
        if self.negative_missing_nodes:
            parts.append(
                f"{_n(self.negative_missing_nodes, 'node', 'noder')} med negativ id "
                "(ulagrede JOSM-objekter)"
            )
        if self.invalid_nodes:
            parts.append(
                f"{_n(self.invalid_nodes, 'node', 'noder')} med ugyldig posisjon "
                f"({_n(self.invalid_segments, 'segment', 'segmenter')})"
            )
        if self.degenerate_ways:
            parts.append(f"{_n(self.degenerate_ways, 'vei', 'veier')} med færre enn to noder")
        if self.zero_length_segments:
            parts.append(f"{_n(self.zero_length_segments, 'segment', 'segmenter')} med lengde null")
        if self.deleted_ways:
            parts.append(_n(self.deleted_ways, "slettet vei", "slettede veier"))
        return parts

    def _kept(self) -> list[str]:
        """Return the bokmål phrases for what was kept although it is unusual."""
        parts = [_n(self.closed_ways, "lukket vei (ring)", "lukkede veier (ringer)")]
        if self.completed_ways:
            parts.append(
                f"{_n(self.completed_ways, 'vei', 'veier')} fullført med noder fra en annen fil"
            )
        if self.merged_nodes:
            parts.append(
                f"{_n(self.merged_nodes, 'node', 'noder')} på samme sted slått sammen med en annen"
            )
        if self.duplicate_segments:
            parts.append(
                f"{_n(self.duplicate_segments, 'delt segment', 'delte segmenter')} tatt med én gang"
            )
        return parts


@dataclass(frozen=True, eq=False)
class OsmStreets:
    """A walkable street network as flat arrays (lon/lat, EPSG:4326).

    Attributes
    ----------
    node_id : numpy.ndarray
        int64, OSM ids of the nodes used by at least one edge, ascending.
    lon, lat : numpy.ndarray
        float64 degrees, one per node.
    edge_u, edge_v : numpy.ndarray
        int32 positions into the node arrays, ``edge_u < edge_v``; each undirected pair once.
    edge_way : numpy.ndarray
        int64 OSM way id of each edge (the smallest, if several ways share the segment).
    component : numpy.ndarray
        int32 connected component of each node; 0 is the largest, 1 the next, …
    report : OsmReadReport
        What was read, kept and skipped.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_way: np.ndarray
    component: np.ndarray
    report: OsmReadReport

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return len(self.edge_u)
