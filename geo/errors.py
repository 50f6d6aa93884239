"""Every exception of the package and the :class:`Problem` record.

A :class:`Problem` names the file, the row (as a person sees it), the column and what is wrong,
in bokmål; :class:`InputError` carries one or more of them. The CLI turns an ``InputError`` into
exit code 2 and its message; the app shows the problems as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DatasetMissingError",
    "ExternalAssetError",
    "GeocodeUnavailableError",
    "InputError",
    "NetworkUnavailableError",
    "Problem",
    "ScenarioError",
    "ScenarioNotFoundError",
    "ScenarioStoreError",
    "Severity",
    "UnknownSiteError",
]


Severity = Literal["feil", "advarsel"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes
    ----------
    file
        File name as the user knows it.
    row
        Row number as the user sees it (CSV line / spreadsheet row / feature number), or ``None``
        for a problem with the whole file.
    column
        Column name, or ``None``.
    message
        What is wrong and what to do, in bokmål.
    severity
        ``"feil"`` (the row was dropped, or the file could not be read) or ``"advarsel"`` (the row
        was kept, with a correction the user should know about).

    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: Severity = "feil"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column:
            where.append(f"kolonne «{self.column}»")
        return f"{', '.join(where)}: {self.message}"


class InputError(ValueError):
    """A file cannot be used at all. ``problems`` holds the reasons (at least one)."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DatasetMissingError(FileNotFoundError):
    """A reference dataset is not in the data directory; the message says how to provide it."""


class GeocodeUnavailableError(RuntimeError):
    """Address search cannot reach Kartverket (no internet, or the service answered with an error)."""


class ExternalAssetError(RuntimeError):
    """A map links a script or stylesheet that has no local copy (it would need internet)."""


class ScenarioError(ValueError):
    """A scenario cannot be saved as given (bad name, settings or candidates); bokmål message."""


class ScenarioStoreError(RuntimeError):
    """The store cannot be used (not a database, made by a newer version, busy); bokmål message."""


class ScenarioNotFoundError(KeyError):
    """No scenario (or no such version) with that name; the message is bokmål."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Fant ikke scenarioet."


class NetworkUnavailableError(FileNotFoundError):
    """No walking network was found (no cache, GraphML or OSM extract) and none could be made."""


class UnknownSiteError(KeyError):
    """A site id given to ``remove``/``move`` is not among the baseline sites."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Ukjent lokasjon."
