"""The workbook engine: declared sheets read with python-calamine, every problem at once.

A sheet is declared as a ``SheetSpec``: its name in English and Chinese and its columns. A
``Column`` names its header in both languages, whether the file must have it, and the parser
that turns one non-blank cell into a typed value (raising ``CellInvalid`` with the reason).
``sheet_read`` opens the workbook, finds the sheet, maps the headers, refuses what a
spreadsheet can hide (merged cells, formula errors, a sheet running to the last Excel row),
parses every column once per distinct value (a column of 50,000 cells with 30 distinct
categories calls the parser 30 times) and checks the key column for repeats. It either
returns the typed rows, indexed by the row number Excel shows, or raises ``WorkbookInvalid``
listing every problem found: row, header as written, value, reason.

``workbook_write`` writes declared sheets back (header row, then rows) with the streaming
writer of ``workbooks.xlsx``; ``workbook_template`` adds an example row and a notes sheet.
Apps declare their own sheets with the same classes (see docs/workbooks.md).
"""

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workbooks.exceptions import CellError, CellInvalid, WorkbookInvalid
from workbooks.reading import cell_name, read_bytes, sheet_table, workbook_open
from workbooks.xlsx import XlsxBook

# Excel's own error values: a cell showing one of them holds no value to import.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``key`` is the English header and the name used in code; ``zh`` the Chinese header.
    ``parse`` gets a non-blank cell (str stripped, int, float, bool, date, datetime) and
    returns the typed value or raises ``CellInvalid``. A ``required`` column must be in the
    file and filled on every row. ``to_cell`` turns a typed value back into a cell on export.
    ``parse_many`` (optional) parses the usual cells of a column at once: given the distinct
    cells and an array to fill, it returns which it parsed; ``parse`` does the others and
    words what is wrong with them. ``zh_cell`` turns a typed value into the cell of a
    Chinese-header workbook (a choice's Chinese label rather than its code); without it, the
    cell is the same in both languages. The parser must read what either writes.
    """

    key: str
    zh: str
    parse: Callable[[Any], Any]
    required: bool = False
    help: str | Promise = ""
    example: Any = ""
    to_cell: Callable[[Any], Any] | None = None
    parse_many: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    zh_cell: Callable[[Any], Any] | None = None

    def header(self, language: str) -> str:
        return self.zh if language == "zh" else self.key


@dataclass(frozen=True)
class SheetSpec:
    """A sheet: its names, its fixed columns and the column whose values must be unique.

    ``dynamic`` maps a header that is not a fixed column (``attr:<code>``) to a Column, or
    returns None for an unknown header.
    """

    name: str
    zh: str
    columns: tuple[Column, ...]
    key: str
    dynamic: Callable[[str], Column | None] | None = None
    notes: str | Promise = ""

    def with_columns(self, extra: Iterable[Column]) -> "SheetSpec":
        return replace(self, columns=(*self.columns, *extra))

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass
class SheetRows:
    """The typed rows of a sheet: ``frame`` has one column per key found, None for blanks,
    and is indexed by the Excel row number; ``headers`` maps each key to its header as
    written in the file."""

    spec: SheetSpec
    frame: pd.DataFrame
    headers: dict[str, str]
    columns: dict[str, Column] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)


# --- Text no database or XML can hold -----------------------------------------------------

# NUL, which PostgreSQL text cannot hold, and the other control characters XML 1.0 cannot
# (tab, line feed and carriage return are text). Excel writes them as ``_x0000_``, which
# readers turn back into the character.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text_refusal(text: str) -> str | None:
    """Return why ``text`` cannot be imported (a control character), or None."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return _(
        "The text holds an invisible control character (%(code)s, character %(position)d) "
        "that cannot be stored; delete it or clean the column with =CLEAN()."
    ) % {"code": f"U+{ord(found.group()):04X}", "position": found.start() + 1}


def text_shown(text: str) -> str:
    """Return ``text`` with its control characters written as Excel writes them
    (``_x0000_``), so that a report can show where they are."""
    return CONTROL_CHARACTERS.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


# --- Cell parsers ---------------------------------------------------------------------------
# Each takes a non-blank cell and returns a typed value or raises CellInvalid.


def _refuse_date(raw) -> None:
    if isinstance(raw, dt.date | dt.datetime | dt.time | dt.timedelta):
        raise CellInvalid(
            _(
                "Excel stored this cell as a date or time; format the column as text or "
                "number and enter the value again."
            )
        )


def _number_text(raw) -> str:
    """Return a number read from a cell as plain text: 6901234567892.0 → "6901234567892"."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def parse_text(max_length: int) -> Callable[[Any], str]:
    def parse(raw) -> str:
        _refuse_date(raw)
        text = _number_text(raw) if isinstance(raw, int | float) else str(raw)
        if len(text) > max_length:
            raise CellInvalid(
                _("At most %(limit)d characters; this has %(length)d.")
                % {"limit": max_length, "length": len(text)}
            )
        return text

    return parse


CURRENCY_MARKS = re.compile(r"^(?:CNY|RMB|¥|￥|元)\s*|\s*(?:CNY|RMB|元)$", re.IGNORECASE)


_PLACES = {places: Decimal(1).scaleb(-places) for places in range(7)}
_NOISE = Decimal("1e-9")
_CENT = Decimal("0.01")


def _from_float(value: float, *, places: int) -> Decimal:
    """Return a number Excel stored as a float, without the float's noise: a formula such as
    =A2*1.1 gives 65.89000000000001 for 65.89."""
    number = Decimal(repr(value))
    if not number.is_finite() or abs(number) >= 10**15:
        return number  # no noise to drop, and quantizing 1e26 would pass the precision
    step = _PLACES.get(places) or Decimal(1).scaleb(-places)
    rounded = number.quantize(step)
    return rounded if abs(number - rounded) < _NOISE else number


def parse_money(raw) -> Decimal:
    """Read a price: a number, or text such as "¥1,299.00", "1299元", "CNY 12.5"."""
    _refuse_date(raw)
    if isinstance(raw, bool):
        raise CellInvalid(_("Enter a price, such as 12.50."))
    if isinstance(raw, int | float):
        number = _from_float(raw, places=2) if isinstance(raw, float) else Decimal(raw)
    else:
        text = CURRENCY_MARKS.sub("", str(raw).replace(",", "").replace("，", "").strip())
        text = CURRENCY_MARKS.sub("", text).strip()
        if re.match(r"^[$€£]", text):
            raise CellInvalid(
                _("Prices are in %(currency)s; this one is in another currency.")
                % {"currency": settings.DEFAULT_CURRENCY}
            )
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellInvalid(_("Enter a price, such as 12.50 or ¥12.50.")) from None
    if not number.is_finite():
        raise CellInvalid(_("Enter a price, such as 12.50."))
    if number < 0:
        raise CellInvalid(_("A price cannot be negative."))
    if number >= 10**10:
        raise CellInvalid(_("A price has at most 10 digits before the decimal point."))
    cents = number.quantize(_CENT)
    if number != cents:
        raise CellInvalid(_("A price has at most two decimal places."))
    return cents


def parse_whole_number(raw) -> int:
    """Read a whole number ≥ 0: 500, 500.0, "500", "1,000"."""
    _refuse_date(raw)
    if isinstance(raw, bool):
        raise CellInvalid(_("Enter a whole number of 0 or more."))
    text = str(raw).replace(",", "").strip() if isinstance(raw, str) else raw
    try:
        number = _from_float(text, places=0) if isinstance(text, float) else Decimal(text)
    except InvalidOperation:
        raise CellInvalid(_("Enter a whole number of 0 or more.")) from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise CellInvalid(_("Enter a whole number of 0 or more."))
    if number > 2_147_483_647:
        raise CellInvalid(_("The number is too large."))
    return int(number)


def parse_choice(choices: type) -> Callable[[Any], str]:
    """Read a TextChoices value by its code, its English label or its Chinese label."""

    def parse(raw) -> str:
        _refuse_date(raw)
        text = str(raw).strip()
        found = choice_words(choices).get(text.lower())
        if found is None:
            raise CellInvalid(
                _("Use one of: %(choices)s.")
                % {"choices": ", ".join(f"{value} ({label})" for value, label in choices.choices)}
            )
        return found

    return parse


def choice_label_zh(choices: type) -> Callable[[Any], str]:
    """Write a TextChoices value as its Chinese label (``parse_choice`` reads it back)."""
    from django.utils import translation

    def to_cell(value) -> str:
        with translation.override("zh-hans"):
            return str(choices(value).label) if value in choices.values else value

    return to_cell


def yes_no_zh(value) -> str:
    """Write a yes / no as 是 / 否 in a Chinese-header workbook."""
    return "是" if value else "否"


def choice_words(choices: type) -> dict[str, str]:
    """Return every accepted spelling (lowercase) of each choice: code, English, Chinese."""
    from django.utils import translation

    words: dict[str, str] = {}
    for value, label in choices.choices:
        words[value.lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                text = str(label)
            words[text.lower()] = value
            # "Traffic driver (目标性/导流)": the words in brackets name it too.
            inner = re.search(r"[(（](.+?)[)）]", text)
            if inner:
                for part in re.split(r"[/／]", inner.group(1)):
                    words[part.strip().lower()] = value
            base = re.sub(r"\s*[(（].*?[)）]\s*", "", text).strip()
            if base:
                words[base.lower()] = value
    return words


def parse_lines(raw) -> tuple[str, ...]:
    """Read one item per line (blank lines dropped)."""
    _refuse_date(raw)
    text = _number_text(raw) if isinstance(raw, int | float) else str(raw)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


# --- Reading --------------------------------------------------------------------------------


def _normalise_header(text) -> str:
    text = "" if text is None else str(text)
    text = text.replace("：", ":").replace("*", "").strip().lower()
    return re.sub(r"\s+", " ", text)


def sheet_find(book, spec: SheetSpec) -> str:
    """Return the name of the sheet of ``spec`` in ``book`` (English or Chinese name)."""
    wanted = {_normalise_header(spec.name), _normalise_header(spec.zh)}
    for name in book.sheet_names:
        if _normalise_header(name) in wanted:
            return name
    raise WorkbookInvalid(
        [
            CellError(
                None,
                "",
                None,
                _("The workbook has no sheet named %(name)s (%(zh)s); its sheets are: %(found)s.")
                % {"name": spec.name, "zh": spec.zh, "found": ", ".join(book.sheet_names)},
            )
        ]
    )


def sheet_read(source, spec: SheetSpec, *, max_rows: int | None = None) -> SheetRows:
    """Return the typed rows of ``spec``'s sheet in ``source`` or raise ``WorkbookInvalid``."""
    max_rows = max_rows or settings.CATALOG_IMPORT_MAX_ROWS
    data = read_bytes(source)
    book = workbook_open(data)
    sheet_name = sheet_find(book, spec)
    table = sheet_table(data, sheet=sheet_name, max_rows=max_rows, book=book)
    rows = table.rows

    errors: list[CellError] = []
    for (top, left), (bottom, right) in table.merged:
        errors.append(
            CellError(
                top + 1,
                f"{cell_name(top, left)}:{cell_name(bottom, right)}",
                None,
                _("Merged cells: unmerge them and fill in every cell."),
            )
        )

    header_index = table.header_index
    if header_index is None:
        raise WorkbookInvalid([CellError(None, sheet_name, None, _("The sheet is empty."))])

    positions, headers, columns = _map_headers(rows[header_index], spec, header_index, errors)
    if errors and any(e.row == header_index + 1 and e.value is not None for e in errors):
        # Without the columns straight, row errors would only confuse.
        raise WorkbookInvalid(errors)

    body = rows[header_index + 1 :]
    width = len(rows[header_index])
    if any(len(row) != width for row in body):
        body = [row + [""] * (width - len(row)) for row in body]
    frame = pd.DataFrame(
        body,
        index=pd.RangeIndex(header_index + 2, header_index + 2 + len(body)),
        dtype=object,
    )
    if frame.empty:
        frame = pd.DataFrame(index=pd.RangeIndex(0), columns=range(width), dtype=object)
    for (row, column), value in table.errors.items():
        if row > header_index and column in positions:
            errors.append(
                CellError(
                    row + 1,
                    headers[positions[column]],
                    value,
                    _("The cell shows a formula error; correct the formula or type a value."),
                )
            )
    kept = frame[list(positions)] if positions else frame.iloc[:, :0]
    kept.columns = [positions[c] for c in positions]
    blank = kept.eq("").all(axis=1) if len(kept.columns) else pd.Series(True, index=kept.index)
    kept = kept[~blank]

    typed = pd.DataFrame(index=kept.index)
    for key, column in columns.items():
        # Object columns keep None for blanks: pandas would make a string column of NaN.
        typed[key] = pd.Series(
            _parse_column(kept[key], column, headers[key], errors), index=kept.index, dtype=object
        )

    if spec.key in typed:
        keys = typed[spec.key]
        repeated = keys.notna() & keys.duplicated(keep=False)
        if repeated.any():
            first_row = {}
            for row, value in keys[repeated].items():
                if value in first_row:
                    errors.append(
                        CellError(
                            row,
                            headers[spec.key],
                            value,
                            _("Also on row %(row)d; each %(column)s appears once in a file.")
                            % {"row": first_row[value], "column": headers[spec.key]},
                        )
                    )
                else:
                    first_row[value] = row
    if errors:
        raise WorkbookInvalid(errors)
    return SheetRows(spec=spec, frame=typed, headers=headers, columns=columns)


def _map_headers(row, spec: SheetSpec, header_index: int, errors: list[CellError]):
    """Return (position → key, key → header as written, key → Column) for the header row."""
    known: dict[str, Column] = {}
    for column in spec.columns:
        known[_normalise_header(column.key)] = column
        known[_normalise_header(column.zh)] = column
    positions: dict[int, str] = {}
    headers: dict[str, str] = {}
    columns: dict[str, Column] = {}
    for index, cell in enumerate(row):
        text = str(cell).strip() if cell != "" else ""
        if not text:
            continue
        column = known.get(_normalise_header(text))
        if column is None and spec.dynamic is not None:
            column = spec.dynamic(_normalise_header(text))
        if column is None:
            errors.append(
                CellError(
                    header_index + 1,
                    cell_name(header_index, index),
                    text,
                    _("Unknown column. The columns of sheet %(sheet)s are: %(known)s.")
                    % {"sheet": spec.name, "known": ", ".join(c.key for c in spec.columns)},
                )
            )
            continue
        if column.key in headers:
            errors.append(
                CellError(
                    header_index + 1,
                    cell_name(header_index, index),
                    text,
                    _("The column %(column)s appears twice.") % {"column": column.key},
                )
            )
            continue
        positions[index] = column.key
        headers[column.key] = text
        columns[column.key] = column
    for column in spec.columns:
        if column.required and column.key not in headers:
            errors.append(
                CellError(
                    None,
                    column.key,
                    None,
                    _("Required column %(column)s (%(zh)s) is missing.")
                    % {"column": column.key, "zh": column.zh},
                )
            )
    return positions, headers, columns


def _money_floats(uniques: np.ndarray, parsed: np.ndarray) -> np.ndarray:
    """Parse the float prices among ``uniques`` at once into ``parsed``; return which were.

    A float within 0 and 10^10 that is exactly a number of cents (the float nearest to
    cents / 100) is the price ``parse_money`` reads from it: such a number has at most 12
    significant digits, so it is also the float's shortest repr. Anything else (text, ints,
    negative, more decimals, float noise) is left to ``parse_money`` and its messages.
    """
    done = np.zeros(len(uniques), dtype=bool)
    floats = np.fromiter((type(v) is float for v in uniques), dtype=bool, count=len(uniques))
    if not floats.any():
        return done
    positions = np.flatnonzero(floats)
    values = np.asarray(uniques, dtype=object)[positions].astype(np.float64)
    with np.errstate(invalid="ignore"):
        cents = np.rint(values * 100)
        exact = ~np.signbit(values) & (values < 1e10) & (cents / 100 == values)
    whole_cents = cents[exact].astype(np.int64).tolist()
    for position, cent in zip(positions[exact], whole_cents, strict=True):
        parsed[position] = Decimal(cent).scaleb(-2)
        done[position] = True
    return done


def _parse_column(cells: pd.Series, column: Column, header: str, errors: list[CellError]):
    """Parse each distinct value of ``cells`` once; blanks become None."""
    codes, uniques = pd.factorize(cells, sort=False)
    parsed = np.empty(len(uniques), dtype=object)
    bad: dict[int, str] = {}
    parse_many = column.parse_many or (_money_floats if column.parse is parse_money else None)
    done = parse_many(uniques, parsed) if parse_many else np.zeros(len(uniques), dtype=bool)
    for index, raw in enumerate(uniques):
        if done[index]:
            continue
        if isinstance(raw, str):
            raw = raw.strip()
        if raw == "" or raw is None:
            parsed[index] = None
            if column.required:
                bad[index] = _("Required: fill in a value.")
            continue
        if isinstance(raw, str) and (refusal := text_refusal(raw)) is not None:
            bad[index] = refusal
            continue
        try:
            parsed[index] = column.parse(raw)
        except CellInvalid as error:
            bad[index] = error.message
    if bad:
        rows = cells.index.to_numpy()
        for index, reason in bad.items():
            for row in rows[codes == index]:
                errors.append(CellError(int(row), header, _shown(uniques[index]), reason))
    return parsed[codes] if len(codes) else np.empty(0, dtype=object)


def _shown(value):
    """Return a cell value as the user typed it: 250 rather than calamine's 250.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = text_shown(value)
    return value if value != "" else None


# --- Writing --------------------------------------------------------------------------------


def _cell(column: Column, value, language: str = "en"):
    if value is None:
        return None
    if language == "zh" and column.zh_cell is not None:
        return column.zh_cell(value)
    return column.to_cell(value) if column.to_cell else value


def workbook_write(
    target,
    sheets: Sequence[tuple[SheetSpec, Iterable[Sequence[Any]]]],
    *,
    language: str = "en",
    notes: bool = False,
) -> None:
    """Write each (spec, rows) as a sheet: a header row, then rows of typed values in the
    order of ``spec.columns``. With ``notes``, add a sheet describing every column."""
    if not (isinstance(target, str | Path) or hasattr(target, "seek")):
        # An HttpResponse: the zip is built in memory, then sent.
        buffer = io.BytesIO()
        workbook_write(buffer, sheets, language=language, notes=notes)
        target.write(buffer.getvalue())
        return
    book = XlsxBook(target)
    for spec, rows in sheets:
        columns = spec.columns
        book.add_sheet(
            spec.zh if language == "zh" else spec.name,
            [column.header(language) for column in columns],
            ([_cell(c, v, language) for c, v in zip(columns, row, strict=True)] for row in rows),
        )
    if notes:
        _write_notes(book, [spec for spec, _rows in sheets], language)
    book.close()


def _write_notes(book: XlsxBook, specs: Sequence[SheetSpec], language: str = "en") -> None:
    titles = [
        _("sheet"),
        _("column (English)"),
        _("column (中文)"),
        _("required"),
        _("what to enter"),
        _("example"),
    ]
    rows: list[list] = []
    for spec in specs:
        if spec.notes:
            rows.append([spec.name, "", "", "", str(spec.notes), ""])
        for column in spec.columns:
            rows.append(
                [
                    spec.name,
                    column.key,
                    column.zh,
                    str(_("yes") if column.required else _("no")),
                    str(column.help),
                    _cell(column, column.example, language) if column.example != "" else None,
                ]
            )
    rows.append([])
    rows.append(
        [
            "",
            "",
            "",
            "",
            str(
                gettext_lazy(
                    "Headers may be written in English or in Chinese. Prices may be numbers or "
                    "text with a currency sign (¥12.50). Blank rows are skipped. The whole file "
                    "is imported or nothing is: every problem is listed with its row number."
                )
            ),
        ]
    )
    book.add_sheet(str(_("notes")), [str(t) for t in titles], rows, wrap=[4])
