"""Distance engines: from every demand point to the nearest of a set of sites.

Two engines share one interface (:class:`DistanceEngine`), so every metric can be computed with
straight-line ("luftlinje") or walking-network distance. The walking engine lives in
:mod:`geo.network`; this module holds the protocol and the straight-line engine.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

__all__ = [
    "DistanceEngine",
    "StraightLineEngine",
]


@runtime_checkable
class DistanceEngine(Protocol):
    """Distances from fixed demand points to any set of sites.

    Attributes
    ----------
    kind
        ``"straight"`` or ``"network"``.
    demand_xy
        Demand point coordinates, shape (n, 2), EPSG:25832.
    note
        One line for every output saying how distances were measured (and any fallback).

    """

    kind: str
    demand_xy: np.ndarray
    note: str

    def nearest(self, site_xy: np.ndarray) -> np.ndarray:
        """Metres from each demand point to its nearest site (``inf`` if none is reachable)."""
        ...

    def nearest_with_index(self, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`nearest`, plus the index of the nearest site (-1 where none)."""
        ...

    def within(self, site_xy: np.ndarray, threshold_m: float) -> sparse.csr_array:
        """Sparse matrix (n_demand × n_sites): entry = distance (+1e-9) where ≤ ``threshold_m``."""
        ...


class StraightLineEngine:
    r"""Euclidean distance in EPSG:25832 with a KD-tree.

    .. math::

        d_i = \\min_j \\lVert p_i - s_j \\rVert_2

    Parameters
    ----------
    demand_xy
        (n, 2) array of demand point coordinates in metres.

    """

    kind = "straight"

    def __init__(self, demand_xy: np.ndarray):
        self.demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
        self.note = "Avstander er målt i luftlinje."
        self._tree: cKDTree | None = None

    def nearest_with_index(self, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest-site distance and index for every demand point."""
        sites = np.asarray(site_xy, dtype=float).reshape(-1, 2)
        n = len(self.demand_xy)
        if len(sites) == 0:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        dist, idx = cKDTree(sites).query(self.demand_xy, k=1)
        return np.asarray(dist, dtype=float), np.asarray(idx, dtype=np.int64)

    def nearest(self, site_xy: np.ndarray) -> np.ndarray:
        """Nearest-site distance for every demand point."""
        return self.nearest_with_index(site_xy)[0]

    def within(self, site_xy: np.ndarray, threshold_m: float) -> sparse.csr_array:
        """Sparse (n_demand × n_sites) matrix; entry (i, j) = distance + 1e-9 when ≤ ``threshold_m``.

        The tiny offset keeps a zero distance as a stored entry, so "stored" means "within".
        """
        sites = np.asarray(site_xy, dtype=float).reshape(-1, 2)
        n = len(self.demand_xy)
        if len(sites) == 0:
            return sparse.csr_array((n, 0))
        if self._tree is None:
            self._tree = cKDTree(self.demand_xy)
        hits = self._tree.query_ball_point(sites, threshold_m)
        cols = np.repeat(np.arange(len(sites)), [len(h) for h in hits])
        rows = np.fromiter((i for h in hits for i in h), dtype=np.int64, count=len(cols))
        dist = np.hypot(*(self.demand_xy[rows] - sites[cols]).T) if len(rows) else np.empty(0)
        return sparse.csr_array((dist + 1e-9, (rows, cols)), shape=(n, len(sites)))
