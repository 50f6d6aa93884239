import pytest

from geo import geocode
from geo.errors import GeocodeUnavailableError


def test_parse_kartverket_answer():
    # The shape of an adresser/v1/sok answer (fields as documented by Kartverket).
    payload = {
        "metadata": {"totaltAntallTreff": 2},
        "adresser": [
            {
                "adressetekst": "Storgata 36",
                "postnummer": "0182",
                "representasjonspunkt": {"epsg": "EPSG:4258", "lat": 59.9152, "lon": 10.7548},
            },
            {"adressetekst": "Uten punkt", "postnummer": "0000"},
        ],
    }
    (hit,) = geocode.parse_response(payload)
    assert hit.address == "Storgata 36"
    assert 597_000 < hit.x < 598_500 and 6_643_000 < hit.y < 6_645_000


def test_offline_gives_clear_message(monkeypatch):
    monkeypatch.setattr(geocode, "GEOCODER_URL", "http://127.0.0.1:9/adresser/v1/sok")
    with pytest.raises(GeocodeUnavailableError, match="koordinater eller klikk i kartet"):
        geocode.search_address("Storgata 36", timeout_s=1)
