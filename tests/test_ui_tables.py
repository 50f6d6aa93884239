"""The app's plain tables: every cell escaped and formatted, numbers right-aligned, total last."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest


def _page() -> None:
    import pandas as pd

    from ui.state import show_static_table

    frame = pd.DataFrame(
        {
            "Navn": ["<script>alert(1)</script>", "[lenke](javascript:x)", "Hele byen"],
            "Andel": [0.25, 0.5, 0.3],
        }
    )
    show_static_table(
        frame, key="t", formats={"Andel": lambda v: f"{100 * v:.0f} %"}, help_texts={"Andel": "x"}
    )
    show_static_table(frame.head(2), key="u", formats={}, total_row=False)


def _html_bodies(node: Any) -> list[str]:
    found = []
    proto = getattr(node, "proto", None)
    if getattr(node, "type", None) == "html" and proto is not None:
        found.append(proto.body)
    for child in getattr(node, "children", {}).values():
        found.extend(_html_bodies(child))
    return found


def test_static_table_escapes_formats_and_aligns() -> None:
    page = AppTest.from_function(_page).run()
    assert not page.exception, [e.value for e in page.exception]
    body, plain = _html_bodies(page.main)
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "\\[lenke\\]" in body  # no markdown link can be built from a name
    assert ">25 %</td>" in body and ">50 %</td>" in body
    assert 'title="x"' in body and "text-align:right" in body
    assert body.index("Hele byen") > body.index("50 %")
    # the total (last row) is bold only where the table has one
    assert 'class="oc-table oc-total"' in body and ".oc-total tbody tr:last-child" in body
    assert 'class="oc-table"' in plain and "oc-total" not in plain.split("</style>")[1]
