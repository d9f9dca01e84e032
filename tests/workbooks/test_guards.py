"""The guards in front of every workbook import: each bad file refused with a message that
says what to change, before a reader allocates for it (small synthetic files; the bench
``bench/bench_workbook_bombs.py`` measures the real bombs' memory)."""

import io
import struct
import zipfile

import pytest

from catalog.importing import catalog_import
from catalog.models import SKU
from tests.catalog.test_workbook_import import HEADERS, row
from workbooks import guards
from workbooks.exceptions import WorkbookInvalid
from workbooks.reading import sheet_table
from workbooks.xlsx import XlsxBook

NOT_A_WORKBOOK = "The file is not an Excel workbook (.xlsx)."
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def products(rows=(), headers=HEADERS) -> bytes:
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("products", headers, rows)
    book.close()
    return buffer.getvalue()


def with_sheet(sheet_xml: str | bytes, base: bytes | None = None, level: int = 6) -> bytes:
    """Return a workbook whose first sheet part is ``sheet_xml`` (the other parts as
    ``XlsxBook`` writes them)."""
    base = base or products([row("S-1")])
    data = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = data if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, content, zipfile.ZIP_DEFLATED, compresslevel=level)
    return buffer.getvalue()


def sheet(cells: str, *, head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def reasons(excinfo) -> list[str]:
    return [e.reason for e in excinfo.value.errors]


def refused(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(WorkbookInvalid) as excinfo:
        sheet_table(data, **kwargs)
    return reasons(excinfo)


# --- What the file is ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"sku,product\nS-1,P-1\n",  # a CSV renamed .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,  # an .xls (OLE2)
        b"PK\x03\x04" + b"\x00" * 40,  # the start of a zip and nothing more
    ],
    ids=["empty", "renamed-text", "xls", "zip-header-only"],
)
def test_a_file_that_is_no_xlsx_is_refused(data):
    assert refused(data) == [NOT_A_WORKBOOK]


def test_a_truncated_workbook_is_refused():
    data = products([row(f"S-{i}") for i in range(200)])
    assert refused(data[: len(data) * 2 // 3]) == [NOT_A_WORKBOOK]


def test_an_ods_is_refused_with_a_hint_to_save_it_as_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert refused(buffer.getvalue()) == [
        "Only .xlsx workbooks are imported; save the file as .xlsx."
    ]


def test_a_part_whose_directory_understates_its_size_is_refused():
    """Python's zipfile would stop at the stated size; calamine's reader would not."""
    data = bytearray(products([row(f"S-{i}") for i in range(50)]))
    name = b"xl/worksheets/sheet1.xml"
    entry = data.find(b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4 :][:0])
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.find(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 100)  # uncompressed size: 100 bytes
    assert refused(bytes(data)) == [NOT_A_WORKBOOK]


# --- Size and zip bombs ----------------------------------------------------------------------


def test_an_upload_above_the_limit_is_refused_before_it_is_read(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_MAX_BYTES = 1000
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"\x00" * 1001)
    assert refused(path) == [
        "The file is 0 MB; an import takes at most 0 MB. Delete the empty rows and unused "
        "sheets, or split the file."
    ]
    assert refused(io.BytesIO(b"\x00" * 1001))  # a file object: read at most the limit + 1


def bomb(megabytes: int) -> bytes:
    """A sheet of ``megabytes`` MB of identical rows without r: deflate packs them a
    thousandfold. Written in pieces, so the test never holds it whole."""
    base = products([row("S-1")])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info))
        member = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        member.compress_type = zipfile.ZIP_DEFLATED
        with target.open(member, "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            piece = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
            for _ in range(megabytes * (1 << 20) // len(piece)):
                part.write(piece)
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_compression_ratio():
    data = bomb(8)
    assert len(data) < 100_000
    [reason] = refused(data)
    assert reason.startswith("The part xl/worksheets/sheet1.xml of the file inflates ")
    assert reason.endswith("times (at most 100 in a workbook): the file is not imported.")


def test_a_workbook_holding_too_much_once_unpacked_is_refused(settings):
    settings.WORKBOOK_MAX_COMPRESSION_RATIO = 10_000
    settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES = 4 << 20
    assert refused(bomb(5)) == [
        "The file holds 5 MB of data once unpacked; an import reads at most 4 MB. Split the file."
    ]


# --- The sheet's span ------------------------------------------------------------------------


def test_one_cell_at_xfd4000_is_refused_before_calamine_reads_the_sheet():
    data = with_sheet(
        sheet(f'<row r="1">{text("A1", "sku")}</row><row r="4000">{text("XFD4000", "x")}</row>')
    )
    assert len(data) < 3000
    assert refused(data) == [
        "The sheet reaches cell XFD4000: 65,536,000 cells from A1, more than an import reads "
        "(3,000,000). Delete the rows and columns beyond the table (Ctrl+End shows the last "
        "cell) or split the file."
    ]


def test_the_span_is_found_however_the_xml_is_written():
    """Prefixes, cells without r, another attribute first, line breaks: the parser's way."""
    one = "<is><t>1</t></is></c>"
    prefixed = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="900">'
        '<x:c r="XFD900" t="inlineStr"><x:is><x:t>1</x:t></x:is></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    cases = [
        prefixed,
        sheet('<row r="300">' + f'<c t="inlineStr">{one}' * 16_000 + "</row>"),
        sheet(
            f'<row r="1"><c t="inlineStr" r="XFD1">{one}</row>'
            f'<row r="999">{text("A999", "y")}</row>'
        ),
        sheet(
            f'<row r="2">{text("A2", "a")}</row>'
            f'<row r="900"><c\nr="XFD900" t="inlineStr">{one}</row>'
        ),
        sheet(f'<row r="2">{text("A2", "a")}</row><row r="3">{text("ZZ999999", "b")}</row>'),
        sheet(
            f'<row r="2">{text("A2", "a")}<!-- x --></row><row r="500">{text("ZZZ500", "b")}</row>'
        ),
    ]
    for xml in cases:
        [reason] = refused(with_sheet(xml))
        assert reason.startswith("The sheet reaches cell "), reason


def test_styled_empty_cells_do_not_count_as_the_sheet_reaches_only_its_values():
    data = with_sheet(
        sheet(f'<row r="1">{text("A1", "sku")}</row><row r="4000"><c r="XFD4000" s="1"/></row>')
    )
    assert sheet_table(data).rows == [["sku"]]


def test_a_usual_sheet_is_read_by_the_quick_pass():
    data = products([row(f"S-{i}") for i in range(300)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        span = guards.sheet_span(archive, "xl/worksheets/sheet1.xml")
    assert (span.rows, span.columns, span.exact) == (301, len(HEADERS), False)
    assert len(sheet_table(data).rows) == 301


def test_a_sheet_claiming_the_last_excel_row_is_refused_as_too_long(db):
    cells = f'<row r="1">{text("A1", "sku")}</row><row r="1048576">{text("Q1048576", "x")}</row>'
    data = with_sheet(sheet(cells, head='<dimension ref="A1:Q1048576"/>'))
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=data)
    assert reasons(excinfo) == [
        "The sheet has 1,048,575 rows; an import takes at most 50,000. Delete the empty rows "
        "below the data or split the file."
    ]
    assert not SKU.objects.exists()


def test_the_cell_limit_is_a_setting(settings):
    data = products([row(f"S-{i}") for i in range(20)])
    settings.WORKBOOK_MAX_CELLS = 21 * len(HEADERS)
    assert len(sheet_table(data).rows) == 21
    settings.WORKBOOK_MAX_CELLS = 21 * len(HEADERS) - 1
    assert refused(data)[0].startswith("The sheet reaches cell Q21: 357 cells from A1")


def test_a_workbook_description_of_megabytes_is_refused():
    """workbook.xml is parsed whole; a real one is a few kilobytes."""
    base = products([row("S-1")])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = content.replace(b"<sheets>", b"<sheets>" + b" " * (6 << 20))
            target.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    assert refused(buffer.getvalue()) == [NOT_A_WORKBOOK]


def test_a_cell_naming_its_place_twice_is_refused_before_calamine_allocates_it():
    """Not XML, but calamine reads it and takes the last: 1,048,576 × 16,384 cells, an
    allocation that aborts the process (found by fuzzing)."""
    twice = '<c r="A2" t="s"r="XFD1048576"><v>0</v></c>'
    cells = f'<row r="1">{text("A1", "sku")}</row><row r="2">{twice}</row>'
    assert refused(with_sheet(sheet(cells))) == ["The sheet cannot be read: its XML is damaged."]


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("size", [7, guards._CHUNK, 2 * guards._CHUNK, 2 * guards._CHUNK + 1])
def test_inflate_gives_back_every_byte_of_a_part_at_chunk_boundaries(method, size):
    data = bytes(range(256)) * (size // 512) + b"x" * (size - 256 * (size // 512))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("part", data, method)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert b"".join(guards.inflate(archive, archive.getinfo("part"))) == data


SHAPES = [
    '<row r="2996"><c r="BA1839"><v>1</v></c><c><v>1</v></c></row>',  # r-less: its row's
    '<row r="5"><c r="A9999"><v>1</v></c></row><row><c><v>1</v></c></row>',
    '<row r="2881"><c r ="GC981"><v>1</v></c><c>\n<v>1</v></c></row>',
    "<row r='40'><c r='BA39' t='n'><v>1</v></c></row>",
    '<row r="7"><c t="n" r="HF12"><v>1</v></c><c r="it12"><v>1</v></c></row>',
    f'<row r="3"><x:c xmlns:x="{MAIN}" r="ZZ3"><x:v>1</x:v></x:c><c><v>1</v></c></row>',
]


@pytest.mark.parametrize("cells", SHAPES)
def test_the_span_bounds_what_calamine_reads_whatever_the_shape(cells):
    """Cells without r, attributes in another order or quoting, lower-case
    references, prefixes: the span is never below the last cell calamine places."""
    import python_calamine

    data = with_sheet(sheet(cells))
    end = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).end
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        span = guards.sheet_span(archive, "xl/worksheets/sheet1.xml")
    assert span.rows >= end[0] + 1 and span.columns >= end[1] + 1, (span, end)
