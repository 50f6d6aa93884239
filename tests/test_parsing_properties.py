"""Property-based tests (hypothesis) of number parsing, CSV reading and coordinate detection."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo import settings as geo_settings
from geo.inputs.coordinates import parse_number
from geo.inputs.read import read_any
from geo.inputs.tables import read_csv_bytes, sniff_delimiter

# More examples for a thorough run: OSLO_COVERAGE_HYPOTHESIS_SCALE=20 pytest tests/test_parsing_properties.py
_SCALE = max(1, int(os.environ.get("OSLO_COVERAGE_HYPOTHESIS_SCALE", "1")))
FAST = settings(
    max_examples=150 * _SCALE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SLOWER = settings(
    max_examples=40 * _SCALE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ---- numbers --------------------------------------------------------------------------------


def _group(digits: str, sep: str) -> str:
    """Insert ``sep`` every three digits from the right."""
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return sep.join(parts)


@st.composite
def written_numbers(draw):
    """A number and how a person might write it (decimal comma or point, thousands groups)."""
    integer = draw(st.integers(min_value=0, max_value=10**12))
    decimals = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6)))
    negative = draw(st.booleans())
    style = draw(
        st.sampled_from(
            [
                ("", "."),  # 1234567.5
                ("", ","),  # 1234567,5
                (" ", ","),  # 1 234 567,5
                ("\u00a0", ","),  # 1 234 567,5 (no-break space, Excel)
                ("\u202f", ","),  # narrow no-break space
                (".", ","),  # 1.234.567,5
                (",", "."),  # 1,234,567.5
                (" ", "."),  # 1 234 567.5
            ]
        )
    )
    thousands, decimal = style
    digits = str(integer)
    body = _group(digits, thousands) if thousands else digits
    # A lone group separator without decimals is ambiguous ("1.234" or "1,234"): Norwegian
    # convention reads "1,234" as 1.234, so only write unambiguous forms.
    if thousands in {".", ","} and not decimals:
        assume(body.count(thousands) >= 2)
    text = body + (decimal + decimals if decimals else "")
    sign = draw(st.sampled_from(["-", "\u2212"])) if negative else ""
    value = float(f"{digits}.{decimals or '0'}")
    return sign + text, -value if negative else value


@FAST
@given(written_numbers())
def test_parse_number_reads_what_people_write(case):
    text, value = case
    assert parse_number(text) == pytest.approx(value, rel=1e-12, abs=1e-12)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_parse_number_round_trips_python_floats(value):
    assert parse_number(repr(value)) == value
    assert parse_number(value) == value


@FAST
@given(st.text(alphabet=st.characters(whitelist_categories=("L",)), min_size=1, max_size=12))
def test_parse_number_rejects_words(word):
    assume(word.strip().lower() not in {"nan", "inf", "infinity", "e"})
    assume(not word.strip().lower().lstrip("+-").startswith(("inf", "nan")))
    with pytest.raises(ValueError):
        parse_number(word)


@FAST
@given(st.sampled_from(["", " ", "\u00a0", "  \t"]))
def test_parse_number_empty_is_nan(text):
    assert math.isnan(parse_number(text))


# ---- CSV round trip -------------------------------------------------------------------------

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzæøåÆØÅ_"
_CELL_CHARS = _NAME_CHARS + "ABCXYZ0123456789 .,;:-/'\"éü()&%"


@st.composite
def frames(draw):
    n_cols = draw(st.integers(min_value=2, max_value=6))
    names = draw(
        st.lists(
            st.text(_NAME_CHARS, min_size=1, max_size=10),
            min_size=n_cols,
            max_size=n_cols,
            unique_by=str.lower,
        )
    )
    n_rows = draw(st.integers(min_value=1, max_value=25))
    cell = st.text(_CELL_CHARS, max_size=15).map(str.strip)
    data = {name: draw(st.lists(cell, min_size=n_rows, max_size=n_rows)) for name in names}
    return pd.DataFrame(data, dtype=str)


@FAST
@given(
    frames(),
    st.sampled_from([";", ","]),
    st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_csv_round_trip(frame, sep, encoding, newline):
    text = frame.to_csv(sep=sep, index=False, lineterminator=newline)
    data = text.encode(encoding)
    assert sniff_delimiter(data.decode(encoding).lstrip("\ufeff")) == sep
    back, problems = read_csv_bytes(data, "rundtur.csv")
    assert [p for p in problems if p.severity == "feil"] == []
    assert list(back.columns) == list(frame.columns)
    assert back.reset_index(drop=True).equals(frame.reset_index(drop=True))
    assert list(back.index) == list(range(2, len(frame) + 2))


# ---- coordinate detection -------------------------------------------------------------------

_TO_LONLAT = Transformer.from_crs(25832, 4326, always_xy=True)
_TO_UTM33 = Transformer.from_crs(25832, 25833, always_xy=True)


@st.composite
def oslo_points(draw):
    """1–30 points inside Oslo's box (EPSG:25832), 200 m inside its edge."""
    minx, miny, maxx, maxy = geo_settings.OSLO_BBOX_25832
    n = draw(st.integers(min_value=1, max_value=30))
    xs = draw(st.lists(st.floats(minx + 200, maxx - 200), min_size=n, max_size=n))
    ys = draw(st.lists(st.floats(miny + 200, maxy - 200), min_size=n, max_size=n))
    return np.array(xs), np.array(ys)


def _csv(columns: list[str], a: np.ndarray, b: np.ndarray, decimals: int, sep: str) -> bytes:
    lines = [sep.join(["id", *columns])]
    for i, (u, v) in enumerate(zip(a, b, strict=True), start=1):
        cells = [f"{u:.{decimals}f}", f"{v:.{decimals}f}"]
        if sep == ";":
            cells = [c.replace(".", ",") for c in cells]
        lines.append(sep.join([f"p{i}", *cells]))
    return ("\n".join(lines) + "\n").encode()


@SLOWER
@given(
    oslo_points(),
    st.sampled_from(["lonlat", "latlon_swapped", "utm32", "utm32_in_latlon", "utm33"]),
    st.sampled_from([",", ";"]),
)
def test_coordinates_land_within_a_metre(points, layout, sep):
    x, y = points
    lon, lat = _TO_LONLAT.transform(x, y)
    if layout == "lonlat":
        data = _csv(["lat", "lon"], lat, lon, 7, sep)
    elif layout == "latlon_swapped":  # the column called lat holds longitudes and vice versa
        data = _csv(["lat", "lon"], lon, lat, 7, sep)
    elif layout == "utm32":
        data = _csv(["x", "y"], x, y, 2, sep)
    elif layout == "utm32_in_latlon":  # UTM values in columns called lon/lat
        data = _csv(["lon", "lat"], x, y, 2, sep)
    else:
        x33, y33 = _TO_UTM33.transform(x, y)
        data = _csv(["øst", "nord"], x33, y33, 2, sep)
    result = read_any(data, name="punkter.csv")
    assert result.kind == "points"
    assert result.errors == []
    assert len(result.frame) == len(x)
    got = result.frame.geometry
    assert np.hypot(got.x.to_numpy() - x, got.y.to_numpy() - y).max() < 1.0
