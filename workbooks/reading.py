"""The one xlsx reader of every import: a sheet's cells at the row numbers Excel shows.

python-calamine reads the cells (the whole sheet from A1, empty rows and columns kept, so
that ``rows[i][j]`` is the cell Excel shows at row ``i + 1``, column ``j + 1`` wherever the
header starts). What calamine does not tell is read from the sheet's XML with expat, a real,
namespace-aware XML parser: error cells (calamine reads ``#DIV/0!`` as a blank) and, for a
sheet that may be longer than an import takes, its last row holding a value. A writer may
spell the elements with any namespace prefix (``<x:c t="e">``); the parser reads them the
same.

The XML pass costs nothing on the usual file: the sheet's ``<dimension>`` is read from its
first bytes, and the whole part is parsed only when its bytes could hold an error cell (an
attribute value ``"e"``, or one starting with a character reference) or when the sheet may
run past the limit. That whole pass takes seconds for 50,000 rows; the check for its need
takes milliseconds (bench/RESULTS.md).
"""

import concurrent.futures
import io
import pyexpat
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

from workbooks import guards
from workbooks.exceptions import CellError, WorkbookInvalid
from workbooks.guards import too_many_rows

EXCEL_MAX_ROWS = 1_048_576
# What Python's zipfile and zlib raise for a damaged archive (a part's header that disagrees
# with the directory, an unknown zip version, …) beyond what the guards check themselves.
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    zlib.error,
    UnicodeError,
    LookupError,  # an XML declaration naming an unknown encoding
    ValueError,  # one naming an encoding expat cannot read
    ElementTree.ParseError,
    pyexpat.ExpatError,
    struct.error,
)
# calamine raises several unrelated types for a file it cannot read, and a panic of its Rust
# code arrives as pyo3's PanicException, which derives from BaseException (and is not
# importable): everything but an interruption is a file calamine cannot read.
INTERRUPTIONS = (KeyboardInterrupt, SystemExit, GeneratorExit)
# SpreadsheetML in its transitional and strict namespaces; "" for a part that omits it.
SHEET_NAMESPACES = frozenset(
    {
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
        "",
    }
)
_CHUNK = 1 << 16


@dataclass
class SheetTable:
    """The cells of one sheet as calamine reads them, from A1: ``rows[i][j]`` is the cell at
    Excel row ``i + 1`` and column ``j + 1`` ("" for a blank; rows may be shorter than the
    widest). ``errors`` maps (row, column), both from 0, to the Excel error an error cell
    shows (its cell reads ""); ``merged`` lists merged ranges as ((top, left), (bottom,
    right)), from 0."""

    name: str
    rows: list[list]
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list = field(default_factory=list)

    @property
    def header_index(self) -> int | None:
        """Return the index of the first row holding a value (the header), or None."""
        return next((i for i, row in enumerate(self.rows) if any(c != "" for c in row)), None)


def column_letter(index: int) -> str:
    """Return the letters of the column at ``index`` (from 0): A, …, Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """Return the Excel name of the cell at ``row``, ``column`` (both from 0): B3."""
    return f"{column_letter(column)}{row + 1}"


def read_bytes(source) -> bytes:
    """Return the bytes of ``source``: a path, bytes or a binary file; refuse one larger than
    ``WORKBOOK_UPLOAD_MAX_BYTES`` before reading it."""
    size = guards.source_size(source)
    if size is not None:
        guards.upload_check(size)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if isinstance(source, bytes):
        return source
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(settings.WORKBOOK_UPLOAD_MAX_BYTES + 1)
    guards.upload_check(len(data))
    return data


def workbook_open(data: bytes) -> python_calamine.CalamineWorkbook:
    """Open an xlsx workbook or raise ``WorkbookInvalid``: for a file that is no xlsx, or
    whose parts would inflate past the limits (``workbooks.guards``)."""
    try:
        guards.archive_open(data).close()
    except DAMAGED:
        raise guards.not_a_workbook() from None
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as error:
        if isinstance(error, INTERRUPTIONS):
            raise
        raise guards.not_a_workbook() from None


def sheet_table(
    source,
    *,
    sheet: str | None = None,
    max_rows: int | None = None,
    book: python_calamine.CalamineWorkbook | None = None,
) -> SheetTable:
    """Return the cells of ``sheet`` (the first sheet by default) of ``source``, or raise
    ``WorkbookInvalid`` for a file that is no workbook or a sheet of more than ``max_rows``
    rows below its header (refused before calamine reads it where the XML tells)."""
    data = read_bytes(source)
    book = book or workbook_open(data)
    if sheet is None and not book.sheet_names:
        raise guards.not_a_workbook()
    name = sheet if sheet is not None else book.sheet_names[0]
    limit = (max_rows or EXCEL_MAX_ROWS) + 1  # the header row comes on top
    try:
        # Refused before calamine allocates a cell for each of its rows × columns.
        span = _sheet_span(data, name, max_rows)
        may_be_longer = max_rows is not None and (span is None or span.rows > limit)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            # The XML pass runs beside calamine (which releases the GIL) unless the sheet may
            # be too long to read at all.
            scan = pool.submit(_xml_facts, data, name, limit, span)
            if may_be_longer:
                _refuse_too_long(scan.result(), max_rows)
            try:
                rows = book.get_sheet_by_name(name)
                merged = rows.merged_cell_ranges or []
                rows = rows.to_python(skip_empty_area=False)
            except BaseException as error:
                if isinstance(error, INTERRUPTIONS):
                    raise
                raise WorkbookInvalid(
                    [CellError(None, name, None, _("The sheet cannot be read."))]
                ) from None
            facts = scan.result()
    except DAMAGED:
        raise guards.not_a_workbook() from None
    if max_rows is not None:
        _refuse_too_long(facts, max_rows)
    table = SheetTable(name=name, rows=rows, merged=list(merged))
    if facts is not None:
        table.errors = facts.errors
        for row, column in facts.errors:
            if row < len(rows) and column < len(rows[row]):
                rows[row][column] = ""
    header = table.header_index
    if max_rows is not None and header is not None and len(rows) - header - 1 > max_rows:
        raise WorkbookInvalid([too_many_rows(len(rows) - header - 1, max_rows)])
    return table


# --- The sheet's XML --------------------------------------------------------------------------


def _local(tag: str) -> tuple[str, str]:
    """Return (namespace, local name) of an ElementTree tag or attribute name."""
    if tag.startswith("{"):
        namespace, _brace, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Return sheet name → path of its XML part in an xlsx archive."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {}
    for rel in rels.iter():
        if _local(rel.tag)[1] == "Relationship" and rel.get("Id") and rel.get("Target"):
            path = rel.get("Target").lstrip("/")
            targets[rel.get("Id")] = path if path.startswith("xl/") else f"xl/{path}"
    paths = {}
    for element in book.iter():
        if _local(element.tag)[1] != "sheet" or element.get("name") is None:
            continue
        ids = [v for k, v in element.attrib.items() if _local(k)[1] == "id"]
        if ids and ids[0] in targets:
            paths[element.get("name")] = targets[ids[0]]
    return paths


def _sheet_part(data: bytes, sheet_name: str):
    """Return the open archive and the path of the sheet's XML part, or None when ``data``
    is not an xlsx archive holding it (xls, ods: calamine alone reads those)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return None
    archive = zipfile.ZipFile(io.BytesIO(data))
    path = _sheet_paths(archive).get(sheet_name)
    if path is None or path not in archive.namelist():
        archive.close()
        return None
    return archive, path


def _ref_row(ref: str | None) -> int | None:
    """Return the row number of a reference such as ``A1:AA50001`` (its last part)."""
    digits = (ref or "").rpartition(":")[2].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$").lstrip("$")
    return int(digits) if digits.isdigit() else None


def _dimension_row(archive: zipfile.ZipFile, path: str) -> int | None:
    """Return the last row of the sheet's ``<dimension>``, read from the part's first bytes
    (the element precedes ``<sheetData>``), or None without one."""
    parser = ElementTree.XMLPullParser(events=("start",))
    with archive.open(path) as part:
        while chunk := part.read(_CHUNK):
            try:
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    namespace, local = _local(element.tag)
                    if namespace not in SHEET_NAMESPACES:
                        continue
                    if local == "dimension":
                        return _ref_row(element.get("ref"))
                    if local == "sheetData":
                        return None
            except ElementTree.ParseError:
                return None
    return None


def _sheet_span(data: bytes, sheet_name: str, max_rows: int | None) -> "guards.SheetSpan | None":
    """Return the span of the sheet's part, refusing one beyond ``WORKBOOK_MAX_CELLS``. Where
    the sheet's part cannot be told from the workbook's relationships, every sheet part is
    checked (calamine may find it where this does not)."""
    with guards.archive_open(data, check=False) as archive:
        path = _sheet_paths(archive).get(sheet_name)
        if path is not None and path in archive.namelist():
            return guards.sheet_span(archive, path, max_rows=max_rows)
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                guards.sheet_span(archive, name, max_rows=max_rows)
    return None


def _letters_to_index(ref: str) -> int:
    index = 0
    for char in ref:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif char != "$":
            break
    return index - 1


class _Scan:
    """One expat pass over a sheet part: its error cells and its last row holding a value.

    Rows and cells may omit their ``r`` (each then follows the one before it), as the
    format allows."""

    def __init__(self):
        self.errors: dict[tuple[int, int], str] = {}
        self.last_row = 0
        self.row = 0
        self.column = -1
        self.error_at: tuple[int, int] | None = None
        self.text: list[str] = []
        self.parser = pyexpat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def start(self, name: str, attributes: dict) -> None:
        namespace, _space, local = name.rpartition(" ")
        if namespace not in SHEET_NAMESPACES:
            return
        if local == "c":
            ref = attributes.get("r")
            self.column = _letters_to_index(ref) if ref else self.column + 1
            if attributes.get("t") == "e":
                self.error_at = (self.row - 1, self.column)
                self.text = []
        elif local == "row":
            ref = attributes.get("r")
            self.row = int(ref) if ref and ref.isdigit() else self.row + 1
            self.column = -1
        elif local in ("v", "is"):
            self.last_row = self.row
            if self.error_at is not None:
                self.parser.CharacterDataHandler = self.text.append

    def end(self, name: str) -> None:
        if self.error_at is None:
            return
        namespace, _space, local = name.rpartition(" ")
        if namespace not in SHEET_NAMESPACES:
            return
        if local == "v":
            self.parser.CharacterDataHandler = None
        elif local == "c":
            self.errors[self.error_at] = "".join(self.text).strip() or "#ERROR"
            self.error_at = None

    def feed(self, part) -> None:
        while chunk := part.read(1 << 20):
            self.parser.Parse(chunk, False)
        self.parser.Parse(b"", True)


# An attribute value "e" or 'e', or one starting with a character reference (&#101;).
_MAYBE_ERROR_VALUE = re.compile(rb"=\s*[\"'](?:e[\"']|&#)")


def _may_hold_errors(xml: bytes) -> bool:
    """Whether the part's bytes could hold an error cell (``t="e"``), so that it must be
    parsed. This decides nothing by itself: it rules out parts without any attribute value
    that could read "e" (one pass over the bytes, a few tenths of a second for 50,000 rows,
    where parsing takes seconds). A part not in UTF-8 is always parsed."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or xml[:1] == b"\x00" or xml[1:2] == b"\x00":
        return True
    return _MAYBE_ERROR_VALUE.search(xml) is not None


def _last_row_element(xml: bytes) -> int | None:
    """Return the ``r`` of the sheet's last ``<row>`` element (its start tag parsed alone,
    any prefix dropped), or None when it has none."""
    at = max(xml.rfind(b"<row "), xml.rfind(b":row "))
    if at < 0:
        return None
    start = xml.rfind(b"<", 0, at + 1)
    end = xml.find(b">", at)
    if start < 0 or end < 0:
        return None
    tag = xml[start + 1 : end].rstrip(b"/")
    _name, _space, attributes = tag.partition(b" ")
    try:
        element = ElementTree.fromstring(b"<row " + attributes + b"/>")
    except ElementTree.ParseError:
        return None
    return _ref_row(element.get("r"))


@dataclass
class _XmlFacts:
    errors: dict[tuple[int, int], str]
    last_row: int | None  # Excel row number of the last row holding a value, when counted


def _xml_facts(data: bytes, sheet_name: str, limit: int, span=None) -> _XmlFacts | None:
    if span is not None and not span.may_hold_errors and span.rows <= limit:
        return _XmlFacts(errors={}, last_row=None)
    found = _sheet_part(data, sheet_name)
    if found is None:
        return None
    archive, path = found
    with archive:
        xml = archive.read(path)
        bottom = _dimension_row(archive, path)
        last_element = _last_row_element(xml)
        if bottom is None or (last_element is not None and last_element < bottom):
            bottom = last_element
        if not _may_hold_errors(xml) and (bottom is None or bottom <= limit):
            return _XmlFacts(errors={}, last_row=None)
        del xml
        # Styled empty rows count in the dimension and as row elements: the whole part is
        # parsed for the last row that holds a value, and for its error cells.
        scan = _Scan()
        try:
            with archive.open(path) as part:
                scan.feed(part)
        except pyexpat.ExpatError:
            return None  # calamine then says whether it can read the sheet
    return _XmlFacts(errors=scan.errors, last_row=scan.last_row)


def _refuse_too_long(facts: _XmlFacts | None, max_rows: int) -> None:
    if facts is not None and facts.last_row is not None and facts.last_row > max_rows + 1:
        raise WorkbookInvalid([too_many_rows(facts.last_row - 1, max_rows)])
