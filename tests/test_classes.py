"""Choropleth class bounds against PySAL's mapclassify (the oracle), on real and random values.

The app computes the bounds itself (``geo.maps.classes``); mapclassify is only a test dependency.
"""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.maps.classes import (
    class_breaks,
    classify,
    equal_interval_breaks,
    fisher_jenks_breaks,
    quantile_breaks,
)


def _sum_of_squares(values: np.ndarray, bounds: np.ndarray) -> float:
    """Within-class sum of squares of ``values`` classed by upper ``bounds``."""
    index = np.searchsorted(bounds, values, side="left")
    return float(
        sum(((values[index == c] - values[index == c].mean()) ** 2).sum() for c in set(index))
    )


def _oracle(method: str, values: np.ndarray, k: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed"
        return np.asarray(getattr(mapclassify, method)(values, k=k).bins, dtype=float)


@pytest.fixture(scope="module")
def bydel_population(study) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Residents per bydel of the real study (SSB), the app's default choropleth input."""
    demand = study.demand
    return pd.Series(demand["weight"]).groupby(demand["bydel_code"]).sum().to_numpy(dtype=float)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 7])
def test_natural_breaks_match_mapclassify_on_real_bydel_population(bydel_population, k):
    ours = fisher_jenks_breaks(bydel_population, k)
    theirs = _oracle("FisherJenks", bydel_population, k)
    np.testing.assert_allclose(ours, theirs)


@given(
    st.lists(st.floats(0, 1e5, allow_nan=False, width=32), min_size=3, max_size=60, unique=True),
    st.integers(2, 6),
)
@settings(max_examples=60, deadline=None)
def test_natural_breaks_are_optimal_and_agree_with_mapclassify(values, k):
    y = np.asarray(values, dtype=float)
    k = min(k, len(y))
    ours = fisher_jenks_breaks(y, k)
    theirs = _oracle("FisherJenks", y, k)
    assert len(ours) == k and ours[-1] == y.max()
    # never worse than the oracle's partition (which sums in float32), usually the same bounds
    assert _sum_of_squares(y, ours) <= _sum_of_squares(y, theirs) * (1 + 1e-6) + 1e-6


def test_natural_breaks_split_where_the_gaps_are():
    values = np.array([1, 2, 3, 50, 51, 52, 200, 201])
    assert fisher_jenks_breaks(values, 3).tolist() == [3, 52, 201]
    # brute force over every pair of breaks of 8 values
    best = min(
        (
            _sum_of_squares(values.astype(float), np.array([values[i], values[j], 201.0]))
            for i in range(6)
            for j in range(i + 1, 7)
        ),
    )
    assert _sum_of_squares(values.astype(float), fisher_jenks_breaks(values, 3)) == best


@given(
    # values to the hundredth, as metrics are shown
    st.lists(st.integers(-(10**6), 10**6).map(lambda v: v / 100), min_size=2, max_size=80),
    st.integers(1, 8),
)
@settings(max_examples=60, deadline=None)
def test_quantiles_and_equal_intervals_match_mapclassify(values, k):
    y = np.asarray(values, dtype=float)
    # scipy interpolates ties as x (1 - f) + x f, a last-bit difference that can keep two
    # copies of one bound through the oracle's ``unique``: both are compared to 1e-9
    theirs = np.unique(_oracle("Quantiles", y, k).round(9))
    np.testing.assert_allclose(np.unique(quantile_breaks(y, k).round(9)), theirs)
    if y.max() > y.min():
        np.testing.assert_allclose(equal_interval_breaks(y, k), _oracle("EqualInterval", y, k))


def test_class_breaks_fits_k_to_few_distinct_values():
    assert class_breaks(np.array([5.0, 5.0, 5.0]), "naturalbreaks", 5).tolist() == [5.0]
    # 4 distinct values: at most 2 classes, so a class rarely holds one area by construction
    assert len(class_breaks(np.array([1.0, 2.0, 3.0, 4.0]), "quantiles", 5)) == 2


def test_classify_names_an_unknown_method():
    with pytest.raises(ValueError, match="Ukjent klassifisering «jenks»"):
        classify([1, 2, 3], "n_services", method="jenks")
