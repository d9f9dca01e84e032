"""A streaming xlsx writer for exports and reports: sheets of plain values, a bold frozen
header row.

openpyxl builds an element per cell and takes some 12 seconds for the 1.35 million cells of
a 50,000-SKU catalogue; this writes each row as one string, straight into the deflated zip
part, in a fraction of that (bench/RESULTS.md). It writes only what exports and reports
need: text, numbers (int, float, Decimal and numpy's), yes/no, dates and times, blanks; a
bold header row, frozen; per column a width, a number format (``0.00``, ``0.0%``) or
wrapped text; and native Excel charts (column, bar, line, pie) over a sheet's own cells
(``Chart``), written as DrawingML parts once the sheet is. Anything richer is openpyxl's job.

What a cell shows is what the value is, never more:
- Text is a shared string, never a formula: ``=SUM(A1)``, ``+86…``, ``-5``, ``@x`` stay
  text, and such text (starting ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
  carries Excel's quote prefix, so that editing the cell keeps it text. Text that reads as
  Excel's escape ``_xHHHH_`` is written ``_x005F_xHHHH_``, which Excel shows as typed;
  control characters XML cannot hold are written as that escape.
- NaN and ±infinity (float, numpy or Decimal) and pandas' missing values are empty cells:
  a report's ratio over nothing has no value, and Excel has no such numbers.
- A time-zone-aware datetime is converted to ``settings.TIME_ZONE`` and written as that
  wall-clock time (Excel has no time zones); a naive one is written as it is.
"""

import datetime as dt
import math
import numbers
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

import numpy as np
from django.utils import timezone

__all__ = ["Chart", "XlsxBook"]

_EPOCH = dt.datetime(1899, 12, 30)
# Style ids in styles.xml below.
_PLAIN, _BOLD, _WRAP, _DATE, _DATETIME = range(5)
# XML 1.0 forbids most control characters; Excel writes them as _xHHHH_.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_SPECIAL = re.compile("[&<>\x00-\x1f]|_[xX]")
# Text that Excel would read as its escape of a character: its "_" is escaped itself.
_LOOKS_ESCAPED = re.compile("_(?=[xX][0-9A-Fa-f]{4}_)")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "{sheets}</Types>"
)
_CHART_TYPES = (
    '<Override PartName="/xl/drawings/drawing{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
)
_CHART_TYPE = (
    '<Override PartName="/xl/charts/chart{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>'
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_NUMBER_FORMATS_FIRST_ID = 166  # ids from 164 are the workbook's own; 164, 165 are dates
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="{format_count}"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>{formats}</numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color rgb="FF8EA9C1"/></bottom>'
    "<diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="{xf_count}">{xfs}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# The cell styles by id: _PLAIN, _BOLD (the header: bold on a light fill, a thin rule below),
# _WRAP, _DATE, _DATETIME; a book appends its number formats and the quote-prefixed variants.
_BASE_XFS = (
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" '
    'applyFill="1" applyBorder="1"/>',
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf>',
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
)
# Text starting with one of these is a formula to a spreadsheet once typed or pasted (and to
# a CSV reader at once): written as text, with Excel's quote prefix, so that editing the cell
# keeps it text (OWASP, CSV injection).
FORMULA_START = frozenset("=+-@\t\r")

_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
)


def column_letters(count: int) -> list[str]:
    """Return the letters of the first ``count`` columns: A, B, …, Z, AA, …"""
    letters = []
    for index in range(count):
        name, n = "", index + 1
        while n:
            n, remainder = divmod(n - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def _text(value: str) -> str:
    if not _SPECIAL.search(value) and value == value.strip():
        return f"<t>{value}</t>"
    if "_" in value:
        value = _LOOKS_ESCAPED.sub("_x005F_", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    text = escape(value, _ESCAPES)
    if value != value.strip() or "\n" in value:
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _cell(ref: str, value, style: int, share, quote=None) -> str:
    """Return the XML of one cell ("" for a blank); ``share`` gives a text's index in the
    shared strings, ``quote`` the quote-prefixed variant of a style."""
    kind = type(value)
    if kind is str:
        if not value:
            return ""
        if value[0] in FORMULA_START and quote is not None:
            style = quote(style)
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s} t="s"><v>{share(value)}</v></c>'
    s = f' s="{style}"' if style else ""
    if value is None:
        return ""
    if kind is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if kind is float:
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>' if math.isfinite(value) else ""
    if kind is Decimal:
        return f'<c r="{ref}"{s}><v>{value:f}</v></c>' if value.is_finite() else ""
    if isinstance(value, dt.datetime):
        if value != value:  # pandas' NaT
            return ""
        if value.tzinfo is not None:
            value = timezone.make_naive(value, timezone.get_default_timezone())
        days = (value - _EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="{_DATETIME}"><v>{days!r}</v></c>'
    if isinstance(value, dt.date):
        days = (value - _EPOCH.date()).days
        return f'<c r="{ref}" s="{_DATE}"><v>{days}</v></c>'
    return _cell(ref, _plain(value), style, share, quote)


def _plain(value):
    """Return ``value`` (numpy's numbers, pandas' missing values, anything else) as one of the
    types ``_cell`` writes."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        if value != value:  # pandas' NA and NaT: the only values unequal to themselves
            return None
    except TypeError:  # pandas.NA answers NA, which has no truth value
        return None
    return str(value)


_NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
)
_ANCHOR = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_EMU_PER_CM = 360_000
_CHART_KINDS = ("column", "bar", "line", "pie")


@dataclass(frozen=True)
class Chart:
    """A native Excel chart over cells of the sheet it is put on (``add_sheet(charts=…)``).

    ``kind``: "column", "bar" (horizontal), "line" or "pie". ``categories``: (first row,
    last row, column) of the category labels; ``values``: one (series name, first row, last
    row, column) per series (a pie shows the first). Rows are the numbers Excel shows (the
    header is row 1, the first data row 2), columns positions from 0 as in ``formats``.
    ``anchor``: the cell of the chart's top-left corner; ``width`` and ``height`` in cm.
    """

    kind: str
    title: str
    categories: tuple[int, int, int]
    values: Sequence[tuple[str, int, int, int]]
    anchor: str = "H2"
    width: float = 16.0
    height: float = 8.0

    def __post_init__(self):
        if self.kind not in _CHART_KINDS:
            raise ValueError(f"chart kind {self.kind!r} is not one of {_CHART_KINDS}")
        if not _ANCHOR.fullmatch(self.anchor):
            raise ValueError(f"chart anchor {self.anchor!r} is not a cell such as H2")
        if not self.values:
            raise ValueError("a chart needs at least one series")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _range(sheet: str, first: int, last: int, column: int) -> str:
    """Return the absolute reference ``'Sheet'!$B$2:$B$6`` (XML-escaped)."""
    letter = column_letters(column + 1)[-1]
    quoted = sheet.replace("'", "''")
    return escape(f"'{quoted}'!${letter}${first}:${letter}${last}")


def _rich(text: str) -> str:
    return (
        f"<c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(text)}</a:t></a:r></a:p></c:rich></c:tx>"
    )


def _chart_xml(chart: Chart, sheet: str) -> str:
    """Return the chart part (DrawingML chartSpace) of ``chart`` over ``sheet``'s cells."""
    categories = _range(sheet, *chart.categories)
    series = chart.values[:1] if chart.kind == "pie" else chart.values
    parts = []
    for n, (name, first, last, column) in enumerate(series):
        labels = ""
        if chart.kind == "pie":
            labels = (
                '<c:dLbls><c:showLegendKey val="0"/><c:showVal val="0"/>'
                '<c:showCatName val="0"/><c:showSerName val="0"/><c:showPercent val="1"/>'
                '<c:showBubbleSize val="0"/><c:showLeaderLines val="1"/></c:dLbls>'
            )
        marker = '<c:marker><c:symbol val="none"/></c:marker>' if chart.kind == "line" else ""
        invert = '<c:invertIfNegative val="0"/>' if chart.kind in ("column", "bar") else ""
        smooth = '<c:smooth val="0"/>' if chart.kind == "line" else ""
        parts.append(
            f'<c:ser><c:idx val="{n}"/><c:order val="{n}"/>'
            f"<c:tx><c:v>{escape(str(name))}</c:v></c:tx>{invert}{marker}{labels}"
            f"<c:cat><c:strRef><c:f>{categories}</c:f></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{_range(sheet, first, last, column)}</c:f></c:numRef>"
            f"</c:val>{smooth}</c:ser>"
        )
    series_xml = "".join(parts)
    axes_ids = '<c:axId val="500000001"/><c:axId val="500000002"/>'
    if chart.kind == "pie":
        plot = (
            f'<c:pieChart><c:varyColors val="1"/>{series_xml}<c:firstSliceAng val="0"/>'
            "</c:pieChart>"
        )
    else:
        if chart.kind == "line":
            plot = (
                f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series_xml}'
                f'<c:marker val="1"/>{axes_ids}</c:lineChart>'
            )
        else:
            direction = "col" if chart.kind == "column" else "bar"
            plot = (
                f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
                f'<c:varyColors val="0"/>{series_xml}<c:gapWidth val="80"/>{axes_ids}'
                "</c:barChart>"
            )
        category_side, value_side = ("l", "b") if chart.kind == "bar" else ("b", "l")
        plot += (
            '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/>'
            f'</c:scaling><c:delete val="0"/><c:axPos val="{category_side}"/>'
            '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
            '<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
            '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
            '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/>'
            f'</c:scaling><c:delete val="0"/><c:axPos val="{value_side}"/><c:majorGridlines/>'
            '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
            '<c:crossAx val="500000001"/><c:crosses val="autoZero"/>'
            '<c:crossBetween val="between"/></c:valAx>'
        )
    legend = "r" if chart.kind == "pie" or len(series) > 1 else None
    legend_xml = (
        f'<c:legend><c:legendPos val="{legend}"/><c:overlay val="0"/></c:legend>' if legend else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{_NS_C}" xmlns:a="{_NS_A}" xmlns:r="{_NS_R}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f'<c:title>{_rich(chart.title)}<c:overlay val="0"/></c:title>'
        f'<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>{plot}</c:plotArea>'
        f'{legend_xml}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        "</c:chartSpace>"
    )


def _drawing_xml(charts: Sequence[Chart]) -> str:
    """Return the drawing part placing ``charts`` (its relationship n+1 is chart n)."""
    anchors = []
    for n, chart in enumerate(charts):
        letters, row = _ANCHOR.fullmatch(chart.anchor).groups()
        anchors.append(
            "<xdr:oneCellAnchor>"
            f"<xdr:from><xdr:col>{_column_index(letters)}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{int(row) - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{round(chart.width * _EMU_PER_CM)}" '
            f'cy="{round(chart.height * _EMU_PER_CM)}"/>'
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{n + 2}" name="Chart {n + 1}"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            f'</xdr:xfrm><a:graphic><a:graphicData uri="{_NS_C}">'
            f'<c:chart xmlns:c="{_NS_C}" xmlns:r="{_NS_R}" r:id="rId{n + 1}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>"
            "</xdr:oneCellAnchor>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        f'xmlns:a="{_NS_A}">{"".join(anchors)}</xdr:wsDr>'
    )


class XlsxBook:
    """Sheets written one after the other into ``target`` (a path or a binary file)."""

    def __init__(self, target):
        self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.names: list[str] = []
        self.number_formats: dict[str, int] = {}  # format code → its cell style id
        self.xfs: list[str] = list(_BASE_XFS)  # cell styles by id
        self.quoted: dict[int, int] = {}  # style id → its quote-prefixed variant
        # Shared strings rather than inline ones: Excel, openpyxl and calamine all read the
        # _xHHHH_ escape there (openpyxl and calamine do not in inline strings).
        self.strings: dict[str, int] = {}
        self.drawings = 0  # drawing parts written (one per sheet holding charts)
        self.charts = 0  # chart parts written

    def _share(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def _number_style(self, code: str) -> int:
        if code not in self.number_formats:
            format_id = _NUMBER_FORMATS_FIRST_ID + len(self.number_formats)
            self.number_formats[code] = len(self.xfs)
            self.xfs.append(
                f'<xf numFmtId="{format_id}" fontId="0" fillId="0" borderId="0" xfId="0" '
                'applyNumberFormat="1"/>'
            )
        return self.number_formats[code]

    def _quote(self, style: int) -> int:
        if style not in self.quoted:
            self.quoted[style] = len(self.xfs)
            self.xfs.append(self.xfs[style].replace("<xf ", '<xf quotePrefix="1" ', 1))
        return self.quoted[style]

    def add_sheet(
        self,
        name: str,
        header: Sequence[str],
        rows: Iterable[Sequence],
        *,
        wrap: Iterable[int] = (),
        formats: Mapping[int, str] | None = None,
        widths: Mapping[int, float] | None = None,
        charts: Sequence[Chart] = (),
    ) -> None:
        """Write a sheet: ``header`` in bold and frozen, then ``rows`` (values by column).

        By column position: the ``wrap`` columns wrap their text, ``formats`` gives a
        column's number format (``"0.00"``, ``"0.0%"``), ``widths`` its width in characters.
        ``charts`` are native Excel charts over this sheet's cells (``Chart``).
        """
        self.names.append(name)
        width = max(len(header), 1)
        letters = column_letters(width)
        wrapped = set(wrap)
        styles = [_WRAP if i in wrapped else _PLAIN for i in range(width)]
        for position, code in (formats or {}).items():
            if position < width:
                styles[position] = self._number_style(code)
        share, quote = self._share, self._quote
        with self.zip.open(f"xl/worksheets/sheet{len(self.names)}.xml", "w") as part:
            out: list[str] = [_SHEET_HEAD]
            if widths:
                columns = "".join(
                    f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
                    for i, w in sorted(widths.items())
                )
                out.append(f"<cols>{columns}</cols>")
            out.append("<sheetData>")
            cells = "".join(
                _cell(f"{c}1", str(h), _BOLD, share, quote)
                for c, h in zip(letters, header, strict=False)
            )
            out.append(f'<row r="1">{cells}</row>')
            for number, row in enumerate(rows, start=2):
                if len(row) > len(letters):
                    letters = column_letters(len(row))
                    styles += [_PLAIN] * (len(row) - len(styles))
                cells = "".join(
                    [
                        _cell(f"{c}{number}", v, s, share, quote)
                        for c, v, s in zip(letters, row, styles, strict=False)
                    ]
                )
                out.append(f'<row r="{number}">{cells}</row>')
                if len(out) >= 2_000:
                    part.write("".join(out).encode())
                    out.clear()
            out.append("</sheetData>")
            if charts:
                out.append('<drawing r:id="rId1"/>')
            out.append("</worksheet>")
            part.write("".join(out).encode())
        if charts:
            self._write_charts(len(self.names), name, charts)

    def _write_charts(self, sheet: int, name: str, charts: Sequence[Chart]) -> None:
        """Write the drawing of sheet number ``sheet`` and its charts, with their relations."""
        self.drawings += 1
        drawing = self.drawings
        self.zip.writestr(
            f"xl/worksheets/_rels/sheet{sheet}.xml.rels",
            f'{_RELS_HEAD}<Relationship Id="rId1" Type="{_REL}/drawing" '
            f'Target="../drawings/drawing{drawing}.xml"/></Relationships>',
        )
        self.zip.writestr(f"xl/drawings/drawing{drawing}.xml", _drawing_xml(charts))
        relations = []
        for n, chart in enumerate(charts, start=1):
            self.charts += 1
            self.zip.writestr(f"xl/charts/chart{self.charts}.xml", _chart_xml(chart, name))
            relations.append(
                f'<Relationship Id="rId{n}" Type="{_REL}/chart" '
                f'Target="../charts/chart{self.charts}.xml"/>'
            )
        self.zip.writestr(
            f"xl/drawings/_rels/drawing{drawing}.xml.rels",
            f"{_RELS_HEAD}{''.join(relations)}</Relationships>",
        )

    def close(self) -> None:
        sheets = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(self.names, start=1)
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.names) + 1)
        )
        styles_id = len(self.names) + 1
        parts = {
            "[Content_Types].xml": _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(self.names) + 1))
                + "".join(_CHART_TYPES.format(n=n) for n in range(1, self.drawings + 1))
                + "".join(_CHART_TYPE.format(n=n) for n in range(1, self.charts + 1))
            ),
            "_rels/.rels": _ROOT_RELS,
            "xl/workbook.xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f"<sheets>{sheets}</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f"{relations}"
                f'<Relationship Id="rId{styles_id}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
                'Target="styles.xml"/>'
                f'<Relationship Id="rId{styles_id + 1}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES.format(
                format_count=2 + len(self.number_formats),
                formats="".join(
                    f'<numFmt numFmtId="{_NUMBER_FORMATS_FIRST_ID + n}" '
                    f'formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
                    for n, code in enumerate(self.number_formats)
                ),
                xf_count=len(self.xfs),
                xfs="".join(self.xfs),
            ),
        }
        for name, text in parts.items():
            self.zip.writestr(name, text)
        with self.zip.open("xl/sharedStrings.xml", "w") as part:
            count = len(self.strings)
            out = [
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{count}" uniqueCount="{count}">'
            ]
            for text in self.strings:
                out.append(f"<si>{_text(text)}</si>")
                if len(out) >= 20_000:
                    part.write("".join(out).encode())
                    out.clear()
            out.append("</sst>")
            part.write("".join(out).encode())
        self.strings.clear()
        self.zip.close()
