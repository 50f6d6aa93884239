r"""Choropleth classes: class bounds of metric values, the class of each value, legend labels.

Three ways to set the bounds, as in PySAL's :mod:`mapclassify` (the test oracle), computed here
with plain NumPy: importing mapclassify pulls in ``scipy.stats`` and scikit-learn (about 1 s on
the app's first map), for three small formulas and one dynamic programme.

For sorted values :math:`y_1 \le \dots \le y_n` and :math:`k` classes, each class is given by
its upper bound; a value :math:`y` belongs to the first class with :math:`y \le b_c`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb

from geo.labels import format_metric
from geo.style import SEQUENTIAL_CMAP

__all__ = [
    "CLASSIFIERS",
    "Classes",
    "class_breaks",
    "classify",
    "equal_interval_breaks",
    "fisher_jenks_breaks",
    "protected_classes",
    "quantile_breaks",
]


def fisher_jenks_breaks(values: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    r"""Upper bounds of the :math:`k` classes with the least within-class sum of squares.

    Fisher's exact optimal grouping ("natural breaks", Jenks): over all partitions of the
    sorted values into :math:`k` runs :math:`C_1, \dots, C_k`,

    .. math::

        \min \sum_{c=1}^{k} \sum_{i \in C_c} (y_i - \bar y_c)^2,

    solved by dynamic programming over prefix sums in :math:`O(k n^2)`. The bound of a class is
    its largest value. Of equally good partitions the one with the earliest breaks is taken.
    """
    y = np.sort(np.asarray(values, dtype=float))
    n = len(y)
    if n == 0:
        return np.zeros(0)
    k = max(1, min(int(k), n))
    s1 = np.concatenate([[0.0], np.cumsum(y)])
    s2 = np.concatenate([[0.0], np.cumsum(y * y)])
    # cost[c][j]: least sum of squares of y[:j + 1] in c + 1 classes; start[c][j]: first index
    # of its last class
    cost = np.full((k, n), np.inf)
    start = np.zeros((k, n), dtype=np.int64)
    ends = np.arange(1, n + 1)
    cost[0] = s2[ends] - s1[ends] ** 2 / ends
    for c in range(1, k):
        for j in range(c, n):
            first = np.arange(c, j + 1)  # the last class is y[first : j + 1]
            size = j + 1 - first
            tail = s2[j + 1] - s2[first] - (s1[j + 1] - s1[first]) ** 2 / size
            total = cost[c - 1, first - 1] + np.maximum(tail, 0.0)
            best = int(np.argmin(total))
            cost[c, j], start[c, j] = total[best], first[best]
    bounds = np.empty(k)
    j = n - 1
    for c in range(k - 1, -1, -1):
        bounds[c] = y[j]
        j = int(start[c, j]) - 1
    return bounds


def quantile_breaks(values: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    r"""Upper bounds at the :math:`100 c / k`-th percentiles, :math:`c = 1, \dots, k`.

    Percentiles by linear interpolation between the order statistics around position
    :math:`(n - 1) c / k`, taken in integers so that a bound on an order statistic is exactly
    that value; repeated bounds (ties) are merged, so fewer than :math:`k` classes may come back.
    """
    y = np.sort(np.asarray(values, dtype=float))
    steps = (len(y) - 1) * np.arange(1, k + 1)
    below, rest = np.divmod(steps, k)
    above = np.minimum(below + 1, len(y) - 1)
    fraction = rest / k
    bounds = np.where(rest == 0, y[below], y[below] + (y[above] - y[below]) * fraction)
    return np.unique(bounds)


def equal_interval_breaks(values: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    r"""Upper bounds of :math:`k` classes of equal width over the range.

    .. math:: b_c = y_{\min} + c \, \frac{y_{\max} - y_{\min}}{k}, \quad b_k = y_{\max}
    """
    y = np.asarray(values, dtype=float)
    low, high = float(y.min()), float(y.max())
    bounds = low + (high - low) / k * np.arange(1, k + 1)
    bounds[-1] = high
    return bounds


CLASSIFIERS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naturalbreaks": fisher_jenks_breaks,
    "quantiles": quantile_breaks,
    "equalinterval": equal_interval_breaks,
}
"""Classification methods by name (the ``method`` of :func:`classify`)."""


def class_breaks(data: np.ndarray, method: str, k: int) -> np.ndarray:
    r"""Upper class bounds; fewer classes than asked when there are few distinct values.

    With :math:`u < 2k` distinct values at most :math:`\max(1, \lfloor u/2 \rfloor)` classes
    are made, so that a class rarely holds a single area by construction.
    """
    n_unique = len(np.unique(data))
    if n_unique <= 1:
        return np.array([data.max() if len(data) else 0.0])
    k = max(1, min(k, n_unique // 2 if n_unique < 2 * k else k))
    if k == 1:
        return np.array([float(data.max())])
    return np.asarray(CLASSIFIERS[method](data, k), dtype=float)


@dataclass
class Classes:
    """A classification of metric values: class of each value, bounds and legend labels."""

    bins: np.ndarray
    """Upper bound of each class."""
    index: np.ndarray
    """Class of each value, -1 for missing / infinite."""
    labels: list[str]
    counts: list[int]
    method: str

    def colors(self) -> list[tuple[float, float, float]]:
        """Sequential colours light → dark, one per class."""
        k = len(self.bins)
        positions = np.linspace(0.12, 1.0, k) if k > 1 else np.array([0.6])
        return [to_rgb(SEQUENTIAL_CMAP(p)) for p in positions]


def classify(
    values: Sequence[float] | np.ndarray,
    metric: str,
    method: str = "naturalbreaks",
    k: int = 5,
    bins: Sequence[float] | np.ndarray | None = None,
) -> Classes:
    """Classify metric values for a choropleth.

    Parameters
    ----------
    values
        One value per area; ``nan``/``inf`` go to a "no data" class (index -1).
    metric
        Metric name (used to format the legend labels).
    method
        ``"naturalbreaks"`` (Fisher–Jenks, exact), ``"quantiles"`` or ``"equalinterval"``.
    k
        Number of classes; reduced when there are fewer distinct values.
    bins
        Fixed upper class bounds (e.g. to share classes between two maps); overrides ``method``.

    """
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    data = arr[finite]
    zero_class = False
    if bins is None:
        if method not in CLASSIFIERS:
            raise ValueError(
                f"Ukjent klassifisering «{method}». Gyldige: {', '.join(CLASSIFIERS)}."
            )
        # Many areas at exactly 0 (no one within reach) get a class of their own, so that
        # "0" is never lumped together with small positive values.
        zero_class = bool((data == 0).sum() >= 2 and (data > 0).any() and (data >= 0).all())
        rest = data[data > 0] if zero_class else data
        upper = class_breaks(rest, method, k - int(zero_class))
        if zero_class:
            upper = np.concatenate([[0.0], upper])
    else:
        upper = np.asarray(bins, dtype=float)
    upper = np.unique(upper)
    index = np.full(len(arr), -1)
    index[finite] = np.minimum(np.searchsorted(upper, data, side="left"), len(upper) - 1)
    labels, counts = [], []
    for c, hi in enumerate(upper):
        members = arr[index == c]
        counts.append(len(members))
        if len(members):
            # the actual range of the class's values: no shared bounds between classes
            lo, hi_shown = float(members.min()), float(members.max())
        else:
            lo, hi_shown = (float(upper[c - 1]) if c else float(hi)), float(hi)
        labels.append(_range_label(format_metric(metric, lo), format_metric(metric, hi_shown)))
    return Classes(upper, index, labels, counts, method if bins is None else "faste grenser")


def protected_classes(values: np.ndarray, metric: str, classes: Classes) -> Classes:
    """Reclassify with rounded bounds so the legend never shows one area's exact value.

    Bounds are rounded up to multiples of 5 for counts, 5 percentage points for shares and two
    significant digits otherwise; a first class holding counts of 1–4 is labelled ``"<5"``.
    """
    if metric.startswith("share"):
        step = 0.05
        rounded = np.ceil(np.asarray(classes.bins) / step - 1e-9) * step
    elif metric in ("population", "residents_within_threshold") or metric.startswith("n_"):
        rounded = np.ceil(np.asarray(classes.bins) / 5 - 1e-9) * 5
    else:
        rounded = np.array([float(f"{b:.2g}") if b > 0 else b for b in classes.bins])
        rounded = np.where(rounded < classes.bins, rounded * 1.1, rounded)
    out = classify(values, metric, bins=np.unique(rounded))
    labels = []
    previous: float | None = None
    for c, hi in enumerate(out.bins):
        members = np.asarray(values, dtype=float)[out.index == c]
        hi_text = format_metric(metric, float(hi))
        if previous is None:
            small = bool(((members > 0) & (members < 5)).any()) and not metric.startswith("share")
            lo_text = "<5" if small else format_metric(metric, 0.0)
            if members.size and (members == 0).all():
                lo_text = hi_text = format_metric(metric, 0.0)
        elif previous == 0 and ((members > 0) & (members < 5)).any():
            lo_text = "<5"
        else:
            lo_text = f"over {format_metric(metric, previous)}"
        labels.append(hi_text if lo_text == hi_text else f"{lo_text} – {hi_text}")
        previous = float(hi)
    out.labels = labels
    out.method = classes.method
    return out


def _range_label(lo_text: str, hi_text: str) -> str:
    """``"12 – 25 %"`` from ``"12 %"`` and ``"25 %"`` (the unit written once)."""
    if lo_text == hi_text:
        return hi_text
    lo_parts, hi_parts = lo_text.rsplit(" ", 1), hi_text.rsplit(" ", 1)
    if (
        len(lo_parts) == 2
        and len(hi_parts) == 2
        and lo_parts[1] == hi_parts[1]
        and not lo_parts[1][0].isdigit()
    ):
        return f"{lo_parts[0]} – {hi_text}"
    return f"{lo_text} – {hi_text}"
