"""Study areas: the part of Oslo an analysis looks at (the whole city, or the centre).

A study area is a set of today's bydeler, taken at delbydel resolution: demand, candidates and
metrics are restricted to the delbydeler of those bydeler (services outside still count as the
nearest service of a resident inside). The built-in centre area follows the action plan's
mandate to spread services "sentralt i Oslo": Sentrum and the four central bydeler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd

from geo.names import BYDEL_CODES, CITY_NAME

__all__ = [
    "SENTRUM_CODES",
    "STUDY_AREAS",
    "StudyArea",
    "study_area",
]


@dataclass(frozen=True)
class StudyArea:
    """Which bydeler an analysis covers.

    Attributes
    ----------
    key
        Short name (``by``, ``sentrum`` or ``egen``).
    label
        Name shown everywhere, in bokmål.
    bydel_codes
        Today's bydeler in the area; empty for the whole city.

    """

    key: str
    label: str
    bydel_codes: tuple[str, ...] = ()

    @property
    def whole_city(self) -> bool:
        """True for the whole city (no restriction)."""
        return not self.bydel_codes

    @property
    def total_name(self) -> str:
        """Name of the total row of every table: «Hele byen», or «Hele området»."""
        return CITY_NAME if self.whole_city else "Hele området"

    def delbydel_codes(self, delbydeler: gpd.GeoDataFrame) -> list[str]:
        """The delbydeler of the area (a delbydel's first two digits are its bydel number)."""
        codes = delbydeler["delbydel_code"].astype(str).str.zfill(4)
        if self.whole_city:
            return codes.tolist()
        wanted = {code[-2:] for code in self.bydel_codes}
        return codes[codes.str[:2].isin(wanted)].tolist()

    def provenance(self) -> str:
        """One bokmål line for every output: the area and its bydeler."""
        if self.whole_city:
            return "Studieområde: hele byen"
        names = ", ".join(BYDEL_CODES.get(code, code) for code in self.bydel_codes)
        return f"Studieområde: {self.label} ({names})"


SENTRUM_CODES = ("030116", "030101", "030102", "030104", "030103")
"""Sentrum, Gamle Oslo, Grünerløkka, St. Hanshaugen and Sagene."""

STUDY_AREAS: dict[str, StudyArea] = {
    "by": StudyArea("by", "Hele byen"),
    "sentrum": StudyArea("sentrum", "Sentrum og sentrumsbydelene", SENTRUM_CODES),
}
"""Built-in study areas."""


def study_area(key: str = "by", bydeler: Sequence[str] = ()) -> StudyArea:
    """A built-in study area, or ``egen`` from bydel codes or names (e.g. the centre + Frogner).

    Raises
    ------
    ValueError
        For an unknown key, or a bydel that does not exist (the message lists the known ones).

    """
    if not bydeler:
        if key not in STUDY_AREAS:
            raise ValueError(f"Ukjent studieområde «{key}». Kjente: {', '.join(STUDY_AREAS)}.")
        return STUDY_AREAS[key]
    by_name = {name.lower(): code for code, name in BYDEL_CODES.items()}
    codes = []
    for item in bydeler:
        text = str(item).strip()
        code = text if text in BYDEL_CODES else by_name.get(text.lower())
        if code is None:
            raise ValueError(f"Ukjent bydel «{text}». Kjente: {', '.join(BYDEL_CODES.values())}.")
        codes.append(code)
    base = STUDY_AREAS.get(key)
    label = base.label if base is not None and base.bydel_codes == tuple(codes) else "Eget område"
    return StudyArea("egen" if label == "Eget område" else key, label, tuple(dict.fromkeys(codes)))
