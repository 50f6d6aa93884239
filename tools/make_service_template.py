"""Write the blank service-registry template (``data/services_template.csv`` and ``.xlsx``).

Run: ``.venv/bin/python tools/make_service_template.py``. The columns are the registry's own
(:data:`geo.data.services.SERVICE_COLUMNS`), so a planner can fill in Velferdsetaten's list and load
it with ``--services`` or in the app.
"""

from __future__ import annotations

import pandas as pd

from geo import settings
from geo.data.services import COORD_QUALITIES, SERVICE_COLUMNS
from geo.labels import CATEGORIES

EXPLANATION = {
    "id": "Kort, unik id (små bokstaver, bindestrek), f.eks. sproyteboks-groenland-1.",
    "name": "Navn på tilbudet. Påkrevd.",
    "category": "Kategori. Påkrevd. Én av: " + ", ".join(CATEGORIES) + ".",
    "address": "Besøksadresse slik kilden skriver den.",
    "postcode": "Postnummer (fire sifre).",
    "lat": "Breddegrad i WGS84 (EPSG:4326), f.eks. 59.9157. Tom hvis ukjent: raden vises da som "
    "«ikke plassert» og teller ikke i noen beregning.",
    "lon": "Lengdegrad i WGS84, f.eks. 10.7569.",
    "operator": "Hvem som driver tilbudet.",
    "opening_hours": "Åpningstid slik kilden oppgir den.",
    "source_url": "Kilde for tilbudet og adressen (lenke). Påkrevd for data som skal brukes i saker.",
    "date_checked": "Dato kilden ble lest (ÅÅÅÅ-MM-DD).",
    "coord_quality": "Hvor sikker koordinaten er: " + ", ".join(sorted(COORD_QUALITIES)) + ".",
    "coord_source": "Hvor koordinaten kommer fra (f.eks. Geonorge-adresseobjekt).",
    "note": "Merknader.",
}


def main() -> None:
    """Write both files."""
    folder = settings.project_data_dir()
    blank = pd.DataFrame(columns=SERVICE_COLUMNS)
    blank.to_csv(folder / "services_template.csv", index=False)
    with pd.ExcelWriter(folder / "services_template.xlsx") as writer:
        blank.to_excel(writer, sheet_name="Tjenester", index=False)
        pd.DataFrame(
            {"Kolonne": list(EXPLANATION), "Forklaring": list(EXPLANATION.values())}
        ).to_excel(writer, sheet_name="Forklaring", index=False)


if __name__ == "__main__":
    main()
