"""Supplier and offer export: exactly the columns import reads, and only what the reader may see.

``suppliers_export`` writes the ``suppliers`` sheet (if the reader may view suppliers) and
the ``offers`` sheet (if they may view offers: each supplier × SKU's current offer, the one
starting last), the unit cost column only for readers holding ``catalog.view_cost``.
Importing the export changes nothing (round trip). ``suppliers_template`` writes both sheets
with one example row each and a notes sheet.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from catalog.access import VIEW_COST
from purchasing.exceptions import PurchasingError
from purchasing.importing import OFFER_FIELDS, SUPPLIER_FIELDS
from purchasing.models import Supplier, SupplierOffer
from purchasing.sheets import KINDS, OFFERS_SPEC, SPECS, SUPPLIERS_SPEC
from workbooks.sheets import SheetSpec, workbook_write

VIEW = {"suppliers": "purchasing.view_supplier", "offers": "purchasing.view_supplieroffer"}


def _everything(permission: str) -> bool:
    return True


def export_specs(kind: str | None = None, can: Callable[[str], bool] = _everything):
    """Return the sheets a reader with ``can`` gets: ``kind``'s or both, minus what they may
    not see (no offers sheet without its view permission, no unit cost without costs)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    specs = []
    for name in [kind] if kind else KINDS:
        if not can(VIEW[name]):
            continue
        spec = SPECS[name]
        if name == "offers" and not can(VIEW_COST):
            spec = spec.__class__(
                name=spec.name,
                zh=spec.zh,
                columns=tuple(c for c in spec.columns if c.key != "unit_cost"),
                key=spec.key,
                notes=spec.notes,
            )
        specs.append(spec)
    if not specs:
        raise PurchasingError(_("This role may not see suppliers or offers."))
    return specs


def _supplier_rows(spec: SheetSpec) -> list[list]:
    names = ["code", *(SUPPLIER_FIELDS[c.key] for c in spec.columns if c.key != "code")]
    return [list(row) for row in Supplier.objects.order_by("code").values_list(*names)]


def _offer_rows(spec: SheetSpec) -> list[list]:
    names = [OFFER_FIELDS[c.key] for c in spec.columns if c.key in OFFER_FIELDS]
    rows, seen = [], set()
    offers = SupplierOffer.objects.order_by(
        "supplier__code", "sku__code", "-valid_from", "-id"
    ).values_list("supplier__code", "sku__code", *names)
    for supplier, sku, *values in offers.iterator(chunk_size=5000):
        if (supplier, sku) in seen:
            continue  # an older offer of the pair
        seen.add((supplier, sku))
        rows.append([supplier, sku, *values])
    return rows


def suppliers_export(
    *,
    target,
    kind: str | None = None,
    can: Callable[[str], bool] = _everything,
    language: str = "en",
) -> dict[str, int]:
    """Write the sheets of ``export_specs`` to ``target``; return the row count per sheet."""
    specs = export_specs(kind, can)
    sheets = [
        (spec, (_supplier_rows if spec.name == "suppliers" else _offer_rows)(spec))
        for spec in specs
    ]
    workbook_write(target, sheets, language=language)
    return {spec.name: len(rows) for spec, rows in sheets}


def suppliers_template(*, target, language: str = "en") -> None:
    """Write both sheets with one example row each and a notes sheet."""
    sheets = [
        (spec, [[c.example if c.example != "" else None for c in spec.columns]])
        for spec in (SUPPLIERS_SPEC, OFFERS_SPEC)
    ]
    workbook_write(target, sheets, language=language, notes=True)
