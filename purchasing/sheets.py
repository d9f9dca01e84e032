"""Purchasing's workbook sheets, declared for ``workbooks.sheets``.

``suppliers`` (供应商): one row per supplier, by code. ``offers`` (供货): one row per
supplier × SKU, the pair's current offer (the one starting last). Headers in English or
Chinese, as the catalogue's sheets.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import SKU
from purchasing.enums import SupplierType
from purchasing.models import UNIT_COST, Supplier, SupplierOffer
from workbooks.exceptions import CellInvalid
from workbooks.sheets import (
    CURRENCY_MARKS,
    Column,
    SheetSpec,
    choice_label_zh,
    parse_choice,
    parse_text,
    parse_whole_number,
    yes_no_zh,
)

COST_PLACES = UNIT_COST["decimal_places"]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _refuse_date(raw) -> None:
    if isinstance(raw, dt.date | dt.datetime | dt.time | dt.timedelta):
        raise CellInvalid(
            _(
                "Excel stored this cell as a date or time; format the column as text or "
                "number and enter the value again."
            )
        )


def parse_unit_cost(raw) -> Decimal:
    """Read a unit cost: a number or text such as "¥12.5000", up to four decimal places."""
    _refuse_date(raw)
    if isinstance(raw, bool):
        raise CellInvalid(_("Enter a unit cost, such as 12.50."))
    if isinstance(raw, float):
        number = Decimal(repr(raw))
        small = number.is_finite() and abs(number) < 10**15
        rounded = number.quantize(Decimal(1).scaleb(-COST_PLACES)) if small else None
        if rounded is not None and abs(number - rounded) < Decimal("1e-9"):
            number = rounded  # a formula's float noise: 12.340000000000002
    elif isinstance(raw, int):
        number = Decimal(raw)
    else:
        text = CURRENCY_MARKS.sub("", str(raw).replace(",", "").replace("，", "").strip()).strip()
        if re.match(r"^[$€£]", text):
            raise CellInvalid(_("Enter the unit cost as a number in the supplier's currency."))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellInvalid(_("Enter a unit cost, such as 12.50 or ¥12.50.")) from None
    if not number.is_finite():
        raise CellInvalid(_("Enter a unit cost, such as 12.50."))
    if number < 0:
        raise CellInvalid(_("A unit cost cannot be negative."))
    if number >= 10 ** (UNIT_COST["max_digits"] - COST_PLACES):
        raise CellInvalid(_("The unit cost is too large."))
    if number != number.quantize(Decimal(1).scaleb(-COST_PLACES)):
        raise CellInvalid(
            _("A unit cost has at most %(places)d decimal places.") % {"places": COST_PLACES}
        )
    return number.quantize(Decimal(1).scaleb(-COST_PLACES))


def parse_positive(raw) -> int:
    number = parse_whole_number(raw)
    if number < 1:
        raise CellInvalid(_("Enter a whole number of 1 or more."))
    return number


YES = {"1", "true", "yes", "y", "是", "对", "√", "✓"}
NO = {"0", "false", "no", "n", "否", "不", "×", "✗"}


def parse_yes_no(raw) -> bool:
    """Read yes / no: TRUE/FALSE, 1/0, yes/no, 是/否."""
    _refuse_date(raw)
    if isinstance(raw, bool):
        return raw
    text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
    text = text.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellInvalid(_("Enter yes or no (TRUE/FALSE, 1/0, 是/否)."))


def parse_date(raw) -> dt.date:
    """Read a date: a date cell, or text written year first (2026-03-05, 2026/3/5)."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", str(raw))
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellInvalid(_("Enter a date, such as 2026-03-05."))


def parse_currency(raw) -> str:
    text = str(raw).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise CellInvalid(_("Enter a three-letter currency code, such as CNY."))
    return text


def parse_email(raw) -> str:
    text = parse_text(_max_length(Supplier, "email"))(raw)
    try:
        validate_email(text)
    except ValidationError:
        raise CellInvalid(_("Enter a valid e-mail address.")) from None
    return text


SUPPLIERS_SPEC = SheetSpec(
    name="suppliers",
    zh="供应商",
    columns=(
        Column(
            "code",
            "供应商编码",
            parse_text(_max_length(Supplier, "code")),
            required=True,
            help=gettext_lazy("Supplier code, unique. A new code creates a supplier."),
            example="SUP-0001",
        ),
        Column(
            "name",
            "供应商名称",
            parse_text(_max_length(Supplier, "name")),
            required=True,
            help=gettext_lazy("Supplier name."),
            example="义乌精细商贸有限公司",
        ),
        Column(
            "type",
            "供应商类型",
            parse_choice(SupplierType),
            required=True,
            zh_cell=choice_label_zh(SupplierType),
            help=gettext_lazy(
                "manufacturer (制造商), agent (代理商), wholesaler (批发商) or trading_company "
                "(商贸公司); code or Chinese label."
            ),
            example=SupplierType.MANUFACTURER.value,
        ),
        Column(
            "contact",
            "联系人",
            parse_text(_max_length(Supplier, "contact_name")),
            help=gettext_lazy("Contact person."),
            example="王经理",
        ),
        Column(
            "phone",
            "电话",
            parse_text(_max_length(Supplier, "phone")),
            help=gettext_lazy("Phone number."),
            example="0579-85550000",
        ),
        Column(
            "email",
            "邮箱",
            parse_email,
            help=gettext_lazy("E-mail address."),
            example="sales@example.com",
        ),
        Column(
            "address",
            "地址",
            parse_text(2000),
            help=gettext_lazy("Address."),
            example="浙江省义乌市",
        ),
        Column(
            "payment_terms_days",
            "账期(天)",
            parse_whole_number,
            help=gettext_lazy("Payment terms in days from receipt; blank: 30 for a new supplier."),
            example=30,
        ),
        Column(
            "currency",
            "币种",
            parse_currency,
            help=gettext_lazy("Currency code; blank: CNY for a new supplier."),
            example="CNY",
        ),
        Column(
            "active",
            "启用",
            parse_yes_no,
            zh_cell=yes_no_zh,
            help=gettext_lazy("Active: yes or no (是/否); blank: yes for a new supplier."),
            example=True,
        ),
    ),
    key="code",
    notes=gettext_lazy("One row per supplier. A blank cell of a text column clears it."),
)


OFFERS_SPEC = SheetSpec(
    name="offers",
    zh="供货",
    columns=(
        Column(
            "supplier",
            "供应商编码",
            parse_text(_max_length(Supplier, "code")),
            required=True,
            help=gettext_lazy("Supplier code: a stored supplier or one of the suppliers sheet."),
            example="SUP-0001",
        ),
        Column(
            "sku",
            "SKU编码",
            parse_text(_max_length(SKU, "code")),
            required=True,
            help=gettext_lazy("Code of an existing SKU."),
            example="SKU-0001-RED",
        ),
        Column(
            "supplier_sku",
            "供应商货号",
            parse_text(_max_length(SupplierOffer, "supplier_sku_code")),
            help=gettext_lazy("The supplier's own code for the SKU."),
            example="YW-88021",
        ),
        Column(
            "unit_cost",
            "采购价",
            parse_unit_cost,
            help=gettext_lazy(
                "Unit cost, up to four decimals; needed for a new offer. Exported only to roles "
                "that may see costs, and imported only from them."
            ),
            example=Decimal("12.5000"),
        ),
        Column(
            "moq",
            "最小起订量",
            parse_positive,
            help=gettext_lazy("Minimum order quantity; blank: 1 for a new offer."),
            example=100,
        ),
        Column(
            "pack_multiple",
            "包装倍数",
            parse_positive,
            help=gettext_lazy("Orders are rounded up to a multiple of this; blank: 1."),
            example=12,
        ),
        Column(
            "lead_days",
            "交期(天)",
            parse_whole_number,
            help=gettext_lazy("Lead time in days; blank: 7 for a new offer."),
            example=7,
        ),
        Column(
            "valid_from",
            "生效日期",
            parse_date,
            help=gettext_lazy("First day of the offer; blank: today for a new offer."),
            example=dt.date(2026, 1, 1),
        ),
        Column(
            "valid_to",
            "失效日期",
            parse_date,
            help=gettext_lazy("Last day of the offer; blank: valid until further notice."),
        ),
        Column(
            "preferred",
            "首选",
            parse_yes_no,
            zh_cell=yes_no_zh,
            help=gettext_lazy("Preferred offer for the SKU: yes or no (是/否)."),
            example=False,
        ),
    ),
    key="",  # supplier × SKU: repeats are checked by the import service
    notes=gettext_lazy(
        "One row per supplier × SKU: its current offer (the one starting last). Older offers "
        "of the pair are left as they are."
    ),
)

SPECS = {"suppliers": SUPPLIERS_SPEC, "offers": OFFERS_SPEC}
KINDS = tuple(SPECS)
