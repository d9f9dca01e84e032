"""The streaming xlsx writer: what it writes, openpyxl and calamine read back the same."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
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
