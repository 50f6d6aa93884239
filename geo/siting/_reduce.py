"""Reducing a covering model exactly: rows that cannot change dropped, identical rows merged."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "merge_identical_rows",
]


def merge_identical_rows(
    matrix: sp.csr_array, weights: np.ndarray, labels: np.ndarray | None = None
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Drop rows with no weight or no entry; merge rows with the same entries (and label).

    Returns the merged matrix, the summed weights and, per merged row, the first original row.
    """
    row_nnz = np.diff(matrix.indptr)
    rows = np.flatnonzero((weights > 0) & (row_nnz > 0))
    keys: dict[tuple[Any, bytes], int] = {}
    position = np.empty(len(rows), dtype=np.int64)
    indptr, indices = matrix.indptr, matrix.indices
    first_rows: list[int] = []
    for k, r in enumerate(rows):
        key = (
            labels[r] if labels is not None else None,
            indices[indptr[r] : indptr[r + 1]].tobytes(),
        )
        slot = keys.get(key)
        if slot is None:
            slot = keys[key] = len(first_rows)
            first_rows.append(int(r))
        position[k] = slot
    merged_weights = np.bincount(position, weights=weights[rows], minlength=len(first_rows))
    first = np.asarray(first_rows, dtype=np.int64)
    merged = (
        sp.csr_array(matrix[first])
        if len(first)
        else sp.csr_array((0, matrix.shape[1]), dtype=matrix.dtype)
    )
    return merged, merged_weights, first
