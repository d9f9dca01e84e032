"""What a workbook may cost before anything reads it: its size, its archive, its sheet's span.

An xlsx file is a zip archive of XML parts. A few kilobytes can make a reader allocate
gigabytes: a part that inflates a thousandfold (a zip bomb), or one cell at ``XFD4000``,
which calamine reads as a table of 16,384 × 4,000 cells. Every import therefore goes through
three checks, each refusing with a message that says what to change:

1. ``upload_check``: the file is at most ``WORKBOOK_UPLOAD_MAX_BYTES``.
2. ``archive_check``: the bytes are a zip archive holding ``xl/workbook.xml`` (a renamed
   text file, an empty or truncated file, an xls or ods are refused); the parts' sizes as the
   archive's central directory states them are within ``WORKBOOK_MAX_UNCOMPRESSED_BYTES`` in
   all, and none inflates more than ``WORKBOOK_MAX_COMPRESSION_RATIO`` times. The parts a
   reader opens besides the sheets are inflated once, counting, so that a directory that
   understates a size is caught too (the sheet is counted by ``sheet_span``).
3. ``sheet_span``: one streaming pass over the sheet's XML (never held whole) gives the last
   row and column holding a cell. A reader allocates rows × columns from A1, so a sheet
   whose span exceeds ``WORKBOOK_MAX_CELLS`` is refused before calamine reads it.

The pass is fast where the XML is written the usual way (every cell ``<c r="B7"…``, no
namespace prefix, UTF-8: Excel, WPS, LibreOffice, openpyxl and ``workbooks.xlsx``): a few
scans by C-speed regular expressions over each inflated chunk bound the span from above.
Anything else, or a bound above the limit (styled empty cells count there), is settled by
parsing the part with expat, counting only cells that hold a value, as calamine does.
"""

import io
import pyexpat
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from workbooks.exceptions import CellError, WorkbookInvalid

SHEET_NAMESPACES = frozenset(
    {
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
        "",
    }
)
_CHUNK = 1 << 22
# A tag longer than this (an attribute of megabytes) sends the part to the parser.
_LONGEST_TAG = 1 << 20
# Parts below this size are not held to the compression ratio (a tiny part may inflate a
# lot and cost nothing).
_RATIO_FLOOR = 1 << 20
# The parts describing the workbook, parsed whole (ElementTree, calamine): a few kilobytes in a
# real file, refused above this.
_DESCRIPTIONS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
_DESCRIPTION_MAX_BYTES = 5 << 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def refused(reason: str) -> WorkbookInvalid:
    return WorkbookInvalid([CellError(None, "", None, reason)])


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def upload_check(size: int) -> None:
    """Refuse a file larger than ``WORKBOOK_UPLOAD_MAX_BYTES``."""
    limit = settings.WORKBOOK_UPLOAD_MAX_BYTES
    if size > limit:
        raise refused(
            _(
                "The file is %(size)s; an import takes at most %(limit)s. Delete the empty rows "
                "and unused sheets, or split the file."
            )
            % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )


def source_size(source) -> int | None:
    """Return the size of ``source`` (a path, bytes or a binary file) without reading it."""
    if isinstance(source, str | Path):
        return Path(source).stat().st_size
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    size = getattr(source, "size", None)
    return size if isinstance(size, int) else None


def not_a_workbook() -> WorkbookInvalid:
    return refused(_("The file is not an Excel workbook (.xlsx)."))


def archive_open(data: bytes, *, check: bool = True) -> zipfile.ZipFile:
    """Open ``data`` as an xlsx archive after ``archive_check`` (unless it was checked
    already); raise ``WorkbookInvalid``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise not_a_workbook() from None
    if not check:
        return archive
    try:
        archive_check(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def archive_check(archive: zipfile.ZipFile) -> None:
    """Refuse an archive that is no xlsx or would inflate past the limits."""
    listed = archive.namelist()
    names = set(listed)
    if len(names) != len(listed):
        raise not_a_workbook()  # two parts of one name: readers may take either
    if "xl/workbook.xml" not in names:
        if "content.xml" in names or any(n.endswith(".xls") for n in names):
            raise refused(_("Only .xlsx workbooks are imported; save the file as .xlsx."))
        raise not_a_workbook()
    for name in _DESCRIPTIONS:
        if name in names and archive.getinfo(name).file_size > _DESCRIPTION_MAX_BYTES:
            raise not_a_workbook()  # parsed whole: a real one is a few kilobytes
    total_limit = settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES
    ratio_limit = settings.WORKBOOK_MAX_COMPRESSION_RATIO
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > ratio_limit:
            raise refused(
                _(
                    "The part %(part)s of the file inflates %(ratio)s times (at most %(limit)s "
                    "in a workbook): the file is not imported."
                )
                % {"part": info.filename, "ratio": f"{ratio:,.0f}", "limit": f"{ratio_limit:,}"}
            )
    if total > total_limit:
        raise refused(
            _(
                "The file holds %(size)s of data once unpacked; an import reads at most "
                "%(limit)s. Split the file."
            )
            % {"size": _megabytes(total), "limit": _megabytes(total_limit)}
        )
    for info in archive.infolist():
        if not info.filename.startswith("xl/worksheets/") and not info.is_dir():
            for _chunk in inflate(archive, info):
                pass


def inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """Yield the inflated bytes of a part in chunks, refusing one that inflates to more than
    the directory states (a reader other than Python's zipfile would read on) or that is
    encrypted, truncated or compressed otherwise than Excel writes."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise not_a_workbook()
    handle = archive.fp
    try:
        handle.seek(info.header_offset)
        header = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    except (struct.error, OSError, ValueError):
        raise not_a_workbook() from None
    if header[0] != b"PK\x03\x04":
        raise not_a_workbook()
    handle.seek(info.header_offset + _LOCAL_HEADER.size + header[9] + header[10])
    left = info.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    produced = 0
    crc = 0
    while left:
        raw = handle.read(min(_CHUNK, left))
        if not raw:
            raise not_a_workbook()  # truncated
        left -= len(raw)
        pending = raw
        while True:
            if inflater is None:
                out, pending = pending, b""
            else:
                try:
                    out = inflater.decompress(pending, _CHUNK)
                except zlib.error:
                    raise not_a_workbook() from None
                pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > info.file_size:
                raise not_a_workbook()
            crc = zlib.crc32(out, crc)
            if out:
                yield out
            # A full chunk may leave output inside the inflater though the input is spent.
            if not pending and (inflater is None or len(out) < _CHUNK):
                break
    if produced != info.file_size or crc != info.CRC:
        raise not_a_workbook()


# --- The sheet's span -------------------------------------------------------------------


@dataclass
class SheetSpan:
    """What one pass over a sheet part tells: the last row and column (from 1) holding a
    cell (an upper bound when ``exact`` is false), whether an error cell may be there, and
    the ``r`` of the last ``<row>`` (None when the pass did not read it)."""

    rows: int
    columns: int
    exact: bool
    may_hold_errors: bool = True
    last_row_element: int | None = None

    @property
    def cells(self) -> int:
        return self.rows * self.columns


# Elements with a namespace prefix where a cell or row could hide.
_PREFIXED = re.compile(rb":(?:c[\t\n\r />]|row)")
_ROW_NUMBERS = re.compile(rb'<row r="([1-9][0-9]{0,6})"')
_COLUMN_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[1-9]')
_ANY_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_CANONICAL_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
# A superset of an attribute value "e" or 'e', or one starting with a character reference.
_MAYBE_ERROR = (b'"e"', b"'e'", b'"&#', b"'&#")


def _greater(text: str, digit: str, alphabet: str) -> str:
    """Return a pattern of the strings of ``text``'s length above it in ``alphabet`` order."""
    last = alphabet[-1]
    return "|".join(
        f"{text[:i]}[{alphabet[alphabet.index(c) + 1]}-{last}]{digit}{{{len(text) - i - 1}}}"
        for i, c in enumerate(text)
        if c != last
    )


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _unusual(rows: int, columns: int) -> re.Pattern:
    """Return a pattern finding, in one pass, what the quick pass cannot bound: a cell not
    written ``<c r="B7" s="1" t="s">`` within ``rows`` and ``columns`` (another form of
    reference, a row below or a column right of them, an attribute after it written otherwise
    or named ``r`` again: not XML, but a lenient reader takes the last), a row not written
    ``<row r="7"``, a comment, a processing instruction or a DTD."""
    row_text, column_text = str(max(rows, 1)), _letters(max(columns, 1))
    rows_after = "|".join(
        filter(None, [f"[1-9][0-9]{{{len(row_text)}}}", _greater(row_text, "[0-9]", "0123456789")])
    )
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    longer = f"[A-Z]{{{len(column_text) + 1},3}}" if len(column_text) < 3 else ""
    columns_after = "|".join(filter(None, [longer, _greater(column_text, "[A-Z]", letters)]))
    return re.compile(
        (
            r'<(?:c(?:[\t\n\r/>]| (?!r=")| r="(?:[^A-Z]|(?:' + columns_after + r")[0-9]"
            r"|[A-Z]{1,3}+(?:[^1-9]|[0-9]{8}|[0-9]++[^0-9\"]|(?:" + rows_after + r')[0-9]*"'
            # then attributes other than r, each after one space, double-quoted, to the end
            r'|[0-9]{1,7}+"(?!(?: (?!r[\s=])[A-Za-z_][\w.-]*="[^"<]*")*/?>))))'
            r'|row(?:[\t\n\r/>]| (?!r="[1-9][0-9]{0,6}"))|!|\?(?!xml ))'
        ).encode()
    )


def column_number(letters: bytes | str) -> int:
    """Return the number (from 1) of a column: A → 1, XFD → 16,384."""
    number = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(char) - 64
    return number


def _quick_span(chunks) -> SheetSpan | None:
    """Bound the span of a part written the usual way (every cell ``<c r="B7"`` within the
    rows its ``<row r=…>`` elements number), or return None for another."""
    rows = columns = 0
    errors = False
    carry = b""
    first = True
    for chunk in chunks:
        if first:
            first = False
            head = chunk[:256]
            if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
                return None
            declared = re.search(rb'encoding=["\']([^"\']+)', head.partition(b"?>")[0])
            if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
                return None
        text = carry + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            carry, text = text, b""
        else:
            text, carry = text[:cut], text[cut:]
        if len(carry) > _LONGEST_TAG or _PREFIXED.search(text):
            return None
        numbers = _ROW_NUMBERS.findall(text)
        if numbers:
            rows = max(rows, max(map(int, numbers)))
        while found := _unusual(rows, columns).search(text):
            if not text.startswith(b'<c r="', found.start()):
                return None  # another form of cell or row, or markup that is no element
            ref = text[found.start() + 6 : text.find(b'"', found.start() + 6)]
            parts = _CANONICAL_REF.fullmatch(ref)
            if parts is None or int(parts.group(2)) > rows:
                return None  # an unusual reference, or a cell below its row: the parser's
            widest = max(map(column_number, set(_COLUMN_LETTERS.findall(text))))
            if widest <= columns:
                return None
            columns = widest
        errors = errors or any(mark in text for mark in _MAYBE_ERROR)
    if carry.strip() and (
        not carry.rstrip().endswith(b">") or _PREFIXED.search(carry) or _unusual(0, 0).search(carry)
    ):
        return None  # a truncated part, or a cell in its last tag
    return SheetSpan(rows, columns, exact=False, may_hold_errors=errors, last_row_element=rows)


class _SpanParser:
    """An expat pass: the last row and column of the cells holding a value (what calamine
    reads). A cell without ``r`` follows the one before in its row; its row is taken as the
    later of its ``<row>``'s and the cell before's, so that the bound holds whichever a
    reader takes. A reference of another shape is refused."""

    def __init__(self):
        self.rows = self.columns = 0
        self.row_element = 0
        self.row = 0
        self.column = 0
        self.cell_has_value = False
        self.parser = pyexpat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def start(self, name: str, attributes: dict) -> None:
        namespace, _space, local = name.rpartition(" ")
        if namespace not in SHEET_NAMESPACES:
            return
        if local == "c":
            ref = attributes.get("r")
            if ref:
                parts = _ANY_REF.fullmatch(ref)
                if parts is None:
                    raise pyexpat.ExpatError(f"cell reference {ref!r}")
                self.column = column_number(parts.group(1).upper())
                self.row = int(parts.group(2))
            else:
                self.column += 1
                self.row = max(self.row, self.row_element)
            self.cell_has_value = False
        elif local == "row":
            ref = attributes.get("r")
            following = max(self.row_element, self.row) + 1
            self.row_element = int(ref) if ref and ref.isdigit() else following
            self.row = self.row_element
            self.column = 0
        elif local in ("v", "is"):
            self.cell_has_value = True

    def end(self, name: str) -> None:
        if name.rpartition(" ")[2] == "c" and self.cell_has_value:
            self.rows = max(self.rows, self.row)
            self.columns = max(self.columns, self.column)

    def feed(self, chunks) -> SheetSpan:
        for chunk in chunks:
            self.parser.Parse(chunk, False)
        self.parser.Parse(b"", True)
        return SheetSpan(self.rows, self.columns, exact=True)


def too_many_rows(count: int, limit: int) -> CellError:
    return CellError(
        None,
        "",
        None,
        _(
            "The sheet has %(count)s rows; an import takes at most %(limit)s. Delete the empty "
            "rows below the data or split the file."
        )
        % {"count": f"{count:,}", "limit": f"{limit:,}"},
    )


def sheet_span(archive: zipfile.ZipFile, path: str, *, max_rows: int | None = None) -> SheetSpan:
    """Return the span of the sheet part at ``path`` or raise ``WorkbookInvalid`` for a part
    that is damaged or spans more than ``WORKBOOK_MAX_CELLS`` (said as too many rows where
    its rows below the header exceed ``max_rows``)."""
    info = archive.getinfo(path)
    limit = settings.WORKBOOK_MAX_CELLS
    span = _quick_span(inflate(archive, info))
    if span is None or span.cells > limit:
        try:
            exact = _SpanParser().feed(inflate(archive, info))
        except pyexpat.ExpatError:
            raise refused(_("The sheet cannot be read: its XML is damaged.")) from None
        if span is not None:
            exact.may_hold_errors = span.may_hold_errors
        span = exact
    if span.cells > limit:
        from workbooks.reading import cell_name

        if max_rows is not None and span.rows > max_rows + 1:
            raise WorkbookInvalid([too_many_rows(span.rows - 1, max_rows)])
        raise refused(
            _(
                "The sheet reaches cell %(cell)s: %(cells)s cells from A1, more than an import "
                "reads (%(limit)s). Delete the rows and columns beyond the table (Ctrl+End "
                "shows the last cell) or split the file."
            )
            % {
                "cell": cell_name(span.rows - 1, span.columns - 1),
                "cells": f"{span.cells:,}",
                "limit": f"{limit:,}",
            }
        )
    return span
