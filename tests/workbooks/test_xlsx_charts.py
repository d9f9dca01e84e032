"""Native Excel charts written by ``XlsxBook``: the DrawingML parts, their relationships and
content types, what openpyxl and calamine read back, and no cost to the rows."""

import io
import time
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest

from workbooks.reading import sheet_table
from workbooks.xlsx import Chart, XlsxBook

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
BUCKETS = [("0-30", 12, 1200.5), ("31-60", 5, 300.0), ("61-90", 0, 0.0), ("91-180", 3, 90.25)]
BUCKETS.append((">365", 1, 10.0))


def _book(charts=(), rows=BUCKETS, plain=True) -> bytes:
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("Sheet", ["库龄", "SKUs", "value"], rows, formats={2: "0.00"}, charts=charts)
    if plain:
        book.add_sheet("plain", ["a"], [[1]])
    book.close()
    return buffer.getvalue()


def _charts():
    return [
        Chart(
            kind="column",
            title="库龄分布",
            categories=(2, 6, 0),
            values=[("SKUs", 2, 6, 1), ("value", 2, 6, 2)],
            anchor="E2",
        ),
        Chart(kind="pie", title="Share", categories=(2, 6, 0), values=[("value", 2, 6, 2)]),
    ]


def test_openpyxl_reads_the_charts_back_over_the_sheet_cells():
    book = openpyxl.load_workbook(io.BytesIO(_book(_charts())))
    sheet = book["Sheet"]
    column, pie = sheet._charts
    assert type(column).__name__ == "BarChart" and column.type == "col"
    assert type(pie).__name__ == "PieChart"
    assert [s.val.numRef.f for s in column.series] == ["'Sheet'!$B$2:$B$6", "'Sheet'!$C$2:$C$6"]
    assert column.series[0].cat.strRef.f == "'Sheet'!$A$2:$A$6"
    assert pie.series[0].val.numRef.f == "'Sheet'!$C$2:$C$6"
    assert book["plain"]._charts == []
    # The cells are still there, with their header style.
    assert sheet["A1"].value == "库龄" and sheet["A1"].font.b
    assert sheet["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert sheet["C2"].value == pytest.approx(1200.5) and sheet["C2"].number_format == "0.00"


def test_the_parts_their_relationships_and_content_types_are_consistent():
    archive = zipfile.ZipFile(io.BytesIO(_book(_charts())))
    names = set(archive.namelist())
    assert {
        "xl/worksheets/_rels/sheet1.xml.rels",
        "xl/drawings/drawing1.xml",
        "xl/drawings/_rels/drawing1.xml.rels",
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
    } <= names
    assert "xl/worksheets/_rels/sheet2.xml.rels" not in names  # the plain sheet has no drawing

    sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    drawing_ref = sheet.find("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}drawing")
    sheet_rels = ET.fromstring(archive.read("xl/worksheets/_rels/sheet1.xml.rels"))
    (rel,) = sheet_rels.findall(f"{REL}Relationship")
    assert rel.get("Id") == drawing_ref.get(R_ID)
    assert rel.get("Target") == "../drawings/drawing1.xml" and rel.get("Type").endswith("/drawing")

    drawing = ET.fromstring(archive.read("xl/drawings/drawing1.xml"))
    chart_ids = [element.get(R_ID) for element in drawing.iter(f"{C}chart")]
    targets = {
        r.get("Id"): r.get("Target")
        for r in ET.fromstring(archive.read("xl/drawings/_rels/drawing1.xml.rels"))
    }
    assert [targets[i] for i in chart_ids] == ["../charts/chart1.xml", "../charts/chart2.xml"]
    # The first chart sits at E2: column 4, row 1 counted from 0.
    anchor = drawing.find(
        ".//{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}from"
    )
    assert [e.text for e in anchor][::2] == ["4", "1"]

    chart = ET.fromstring(archive.read("xl/charts/chart1.xml"))
    formulas = [f.text for f in chart.iter(f"{C}f")]
    assert "'Sheet'!$B$2:$B$6" in formulas and "'Sheet'!$A$2:$A$6" in formulas
    assert chart.find(f".//{C}barDir").get("val") == "col"
    assert "".join(chart.find(f"{C}chart/{C}title").itertext()) == "库龄分布"
    assert ET.fromstring(archive.read("xl/charts/chart2.xml")).find(f".//{C}pieChart") is not None

    types = ET.fromstring(archive.read("[Content_Types].xml"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CT}Override")}
    assert overrides["/xl/drawings/drawing1.xml"].endswith(".drawing+xml")
    assert overrides["/xl/charts/chart1.xml"].endswith(".drawingml.chart+xml")
    assert overrides["/xl/charts/chart2.xml"].endswith(".drawingml.chart+xml")
    # Every part is declared (by override or by extension), every override is a part.
    for part in names:
        assert f"/{part}" in overrides or part.endswith((".rels", ".xml"))
    assert {name.lstrip("/") for name in overrides} <= names


def test_the_projects_reader_still_reads_the_cells():
    table = sheet_table(_book(_charts()), sheet="Sheet")
    rows = table.rows
    assert rows[0] == ["库龄", "SKUs", "value"]
    assert rows[1][0] == "0-30" and rows[1][1] == 12 and rows[1][2] == pytest.approx(1200.5)
    assert len(rows) == 1 + len(BUCKETS)


def test_charts_on_two_sheets_are_numbered_across_the_book_and_sheet_names_are_quoted():
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("plain", ["a"], [[1]])
    for name in ("O'Brien", "b & c"):
        book.add_sheet(
            name,
            ["k", "v"],
            [["x", 1], ["y", 2]],
            charts=[
                Chart("line", name, (2, 3, 0), [("v", 2, 3, 1)]),
                Chart("bar", "B", (2, 3, 0), [("v", 2, 3, 1)]),
            ],
        )
    book.close()
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    rels = ET.fromstring(archive.read("xl/worksheets/_rels/sheet3.xml.rels"))
    assert rels[0].get("Target") == "../drawings/drawing2.xml"
    assert {f"xl/charts/chart{n}.xml" for n in range(1, 5)} <= set(archive.namelist())
    loaded = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert loaded["O'Brien"]._charts[0].series[0].val.numRef.f == "'O''Brien'!$B$2:$B$3"
    assert loaded["b & c"]._charts[1].series[0].val.numRef.f == "'b & c'!$B$2:$B$3"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "radar"}, "kind"),
        ({"anchor": "h2"}, "anchor"),
        ({"values": []}, "series"),
    ],
)
def test_a_chart_it_cannot_write_is_refused_when_made(kwargs, message):
    arguments = {
        "kind": "column",
        "title": "t",
        "categories": (2, 3, 0),
        "values": [("v", 2, 3, 1)],
    }
    with pytest.raises(ValueError, match=message):
        Chart(**(arguments | kwargs))


def test_charts_add_no_cost_per_row():
    """The rows of a sheet are written the same with or without charts: only the sheet's
    closing tag gains the drawing reference."""
    rows = [[f"sku{i}", i, i * 1.25] for i in range(100_000)]

    def sheet_part(charts):
        started = time.perf_counter()
        data = _book(charts, rows=rows, plain=False)
        took = time.perf_counter() - started
        return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml"), took

    plain, plain_took = sheet_part(())
    charted, charted_took = sheet_part(_charts())
    tail = b'<drawing r:id="rId1"/></worksheet>'
    assert charted.endswith(tail) and plain.endswith(b"</sheetData></worksheet>")
    assert charted[: -len(tail)] + b"</worksheet>" == plain
    # The parts of two charts are a few KB: no second-scale cost (generous for a busy CI).
    assert charted_took < plain_took * 2 + 1
