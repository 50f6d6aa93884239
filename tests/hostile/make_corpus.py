"""Generate the binary, encoded and large files of the hostile-input corpus.

Small plain-text cases live in ``tests/hostile/files/``; everything that is binary, depends on
an exact byte encoding, or is big is made here, deterministically, by :func:`build` (the tests
call it into a temporary folder; nothing generated is committed):

    python tests/hostile/make_corpus.py OUTDIR          # all but the two huge files
    python tests/hostile/make_corpus.py OUTDIR --huge   # also the 1 000 000-row and 50 MB files

Coordinates: the only real places used are four railway/metro stations, with the coordinates
that ``data/candidates_example.csv`` cites from Wikipedia (Grorud T, Linderud T, Holmlia,
Holstein T). They are labelled FIKTIV: test points near a station, never service locations.
Values that are not places at all are labelled SYNTETISK.
"""

from __future__ import annotations

import io
import pickle
import random
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

STATIONS = {
    "Grorud T-banestasjon": (59.96111, 10.88139),
    "Linderud T-banestasjon": (59.94056, 10.83917),
    "Holmlia stasjon": (59.83472, 10.79694),
    "Holstein T-banestasjon": (59.96056, 10.74),
}
"""Station name → (lat, lon), as cited in data/candidates_example.csv."""

HEADER = "id,name,category,lat,lon\n"
PICKLE_MARKER = "PICKLE_WAS_LOADED"
"""If a pickle in the corpus were ever unpickled, it would create this file next to itself."""


def _station_rows(sep: str = ",", decimal: str = ".") -> list[str]:
    rows = []
    for i, (station, (lat, lon)) in enumerate(STATIONS.items(), start=1):
        la, lo = (f"{lat}".replace(".", decimal), f"{lon}".replace(".", decimal))
        rows.append(sep.join([f"t{i}", f"FIKTIV ved {station}", "brukerrom", la, lo]))
    return rows


def _utm(lat: float, lon: float, epsg: int = 25832) -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    return x, y


def _stations_gdf():  # -> GeoDataFrame in EPSG:25832
    import geopandas as gpd

    names = list(STATIONS)
    return gpd.GeoDataFrame(
        {
            "id": [f"t{i}" for i in range(1, len(names) + 1)],
            "name": [f"FIKTIV ved {n}" for n in names],
            "category": ["brukerrom"] * len(names),
        },
        geometry=gpd.points_from_xy(
            [STATIONS[n][1] for n in names], [STATIONS[n][0] for n in names], crs=4326
        ),
        crs=4326,
    ).to_crs(25832)


def _shapefile_parts(drop: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The files of a point Shapefile (``stasjoner.*``), some parts left out if asked."""
    with tempfile.TemporaryDirectory() as tmp:
        _stations_gdf().to_file(Path(tmp) / "stasjoner.shp")
        return {
            f.name: f.read_bytes()
            for f in sorted(Path(tmp).iterdir())
            if f.suffix.lower() not in drop
        }


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# ---- text encodings ---------------------------------------------------------------------------


def bom_utf8(_: Path) -> bytes:
    return b"\xef\xbb\xbf" + (HEADER + "\n".join(_station_rows()) + "\n").encode("utf-8")


def utf16_with_bom(_: Path) -> bytes:
    return (HEADER + "\n".join(_station_rows()) + "\n").encode("utf-16")


def utf16_le_without_bom(_: Path) -> bytes:
    return (HEADER + "\n".join(_station_rows()) + "\n").encode("utf-16-le")


def cp1252_semicolon_decimal_comma(_: Path) -> bytes:
    text = HEADER.replace(",", ";") + "\n".join(_station_rows(";", ",")) + "\n"
    return text.replace("FIKTIV ved", "FIKTIV nær stasjon (æøå) ved").encode("cp1252")


def mixed_utf8_cp1252(_: Path) -> bytes:
    rows = _station_rows()
    first = (HEADER + rows[0].replace("FIKTIV", "FIKTIV (blåbær)") + "\n").encode("utf-8")
    second = (rows[1].replace("FIKTIV", "FIKTIV (søt)") + "\n").encode("cp1252")
    return first + second + ("\n".join(rows[2:]) + "\n").encode("utf-8")


def crlf_semicolon(_: Path) -> bytes:
    return (HEADER.replace(",", ";") + "\r\n".join(_station_rows(";", ",")) + "\r\n").encode()


def cr_only_line_endings(_: Path) -> bytes:
    return (HEADER.replace("\n", "\r") + "\r".join(_station_rows()) + "\r").encode()


def utm_in_latlon_columns(_: Path) -> bytes:
    rows = [HEADER]
    for i, (station, (lat, lon)) in enumerate(STATIONS.items(), start=1):
        x, y = _utm(lat, lon)
        rows.append(f"t{i},FIKTIV ved {station},brukerrom,{y:.2f},{x:.2f}\n")
    return "".join(rows).encode()


def utm33_xy(_: Path) -> bytes:
    rows = ["id,name,category,x,y\n"]
    for i, (station, (lat, lon)) in enumerate(STATIONS.items(), start=1):
        x, y = _utm(lat, lon, 25833)
        rows.append(f"t{i},FIKTIV ved {station},brukerrom,{x:.2f},{y:.2f}\n")
    return "".join(rows).encode()


def nul_bytes_in_text(_: Path) -> bytes:
    rows = _station_rows()
    rows[1] = rows[1].replace("FIKTIV", "FIKTIV\x00\x00")
    return (HEADER + "\n".join(rows) + "\n").encode()


def nul_bytes_binary(_: Path) -> bytes:
    return HEADER.encode() + b"\x00" * 2_000 + b"t1\x00,\x00x\x00\n"


def too_many_columns(_: Path) -> bytes:
    header = ",".join(f"k{i}" for i in range(2_000))
    return (header + "\n" + ",".join("1" for _ in range(2_000)) + "\n").encode()


# ---- things that are not what their name says --------------------------------------------------


class _OpenOnLoad:
    """Unpickling this would create a file: proof that nothing is ever unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str, str]]:
        return (open, (self.path, "w"))


def pickle_renamed_csv(dest: Path) -> bytes:
    return pickle.dumps(_OpenOnLoad(str(dest / PICKLE_MARKER)), protocol=4)


def pickle_protocol0_renamed_csv(dest: Path) -> bytes:
    return pickle.dumps(_OpenOnLoad(str(dest / PICKLE_MARKER)), protocol=0)


def binary_garbage(_: Path) -> bytes:
    rng = random.Random(6)
    return bytes(rng.randrange(256) for _ in range(20_000))


def exe_renamed_csv(_: Path) -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)


def xls_renamed_xlsx(_: Path) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def garbage_xlsx(_: Path) -> bytes:
    return b"PK\x03\x04" + bytes(random.Random(7).randrange(256) for _ in range(500))


def sqlite_header_garbage_gpkg(_: Path) -> bytes:
    return b"SQLite format 3\x00" + bytes(4_000)


def not_sqlite_gpkg(_: Path) -> bytes:
    return b"GeoPackage? No: plain text pretending to be one.\n"


def deeply_nested_geojson(_: Path) -> bytes:
    return b"[" * 200_000 + b"]" * 200_000


# ---- spreadsheets ------------------------------------------------------------------------------


def several_sheets_xlsx(_: Path) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Forside"
    data = wb.create_sheet("Data")
    data.append(["id", "name", "category", "lat", "lon"])
    for row in _station_rows():
        i, name, category, lat, lon = row.split(",")
        data.append([i, name, category, float(lat), float(lon)])
    wb.create_sheet("Notater").append(["FIKTIVE testdata"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_billion_laughs(dest: Path) -> bytes:
    """A workbook whose sheet XML defines nested entities (the "billion laughs" attack)."""
    source = zipfile.ZipFile(io.BytesIO(several_sheets_xlsx(dest)))
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    members = {}
    for info in source.infolist():
        data = source.read(info.filename)
        if info.filename == "xl/worksheets/sheet2.xml":
            data = bomb
        members[info.filename] = data
    return _zip(members)


# ---- zip archives ------------------------------------------------------------------------------


def shapefile_without_prj_zip(_: Path) -> bytes:
    return _zip({f"stasjoner/{n}": d for n, d in _shapefile_parts(drop=(".prj",)).items()})


def shapefile_without_dbf_zip(_: Path) -> bytes:
    return _zip(_shapefile_parts(drop=(".dbf",)))


def zip_without_data(_: Path) -> bytes:
    return _zip({"les_meg.txt": b"Ingen geodata her."})


def zip_slip(_: Path) -> bytes:
    parts = _shapefile_parts()
    return _zip({f"../../../tmp/{n}": d for n, d in parts.items()})


def zip_absolute_path(_: Path) -> bytes:
    return _zip({"/etc/cron.d/stasjoner.shp": b"x", "C:/Windows/stasjoner.dbf": b"y"})


def zip_bomb_ratio(_: Path) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("stasjoner.geojson", "w") as member,
    ):
        chunk = b" " * (1 << 20)
        for _ in range(64):
            member.write(chunk)
    return buffer.getvalue()


def zip_too_much_unpacked(_: Path) -> bytes:
    """~12 MB of moderately compressible text (ratio well under 100) in 12 members."""
    rng = random.Random(12)
    members = {}
    for m in range(12):
        lines = [f"{rng.randrange(10**6):06d};FIKTIV;{'x' * 60}\n" for _ in range(14_000)]
        members[f"del{m:02d}.csv"] = "".join(lines).encode()
    return _zip(members)


def zip_many_members(_: Path) -> bytes:
    return _zip({f"fil{i:04d}.txt": b"x" for i in range(500)}, zipfile.ZIP_STORED)


def zip_nested(_: Path) -> bytes:
    return _zip({"inni.zip": _zip(_shapefile_parts()), "les_meg.txt": b"Arkiv i arkiv."})


def zip_symlink(_: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in _shapefile_parts().items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("lenke_til_passwd.txt")
        link.external_attr = (0o120777 << 16) | 0x20
        link.create_system = 3
        zf.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def zip_encrypted_flag(_: Path) -> bytes:
    data = bytearray(_zip(_shapefile_parts(), zipfile.ZIP_STORED))
    # Set bit 0 ("encrypted") of the general-purpose flags in every local and central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(signature)
        while pos >= 0:
            data[pos + offset] |= 0x01
            pos = data.find(signature, pos + 4)
    return bytes(data)


# ---- size --------------------------------------------------------------------------------------


def oversize_small_cap(_: Path) -> bytes:
    """1.5 MB of valid CSV; the test sets the cap to 1 MB."""
    row = _station_rows()[0] + "\n"
    return (HEADER + row * (1_600_000 // len(row))).encode()


def oversize_default_cap(_: Path) -> bytes:
    """51 MiB, one byte pattern: over the default 50 MB cap."""
    return b"id\n" + b"1\n" * (51 * 1024 * 1024 // 2)


def million_rows(_: Path) -> bytes:
    lat, lon = STATIONS["Holmlia stasjon"]
    return (
        HEADER + "".join(f"t{i},FIKTIV {i},brukerrom,{lat},{lon}\n" for i in range(1_000_000))
    ).encode()


def single_line_50mb(_: Path) -> bytes:
    return b"id," + b"9" * (50_000_000 - 3)


BUILDERS: dict[str, Callable[[Path], bytes]] = {
    "bom_utf8.csv": bom_utf8,
    "utf16_with_bom.csv": utf16_with_bom,
    "utf16_le_without_bom.csv": utf16_le_without_bom,
    "cp1252_semicolon_decimal_comma.csv": cp1252_semicolon_decimal_comma,
    "mixed_utf8_cp1252.csv": mixed_utf8_cp1252,
    "crlf_semicolon.csv": crlf_semicolon,
    "cr_only_line_endings.csv": cr_only_line_endings,
    "utm_in_latlon_columns.csv": utm_in_latlon_columns,
    "utm33_xy.csv": utm33_xy,
    "nul_bytes_in_text.csv": nul_bytes_in_text,
    "nul_bytes_binary.csv": nul_bytes_binary,
    "too_many_columns.csv": too_many_columns,
    "pickle_renamed.csv": pickle_renamed_csv,
    "pickle_protocol0_renamed.csv": pickle_protocol0_renamed_csv,
    "binary_garbage.csv": binary_garbage,
    "exe_renamed.csv": exe_renamed_csv,
    "xls_renamed.xlsx": xls_renamed_xlsx,
    "garbage.xlsx": garbage_xlsx,
    "sqlite_header_garbage.gpkg": sqlite_header_garbage_gpkg,
    "not_sqlite.gpkg": not_sqlite_gpkg,
    "deeply_nested.geojson": deeply_nested_geojson,
    "several_sheets.xlsx": several_sheets_xlsx,
    "xlsx_billion_laughs.xlsx": xlsx_billion_laughs,
    "shapefile_without_prj.zip": shapefile_without_prj_zip,
    "shapefile_without_dbf.zip": shapefile_without_dbf_zip,
    "zip_without_data.zip": zip_without_data,
    "zip_slip.zip": zip_slip,
    "zip_absolute_path.zip": zip_absolute_path,
    "zip_bomb_ratio.zip": zip_bomb_ratio,
    "zip_too_much_unpacked.zip": zip_too_much_unpacked,
    "zip_many_members.zip": zip_many_members,
    "zip_nested.zip": zip_nested,
    "zip_symlink.zip": zip_symlink,
    "zip_encrypted_flag.zip": zip_encrypted_flag,
    "oversize_small_cap.csv": oversize_small_cap,
    "oversize_default_cap.csv": oversize_default_cap,
    "million_rows.csv": million_rows,
    "single_line_50mb.csv": single_line_50mb,
}
HUGE = {"oversize_default_cap.csv", "million_rows.csv", "single_line_50mb.csv"}


def build(name: str, dest: Path) -> Path:
    """Write the generated file ``name`` into ``dest`` (once) and return its path."""
    path = dest / name
    if not path.exists():
        dest.mkdir(parents=True, exist_ok=True)
        path.write_bytes(BUILDERS[name](dest))
    return path


def build_all(dest: Path, huge: bool = False) -> list[Path]:
    """Write every generated file (the huge ones only when asked)."""
    return [build(name, dest) for name in BUILDERS if huge or name not in HUGE]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/hostile/make_corpus.py OUTDIR [--huge]")
    for p in build_all(Path(sys.argv[1]), huge="--huge" in sys.argv[2:]):
        print(f"{p.stat().st_size:>12,d}  {p.name}")
