"""Shortest paths in compiled code: multi-source Dijkstra with per-source offsets."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

__all__ = [
    "map_positions",
    "multi_source_dijkstra",
]


_UNREACHED = -9999  # scipy's marker for "no source reached this node"


def multi_source_dijkstra(
    csr: sp.csr_matrix,
    source_nodes: np.ndarray,
    source_offsets: np.ndarray | None = None,
    limit: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Shortest distance from the nearest of several sources to every node, in compiled code.

    Each source *j* starts with its own offset :math:`o_j` (e.g. its snapping distance): one
    virtual node per source is linked to its network node by an edge of length :math:`o_j`, and
    :func:`scipy.sparse.csgraph.dijkstra` runs once from all virtual nodes (``min_only=True``).

    .. math::

        D(v) = \min_j \left( o_j + \delta(n_j, v) \right)

    Parameters
    ----------
    csr
        Symmetric adjacency matrix (:attr:`WalkNetwork.csr`).
    source_nodes
        Node position of each source.
    source_offsets
        Starting distance of each source; default 0.
    limit
        Stop searching beyond this distance (nodes farther get ``inf``).

    Returns
    -------
    distance : numpy.ndarray
        ``(n_nodes,)`` metres, ``inf`` where no source is within ``limit``.
    source : numpy.ndarray
        ``(n_nodes,)`` position (into ``source_nodes``) of the nearest source, ``-1`` if none.

    """
    n = csr.shape[0]
    nodes = np.asarray(source_nodes, dtype=np.int32)
    m = len(nodes)
    if m == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    offsets = np.zeros(m) if source_offsets is None else np.asarray(source_offsets, dtype=float)
    indptr = np.r_[csr.indptr, csr.indptr[-1] + np.arange(1, m + 1)].astype(np.int32)
    indices = np.r_[csr.indices, nodes].astype(np.int32)
    data = np.r_[csr.data, offsets]
    augmented = sp.csr_matrix((data, indices, indptr), shape=(n + m, n + m))
    dist, _, origin = dijkstra(
        augmented,
        directed=True,
        indices=np.arange(n, n + m, dtype=np.int32),
        min_only=True,
        return_predecessors=True,
        limit=limit,
    )
    origin = origin[:n].astype(np.int64)
    source = np.where(origin == _UNREACHED, -1, origin - n)
    return dist[:n], source


def map_positions(positions: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Translate local positions (``-1`` = none) into ``positions[local]``, keeping ``-1``."""
    out = np.full(len(local), -1, dtype=np.int64)
    found = local >= 0
    if len(positions):
        out[found] = np.asarray(positions, dtype=np.int64)[local[found]]
    return out
