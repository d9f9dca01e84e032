"""The streaming xlsx writer: what it writes, openpyxl and calamine read back the same."""

import datetime as dt
import io
import zipfile
import zoneinfo
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import python_calamine

from workbooks.xlsx import XlsxBook, column_letters

ROWS = [
    ["plain", 1, Decimal("59.90"), 2.5, True, dt.date(2026, 1, 31), None],
    ["a & b < c > d", -7, Decimal("100"), 0.1, False, dt.datetime(2026, 2, 1, 13, 30), ""],
    ["  spaced  ", 10**12, Decimal("-0.01"), 1e-7, None, None, "line 1\nline 2"],
    ["bell\x07tab\there", 0, None, None, None, None, "精细 “引号” 'x'"],
]


def written(**kwargs) -> bytes:
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("products", [f"h{i}" for i in range(7)], ROWS, **kwargs)
    book.add_sheet("备注", ["only"], [["second sheet"]])
    book.close()
    return buffer.getvalue()


def test_openpyxl_reads_back_values_styles_and_the_frozen_header():
    book = openpyxl.load_workbook(io.BytesIO(written(wrap=[6])))
    assert book.sheetnames == ["products", "备注"]
    sheet = book["products"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet["G4"].alignment.wrap_text and not sheet["A4"].alignment.wrap_text
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0] == ["plain", 1, 59.9, 2.5, True, dt.datetime(2026, 1, 31), None]
    assert values[1][:5] == ["a & b < c > d", -7, 100, 0.1, False]
    assert values[1][5] == dt.datetime(2026, 2, 1, 13, 30)
    assert values[1][6] is None  # an empty text is a blank cell
    assert values[2] == ["  spaced  ", 10**12, -0.01, 1e-7, None, None, "line 1\nline 2"]
    assert values[3][0] == "bell_x0007_tab\there"  # XML cannot hold the bell: Excel's escape
    assert values[3][6] == "精细 “引号” 'x'"
    assert book["备注"]["A2"].value == "second sheet"


def test_calamine_reads_back_the_same_cells():
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(written()))
    rows = book.get_sheet_by_name("products").to_python()
    assert rows[0] == [f"h{i}" for i in range(7)]
    assert rows[1][:6] == ["plain", 1.0, 59.9, 2.5, True, dt.date(2026, 1, 31)]
    assert rows[3][0] == "  spaced  "
    assert rows[3][6] == "line 1\nline 2"


def test_column_letters_go_past_z():
    letters = column_letters(704)
    assert letters[:3] == ["A", "B", "C"]
    assert letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:] == ["ZZ", "AAA", "AAB"]


def read_back(rows, **kwargs) -> tuple[list, list]:
    """Write ``rows`` under a one-line header; return them as openpyxl and calamine read
    them (header excluded)."""
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("sheet", [f"h{i}" for i in range(len(rows[0]))], rows, **kwargs)
    book.close()
    opened = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["sheet"]
    by_openpyxl = [list(row) for row in opened.iter_rows(min_row=2, values_only=True)]
    calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue()))
    by_calamine = calamine.get_sheet_by_name("sheet").to_python(skip_empty_area=False)[1:]
    return by_openpyxl, by_calamine


def test_nan_and_infinity_are_written_as_empty_cells():
    values = [
        float("nan"),
        float("inf"),
        float("-inf"),
        np.float64("nan"),
        np.float64("-inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        pd.NA,
        pd.NaT,
        1.5,
    ]
    by_openpyxl, by_calamine = read_back([values])
    assert by_openpyxl == [[None] * 9 + [1.5]]
    assert by_calamine == [[""] * 9 + [1.5]]


def test_numpy_numbers_are_written_as_numbers():
    by_openpyxl, by_calamine = read_back([[np.int64(7), np.float64(2.25), np.bool_(True)]])
    assert by_openpyxl == [[7, 2.25, True]]
    assert by_calamine == [[7.0, 2.25, True]]


def test_an_aware_datetime_is_written_as_the_time_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    utc = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    berlin = dt.datetime(2026, 3, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    naive = dt.datetime(2026, 3, 1, 8, 0)
    by_openpyxl, by_calamine = read_back([[utc, berlin, naive]])
    shanghai = [dt.datetime(2026, 3, 2, 0, 30), dt.datetime(2026, 3, 1, 16, 30), naive]
    assert by_openpyxl == [shanghai]
    assert by_calamine == [shanghai]


def test_text_that_looks_like_an_excel_escape_or_a_formula_stays_as_typed():
    texts = ["_x0041_", "code_X00e9_end", "_x005F_", "=SUM(A1:A2)", "+8613800000000", "-5", "@x"]
    by_openpyxl, by_calamine = read_back([texts])
    assert by_calamine == [texts]
    # openpyxl drops every "x005F_" it meets, so it reads "_x005F_" typed as text as "_".
    assert by_openpyxl == [[text if text != "_x005F_" else "_" for text in texts]]


def test_text_is_written_once_in_the_shared_strings_never_as_a_formula():
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("sheet", ["formula?"], [["=1+1"], ["=1+1"], ["@SUM(A1)"]])
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = archive.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and sheet.count('t="s"') == 4
    assert strings.count("<t>=1+1</t>") == 1


def test_formats_widths_and_the_bold_frozen_header_for_reports():
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet(
        "report",
        ["sku", "rate", "cost"],
        [["S-1", 0.125, Decimal("3.7")], ["S-2", np.float64("nan"), 2]],
        formats={1: "0.0%", 2: "0.00"},
        widths={0: 18, 2: 12.5},
    )
    book.add_sheet("other", ["cost"], [[1.5]], formats={0: "0.00"})
    book.close()
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["report"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert (sheet["B2"].number_format, sheet["C2"].number_format) == ("0.0%", "0.00")
    assert sheet["A2"].number_format == "General"
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["C"].width) == (18, 12.5)
    assert [sheet["B2"].value, sheet["C2"].value, sheet["B3"].value] == [0.125, 3.7, None]
    other = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["other"]
    assert other["A2"].number_format == "0.00"
