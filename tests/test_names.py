import pytest

from geo.names import BYDEL_CODES, bydel_name, normalise_bydel, suggest_bydel


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("St. Hanshaugen", "030104"),
        ("St.Hanshaugen", "030104"),
        ("st hanshaugen", "030104"),
        ("  ST.  HANSHAUGEN ", "030104"),
        ("Søndre Nordstrand", "030115"),
        ("Sondre Nordstrand", "030115"),
        ("Bydel Gamle Oslo", "030101"),
        ("grunerlokka", "030102"),
        ("Grünerløkka", "030102"),
        ("Østensjø", "030113"),
        ("Ostensjo", "030113"),
        ("030116", "030116"),
        ("30101", "030101"),
        (30117, "030117"),
        (4, "030104"),
        ("15", "030115"),
        (12.0, "030112"),
    ],
)
def test_normalise_bydel_resolves_variants(text, code):
    assert normalise_bydel(text) == code


@pytest.mark.parametrize(
    "text", ["", None, "Bergen", "030199", "99", 4.5, float("nan"), "Nordstrand øst"]
)
def test_normalise_bydel_rejects_unknown(text):
    assert normalise_bydel(text) is None


def test_codes_are_official_and_complete():
    assert len(BYDEL_CODES) == 17
    assert next(iter(BYDEL_CODES)) == "030101" and list(BYDEL_CODES)[-1] == "030117"
    assert bydel_name("030116") == "Sentrum"


def test_suggestion_for_misspelling():
    assert suggest_bydel("Grunnerløka") == ["Grünerløkka"]
