"""What reading a file found: :class:`LoadResult` (good rows + problems) and helpers for messages."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from geo.errors import InputError, Problem

__all__ = [
    "CoordSystem",
    "LoadResult",
    "problems_frame",
    "row_number",
    "unreadable_error",
]


CoordSystem = Literal["EPSG:4326", "EPSG:25832", "EPSG:25833", "geometri", "ingen"]


@dataclass
class LoadResult:
    """What came out of reading a file: the good rows and the problems.

    Attributes
    ----------
    frame
        The good rows (a GeoDataFrame in EPSG:25832 when the file had locations).
    problems
        Everything worth telling the user, errors and warnings.
    kind
        ``"points"``, ``"aggregate"`` (values per bydel), ``"polygons"`` or ``"table"``.
    coord_system
        How locations were read.
    n_input_rows
        Number of data rows in the file.

    """

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    kind: str = "table"
    coord_system: str = "ingen"
    n_input_rows: int = 0

    @property
    def errors(self) -> list[Problem]:
        """Problems that dropped a row or the file."""
        return [p for p in self.problems if p.severity == "feil"]

    def problems_frame(self) -> pd.DataFrame:
        """The problems as a table with bokmål headers: fil, rad, kolonne, alvorlighet, problem."""
        return problems_frame(self.problems)


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a readable table (``fil``, ``rad``, ``kolonne``, ``alvorlighet``, ``problem``)."""
    rows = [
        {
            "fil": p.file,
            "rad": p.row,
            "kolonne": p.column or "",
            "alvorlighet": p.severity,
            "problem": p.message,
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=["fil", "rad", "kolonne", "alvorlighet", "problem"])
    frame["rad"] = frame["rad"].astype("Int64")
    return frame


def row_number(label: object) -> int:
    """Row label (an int index) as ``int``, for messages."""
    return int(str(label))


def unreadable_error(path: str | Path, exc: BaseException) -> InputError:
    """Return an error with a bokmål message for a file that cannot be opened or decoded."""
    if isinstance(exc, FileNotFoundError):
        message = "Filen finnes ikke."
    elif isinstance(exc, UnicodeDecodeError):
        message = "Filen er ikke UTF-8-tekst. Lagre den som CSV (UTF-8)."
    elif isinstance(exc, (gzip.BadGzipFile, EOFError)):
        message = "Filen er ikke en hel gzip-fil."
    elif isinstance(exc, (csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError)):
        message = "Filen kan ikke leses som CSV (tom, eller feil antall felt)."
    else:
        message = "Filen kan ikke åpnes."
    return InputError(Problem(str(path), None, None, message))
