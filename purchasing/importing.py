"""Supplier and offer import: a workbook applied whole or not at all.

``suppliers_import`` reads the ``suppliers`` and/or ``offers`` sheets (``workbooks.sheets``),
checks every row against what is stored (unknown suppliers or SKUs, an offer ending before it
starts, a supplier × SKU given twice, a new offer without unit cost, a start date taken by
another offer of the pair, a unit cost column from a user who may not see costs), compares it
with what is stored and returns one ``ImportReport`` per sheet: rows new, changed, unchanged
and the changed cells. Every problem is collected first and raised as one ``WorkbookInvalid``;
unless it is a dry run, the writes follow in one transaction: suppliers by ``bulk_create`` /
``bulk_update``, offers by ``workbooks.bulk`` (COPY) with their history rows, so a unit cost
change is in the offer's history. Unchanged rows are not written (importing twice changes
nothing the second time).

One offers row is a supplier × SKU: it updates the offer of the pair that starts last (its
valid from date included) or creates the pair's first offer; older offers are left alone.
A blank cell clears a text column or ``valid_to``; in the other columns it keeps the stored
value (the default for a new row).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST
from catalog.importing import ImportReport, RowChange
from catalog.models import SKU
from purchasing.models import Supplier, SupplierOffer
from purchasing.sheets import KINDS, SPECS
from workbooks import bulk
from workbooks.exceptions import CellInvalid, WorkbookInvalid
from workbooks.reading import read_bytes, workbook_open
from workbooks.sheets import CellError, SheetRows, SheetSpec, sheet_find, sheet_read

CHANGE_REASON = "supplier import"
IMPORT_LOCK = 0x4A58_5355  # advisory lock key of supplier imports ("JXSU")
CHUNK = 5_000

# Sheet column → model attname.
SUPPLIER_FIELDS = {
    "name": "name",
    "type": "supplier_type",
    "contact": "contact_name",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "payment_terms_days": "payment_terms_days",
    "currency": "currency",
    "active": "is_active",
}
OFFER_FIELDS = {
    "supplier_sku": "supplier_sku_code",
    "unit_cost": "unit_cost",
    "moq": "min_order_quantity",
    "pack_multiple": "pack_multiple",
    "lead_days": "lead_time_days",
    "valid_from": "valid_from",
    "valid_to": "valid_to",
    "preferred": "is_preferred",
}
# Columns whose blank cell clears the value; the others keep it (default for a new row).
CLEARED_BY_BLANK = {"contact", "phone", "email", "address", "supplier_sku", "valid_to"}


def _everything(permission: str) -> bool:
    return True


@dataclass
class SuppliersImportReport:
    """One ``catalog.importing.ImportReport`` per sheet read, in file order of kinds."""

    sheets: dict[str, ImportReport] = field(default_factory=dict)
    applied: bool = False

    def summary(self) -> str:
        return " ".join(f"{kind}: {report.summary()}" for kind, report in self.sheets.items())


@dataclass(frozen=True)
class _Bad:
    """A cell its parser refused: kept so that the row is still checked against the
    database and every problem of the file is reported at once."""

    raw: Any
    reason: str


def _catching(parse):
    def tolerant(raw):
        try:
            return parse(raw)
        except CellInvalid as error:
            return _Bad(raw, error.message)

    return tolerant


def _tolerant(spec: SheetSpec) -> SheetSpec:
    """Return ``spec`` whose parsers keep refused cells as ``_Bad`` and whose columns are not
    required (required columns and cells are checked by ``_required_errors``)."""
    return replace(
        spec,
        columns=tuple(replace(c, parse=_catching(c.parse), required=False) for c in spec.columns),
    )


def _required_errors(
    rows: SheetRows, spec: SheetSpec, places: set[tuple[int, str]]
) -> tuple[list[CellError], bool]:
    """Return the errors of missing required columns and blank required cells (adding the
    latter to ``places``) and whether a required column is missing."""
    errors = []
    missing = False
    for column in spec.columns:
        if not column.required:
            continue
        if column.key not in rows.headers:
            missing = True
            errors.append(
                CellError(
                    None,
                    column.key,
                    None,
                    _("Required column %(column)s (%(zh)s) is missing.")
                    % {"column": column.key, "zh": column.zh},
                )
            )
            continue
        values = rows.frame[column.key]
        for row in values.index[values.isna()]:
            if (int(row), column.key) not in places:
                errors.append(
                    CellError(
                        int(row), rows.headers[column.key], None, _("Required: fill in a value.")
                    )
                )
                places.add((int(row), column.key))
    return errors, missing


def _bad_cells(rows: SheetRows) -> tuple[list[CellError], set[tuple[int, str]]]:
    """Take the refused cells out of ``rows`` (left blank); return their errors and places."""
    errors, places = [], set()
    frame = rows.frame
    for key in frame.columns:
        column = frame[key]
        bad = column.map(lambda value: isinstance(value, _Bad))
        for row, value in column[bad].items():
            raw = value.raw
            shown = int(raw) if isinstance(raw, float) and raw.is_integer() else raw
            errors.append(CellError(int(row), rows.headers[key], shown, value.reason))
            places.add((int(row), key))
        if bad.any():
            frame.loc[bad, key] = None
    return errors, places


def _qualified(errors: list[CellError], sheet: str) -> list[CellError]:
    return [
        CellError(e.row, f"{sheet}!{e.column}" if e.column else sheet, e.value, e.reason)
        for e in errors
    ]


def _sheets_in(data: bytes, kind: str | None) -> list[SheetSpec]:
    """Return the specs to read: ``kind``'s, or every purchasing sheet the workbook has."""
    if kind is not None:
        return [SPECS[kind]]
    book = workbook_open(data)
    found = []
    for spec in SPECS.values():
        try:
            sheet_find(book, spec)
        except WorkbookInvalid:
            continue
        found.append(spec)
    if not found:
        raise WorkbookInvalid(
            [
                CellError(
                    None,
                    "",
                    None,
                    _(
                        "The workbook has no sheet named suppliers (供应商) or offers (供货); "
                        "its sheets are: %(found)s."
                    )
                    % {"found": ", ".join(book.sheet_names)},
                )
            ]
        )
    return found


def suppliers_import(
    *,
    source,
    kind: str | None = None,
    dry_run: bool = False,
    can: Callable[[str], bool] = _everything,
    user=None,
) -> SuppliersImportReport:
    """Import the suppliers and/or offers sheets of ``source`` (path, bytes or file).

    ``kind`` (``suppliers`` or ``offers``) reads that sheet only; by default every one of
    the two the workbook has. ``can`` answers whether the importing user holds a permission
    (a unit cost column needs ``catalog.view_cost``); ``user`` is recorded in the history.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    data = read_bytes(source)
    specs = _sheets_in(data, kind)
    rows: dict[str, SheetRows] = {}
    errors: list[CellError] = []
    bad: set[tuple[str, int, str]] = set()
    for spec in specs:
        try:
            rows[spec.name] = sheet_read(data, _tolerant(spec))
        except WorkbookInvalid as invalid:  # the sheet itself: headers, merged cells…
            errors += _qualified(invalid.errors, spec.name) if len(specs) > 1 else invalid.errors
            continue
        cell_errors, places = _bad_cells(rows[spec.name])
        required, missing = _required_errors(rows[spec.name], spec, places)
        cell_errors = sorted(required + cell_errors, key=lambda e: (e.row or 0, str(e.column)))
        errors += _qualified(cell_errors, spec.name) if len(specs) > 1 else cell_errors
        bad |= {(spec.name, row, key) for row, key in places}
        if missing:
            del rows[spec.name]
    if len(rows) < len(specs):
        raise WorkbookInvalid(errors)

    plan = _Plan(rows, can=can, qualify=len(specs) > 1, errors=errors, bad=bad)
    if dry_run:
        return plan.check()
    try:
        with transaction.atomic():
            # Imports run one at a time: each plans on what the one before it wrote.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
            report = plan.check()
            plan.apply(user=user)
    except IntegrityError:
        raise WorkbookInvalid(
            [
                CellError(
                    None,
                    "",
                    None,
                    _("Suppliers or offers were changed meanwhile; import the file again."),
                )
            ]
        ) from None
    report.applied = True
    return report


def _records(rows: SheetRows) -> list[tuple[int, dict[str, Any]]]:
    frame = rows.frame
    columns = list(frame.columns)
    return [
        (int(row), dict(zip(columns, values, strict=True)))
        for row, values in zip(frame.index, frame.to_numpy(dtype=object).tolist(), strict=True)
    ]


def _chunks(values: list) -> list[list]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


class _Plan:
    def __init__(self, rows: dict[str, SheetRows], *, can, qualify: bool, errors, bad):
        self.rows = rows
        self.can = can
        self.qualify = qualify
        self.errors: list[CellError] = errors
        self.bad: set[tuple[str, int, str]] = bad  # (sheet, row, key) of refused cells
        self.today = timezone.localdate()

    def header(self, sheet: str, key: str) -> str:
        header = self.rows[sheet].headers[key]
        return f"{sheet}!{header}" if self.qualify else header

    def error(self, row, sheet: str, key: str, value, reason: str) -> None:
        self.errors.append(CellError(row, self.header(sheet, key), value, reason))

    # Checks -------------------------------------------------------------------------------

    def check(self) -> SuppliersImportReport:
        report = SuppliersImportReport()
        offers = self.rows.get("offers")
        if offers is not None and "unit_cost" in offers.headers and not self.can(VIEW_COST):
            self.errors.append(
                CellError(
                    None,
                    self.header("offers", "unit_cost"),
                    None,
                    _("You may not change unit costs; remove this column."),
                )
            )
            raise WorkbookInvalid(self.errors)
        codes = set()
        if "suppliers" in self.rows:
            codes |= set(self.rows["suppliers"].frame["code"])
        if offers is not None:
            codes |= set(offers.frame["supplier"])
        codes.discard(None)
        self.suppliers = {}
        for chunk in _chunks(sorted(codes)):
            self.suppliers |= {s.code: s for s in Supplier.objects.filter(code__in=chunk)}
        if "suppliers" in self.rows:
            report.sheets["suppliers"] = self._plan_suppliers()
        if offers is not None:
            report.sheets["offers"] = self._plan_offers()
        if self.errors:
            raise WorkbookInvalid(self.errors)
        return report

    def _plan_suppliers(self) -> ImportReport:
        sheet = self.rows["suppliers"]
        report = ImportReport(kind="suppliers", rows=len(sheet))
        self.new_suppliers: list[dict] = []
        self.changed_suppliers: list[Supplier] = []
        present = [k for k in SUPPLIER_FIELDS if k in sheet.headers]
        for row, record in _records(sheet):
            code = record["code"]
            if code is None:  # reported as a blank required cell
                continue
            stored = self.suppliers.get(code)
            if stored is None:
                values = {"code": code}
                for key in present:
                    value = record[key]
                    if value is None and key in CLEARED_BY_BLANK:
                        value = ""
                    if value is not None:
                        values[SUPPLIER_FIELDS[key]] = value
                self.new_suppliers.append(values)
                report.new += 1
                report.changes.append(RowChange(row, code, "new"))
                continue
            cells = {}
            for key in present:
                attname = SUPPLIER_FIELDS[key]
                value = record[key]
                if value is None:
                    if key not in CLEARED_BY_BLANK:
                        continue
                    value = ""
                old = getattr(stored, attname)
                if old != value:
                    cells[self.header("suppliers", key)] = (old, value)
                    setattr(stored, attname, value)
            if cells:
                self.changed_suppliers.append(stored)
                report.changed += 1
                report.changes.append(RowChange(row, code, "changed", cells))
            else:
                report.unchanged += 1
        self.supplier_fields = [SUPPLIER_FIELDS[k] for k in present]
        return report

    def _plan_offers(self) -> ImportReport:
        sheet = self.rows["offers"]
        records = _records(sheet)
        report = ImportReport(kind="offers", rows=len(sheet))
        present = [k for k in OFFER_FIELDS if k in sheet.headers]
        records = [(row, r) for row, r in records if r["supplier"] and r["sku"]]  # else reported
        sku_codes = sorted({r["sku"] for _row, r in records})
        skus: dict[str, int] = {}
        for chunk in _chunks(sku_codes):
            skus |= dict(SKU.objects.filter(code__in=chunk).values_list("code", "pk"))
        sheet_suppliers = (
            set(self.rows["suppliers"].frame["code"]) - {None}
            if "suppliers" in self.rows
            else set()
        )
        # Stored offers of the SKUs in the file: the current one per pair, and every start.
        current: dict[tuple[str, str], SimpleNamespace] = {}
        starts: dict[tuple[str, str], set[dt.date]] = {}
        for chunk in _chunks(list(skus.values())):
            stored = (
                SupplierOffer.objects.filter(sku_id__in=chunk)
                .order_by("valid_from", "id")
                .values(
                    *(f.attname for f in SupplierOffer._meta.concrete_fields),
                    "supplier__code",
                    "sku__code",
                )
            )
            for offer in stored:
                pair = (offer.pop("supplier__code"), offer.pop("sku__code"))
                current[pair] = SimpleNamespace(**offer)  # the last one starting wins
                starts.setdefault(pair, set()).add(offer["valid_from"])

        self.new_offers: list[dict] = []
        self.offer_supplier_codes: list[str] = []
        self.changed_offers: list[dict] = []
        seen: dict[tuple[str, str], int] = {}
        for row, record in records:
            supplier, sku = record["supplier"], record["sku"]
            pair = (supplier, sku)
            ok = True
            if pair in seen:
                self.error(
                    row,
                    "offers",
                    "sku",
                    sku,
                    _(
                        "Also on row %(row)d for supplier %(supplier)s; a supplier offers a SKU "
                        "once in a file."
                    )
                    % {"row": seen[pair], "supplier": supplier},
                )
                ok = False
            seen.setdefault(pair, row)
            if supplier not in self.suppliers and supplier not in sheet_suppliers:
                self.error(row, "offers", "supplier", supplier, _("No supplier has this code."))
                ok = False
            if sku not in skus:
                self.error(row, "offers", "sku", sku, _("No SKU has this code."))
                ok = False
            stored = current.get(pair)
            values = {}
            for key in present:
                value = record[key]
                if value is None:
                    if key not in CLEARED_BY_BLANK:
                        continue
                    value = "" if key == "supplier_sku" else None
                values[OFFER_FIELDS[key]] = value
            if (
                stored is None
                and values.get("unit_cost") is None
                and ("offers", row, "unit_cost") not in self.bad
            ):
                header = self.rows["offers"].headers.get("unit_cost")
                self.error(
                    row,
                    "offers",
                    "unit_cost" if header else "sku",
                    None if header else sku,
                    _("A new offer needs a unit cost."),
                )
                ok = False
            start = values.get("valid_from", stored.valid_from if stored else self.today)
            end = values.get("valid_to", stored.valid_to if stored else None)
            if end is not None and end < start and ("offers", row, "valid_from") not in self.bad:
                self.error(
                    row,
                    "offers",
                    "valid_to",
                    end.isoformat(),
                    _("An offer cannot end before it starts (%(start)s).")
                    % {"start": start.isoformat()},
                )
                ok = False
            if any(("offers", row, k) in self.bad for k in ("valid_from", "valid_to")):
                ok = False
            elif stored is not None and start != stored.valid_from and start in starts[pair]:
                self.error(
                    row,
                    "offers",
                    "valid_from",
                    start.isoformat(),
                    _("Another offer of this supplier for this SKU starts on that day."),
                )
                ok = False
            if not ok:
                continue
            if stored is None:
                self.new_offers.append({"sku_id": skus[sku], "valid_from": start, **values})
                self.offer_supplier_codes.append(supplier)
                report.new += 1
                report.changes.append(RowChange(row, f"{supplier} · {sku}", "new"))
                continue
            cells = {}
            for key in present:
                attname = OFFER_FIELDS[key]
                if attname not in values:
                    continue
                old = getattr(stored, attname)
                if old != values[attname]:
                    cells[self.header("offers", key)] = (old, values[attname])
            if cells:
                self.changed_offers.append(vars(stored) | values)
                report.changed += 1
                report.changes.append(RowChange(row, f"{supplier} · {sku}", "changed", cells))
            else:
                report.unchanged += 1
        self.offer_fields = sorted({OFFER_FIELDS[k] for k in present})
        return report

    # Writes -------------------------------------------------------------------------------

    def apply(self, *, user) -> None:
        now = timezone.now()
        if "suppliers" in self.rows:
            created = Supplier.objects.bulk_create(
                [Supplier(**values) for values in self.new_suppliers], batch_size=1000
            )
            for supplier in created:
                self.suppliers[supplier.code] = supplier
            if self.changed_suppliers and self.supplier_fields:
                Supplier.objects.bulk_update(
                    self.changed_suppliers, self.supplier_fields, batch_size=1000
                )
        if "offers" in self.rows:
            for values, code in zip(self.new_offers, self.offer_supplier_codes, strict=True):
                values["supplier_id"] = self.suppliers[code].pk
            history = {"user": user, "reason": CHANGE_REASON, "date": now}
            bulk.insert_with_history(SupplierOffer, self.new_offers, **history)
            if self.changed_offers and self.offer_fields:
                bulk.update_with_history(
                    SupplierOffer, self.changed_offers, self.offer_fields, **history
                )


def report_lines(report: SuppliersImportReport) -> list[str]:
    """Return one line per new or changed row: sheet, row, key, action and changed cells."""
    lines = []
    for kind, sheet in report.sheets.items():
        for change in sheet.changes:
            cells = "; ".join(
                f"{header}: {'' if old is None else old} → {'' if new is None else new}"
                for header, (old, new) in change.cells.items()
            )
            lines.append(f"{kind} row {change.row} {change.key} {change.action} {cells}".rstrip())
    return lines


def workbook_import(
    *, source, kind: str, dry_run: bool, create_categories: bool, can, user, progress
) -> ImportReport:
    """Run ``suppliers_import`` for the admin's import jobs (``catalog.jobs``): one sheet,
    reported as the catalogue's ``ImportReport``."""
    progress(0, 100, "read")
    report = suppliers_import(source=source, kind=kind, dry_run=dry_run, can=can, user=user)
    sheet = report.sheets[kind]
    sheet.applied = report.applied
    progress(100, 100, "done")
    return sheet
