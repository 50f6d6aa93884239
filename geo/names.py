"""Oslo's bydel codes and name normalisation.

Names typed by people vary (``St.Hanshaugen``, ``st hanshaugen``, ``Sondre Nordstrand``,
``Bydel Gamle Oslo``, ``Grunerlokka``); :func:`normalise_bydel` maps all of them to the official
6-digit code.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "BYDEL_CODES",
    "CITY_CODE",
    "CITY_NAME",
    "bydel_name",
    "normalise_bydel",
    "suggest_bydel",
]

BYDEL_CODES: dict[str, str] = {
    "030101": "Gamle Oslo",
    "030102": "Grünerløkka",
    "030103": "Sagene",
    "030104": "St. Hanshaugen",
    "030105": "Frogner",
    "030106": "Ullern",
    "030107": "Vestre Aker",
    "030108": "Nordre Aker",
    "030109": "Bjerke",
    "030110": "Grorud",
    "030111": "Stovner",
    "030112": "Alna",
    "030113": "Østensjø",
    "030114": "Nordstrand",
    "030115": "Søndre Nordstrand",
    "030116": "Sentrum",
    "030117": "Marka",
}
"""Official bydel codes (Oslo kommune) → official names."""

CITY_CODE = "0301"
CITY_NAME = "Hele byen"

_TRANSLIT = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ü": "u", "é": "e", "ö": "o", "ä": "a"})


def _key(text: str) -> str:
    """Reduce a name to a comparison key: lower case, ASCII, no punctuation or spaces."""
    text = unicodedata.normalize("NFC", str(text)).strip().lower()
    text = text.translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"^bydel\s+", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


_NAME_KEYS: dict[str, str] = {_key(name): code for code, name in BYDEL_CODES.items()}
# Variants seen in real files.
_NAME_KEYS.update({"sthanshaugen": "030104", "sankthanshaugen": "030104", "oslosentrum": "030116"})


def normalise_bydel(value: object) -> str | None:
    """Return the official 6-digit bydel code for a name or code, or ``None`` if unknown.

    Accepts official names in any case and spacing, with or without Norwegian letters, with or
    without the prefix "Bydel"; 6-digit codes (``030104``), short codes (``4``, ``04``, ``0104``,
    ``301 04``) and numbers that lost their leading zero in a spreadsheet (``30104``).

    Examples
    --------
    >>> normalise_bydel("St.Hanshaugen")
    '030104'
    >>> normalise_bydel("Sondre Nordstrand")
    '030115'
    >>> normalise_bydel(30101)
    '030101'

    """
    if value is None:
        return None
    if isinstance(value, float):
        if value != value or value % 1:  # NaN or fractional
            return None
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    digits = re.sub(r"\s", "", text)
    if digits.isdigit():
        number = int(digits)
        if 30101 <= number <= 30117:
            return f"0{number}"
        if 1 <= number <= 17 and len(digits) <= 2:
            return f"0301{number:02d}"
        if 101 <= number <= 117 and digits.startswith("01"):
            return f"0301{number - 100:02d}"
        return None
    return _NAME_KEYS.get(_key(text))


def bydel_name(code: str) -> str:
    """Return the official name for a bydel code (the code itself if unknown)."""
    return BYDEL_CODES.get(code, code)


def suggest_bydel(value: object, limit: int = 3) -> list[str]:
    """Return official bydel names close to ``value`` (for "did you mean" messages)."""
    import difflib

    key = _key(str(value))
    by_key = {_key(name): name for name in BYDEL_CODES.values()}
    return [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)]
