"""Reads of purchasing: the explainable supplier choice, scorecards, open orders, candidates.

The supplier choice is a pure ranking of offer facts, so the single choice
(``supplier_choose``) and the restock report, which chooses for thousands of SKUs from facts
loaded in bulk (``offer_facts``), apply the same rules and give the same reasons.
"""

import contextlib
import datetime as dt
import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import SKU
from catalog.money import line_amount, money, money_text, unit_price_text
from purchasing.enums import OPEN_STATUSES, PurchaseOrderStatus, SupplierType
from purchasing.models import PurchaseOrder, PurchaseOrderLine, ReceiptLine, SupplierOffer

_words = threading.local()


def _(message: str) -> str:
    """Translate ``message``; inside ``words_pinned()`` each template is translated once."""
    cache = getattr(_words, "cache", None)
    if cache is None:
        return gettext(message)
    if message not in cache:
        cache[message] = gettext(message)
    return cache[message]


@contextlib.contextmanager
def words_pinned():
    """Translate the choice's templates once for a run of reasons in one language (the
    restock report words thousands of them; the language does not change meanwhile)."""
    _words.cache = {}
    try:
        yield
    finally:
        _words.cache = None


def number_format(value, decimals: int) -> str:
    return f"{value:.{decimals}f}"


# --- Scorecards ---------------------------------------------------------------------------


@dataclass
class Scorecard:
    """A supplier's delivery record over a period, and its weighted score (0-100).

    on-time rate: receipt lines received on or before their line's expected date ÷ receipt
    lines; fill rate: units accepted into stock ÷ units ordered, over order lines due in the
    period (rejected units do not fill an order); quality rate: 1 − rejected ÷ received;
    price variance: (paid − offer cost) ÷ offer cost of the accepted units, paid being the
    order line's unit cost. A rate without data is left out and the weights of the others
    count in proportion; no data at all gives no score.
    """

    supplier_id: int
    start: dt.date
    end: dt.date
    receipt_lines: int = 0
    on_time_lines: int = 0
    received: int = 0
    rejected: int = 0
    ordered: int = 0
    accepted_of_due: int = 0
    paid: Decimal = Decimal("0")
    offered: Decimal = Decimal("0")

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time_lines / self.receipt_lines if self.receipt_lines else None

    @property
    def fill_rate(self) -> float | None:
        return min(1.0, self.accepted_of_due / self.ordered) if self.ordered else None

    @property
    def quality_rate(self) -> float | None:
        return 1 - self.rejected / self.received if self.received else None

    @property
    def price_variance(self) -> float | None:
        return float(self.paid / self.offered - 1) if self.offered else None

    @property
    def price_rate(self) -> float | None:
        """1 at or below the offer's cost, falling by the share paid above it."""
        variance = self.price_variance
        return None if variance is None else min(1.0, max(0.0, 1 - max(variance, 0.0)))

    def rates(self) -> dict[str, float | None]:
        return {
            "on_time": self.on_time_rate,
            "fill": self.fill_rate,
            "quality": self.quality_rate,
            "price": self.price_rate,
        }

    @property
    def score(self) -> float | None:
        weights = settings.PURCHASING_SCORE_WEIGHTS
        known = {name: rate for name, rate in self.rates().items() if rate is not None}
        weight = sum(weights[name] for name in known)
        if not known or weight <= 0:
            return None
        return round(sum(weights[name] * rate for name, rate in known.items()) / weight * 100, 1)


def score_period(on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = on or timezone.localdate()
    return end - dt.timedelta(days=settings.PURCHASING_SCORE_DAYS - 1), end


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


ACCEPTED = ExpressionWrapper(
    F("received_quantity") - F("rejected_quantity"), output_field=IntegerField()
)


def supplier_scorecards(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    supplier_ids: Iterable[int] | None = None,
) -> dict[int, Scorecard]:
    """Return the scorecard of each supplier with receipts or due lines from ``start`` to
    ``end`` (both included; default: the last ``PURCHASING_SCORE_DAYS`` days). Three
    grouped queries, whatever the number of suppliers."""
    if start is None or end is None:
        start, end = score_period(end)
    since, until = _day_start(start), _day_start(end + dt.timedelta(days=1))
    money = DecimalField(max_digits=20, decimal_places=4)
    receipts = ReceiptLine.objects.filter(
        receipt__received_at__gte=since, receipt__received_at__lt=until
    )
    due = PurchaseOrderLine.objects.filter(
        expected_date__gte=start, expected_date__lte=end
    ).exclude(order__status__in=[PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.CANCELLED])
    accepted_of_due = ReceiptLine.objects.filter(order_line__in=due, receipt__received_at__lt=until)
    if supplier_ids is not None:
        ids = list(supplier_ids)
        receipts = receipts.filter(receipt__order__supplier_id__in=ids)
        due = due.filter(order__supplier_id__in=ids)
        accepted_of_due = accepted_of_due.filter(receipt__order__supplier_id__in=ids)
    cards: dict[int, Scorecard] = {}

    def card(supplier_id: int) -> Scorecard:
        return cards.setdefault(supplier_id, Scorecard(supplier_id, start, end))

    priced = Q(order_line__offer_unit_cost__isnull=False, lot__isnull=False)
    for row in receipts.values("receipt__order__supplier_id").annotate(
        lines=Count("pk"),
        on_time=Count(
            "pk", filter=Q(receipt__received_at__date__lte=F("order_line__expected_date"))
        ),
        received=Sum("received_quantity"),
        rejected=Sum("rejected_quantity"),
        paid=Sum(ACCEPTED * F("order_line__unit_cost"), filter=priced, output_field=money),
        offered=Sum(ACCEPTED * F("order_line__offer_unit_cost"), filter=priced, output_field=money),
    ):
        c = card(row["receipt__order__supplier_id"])
        c.receipt_lines, c.on_time_lines = row["lines"], row["on_time"]
        c.received, c.rejected = row["received"] or 0, row["rejected"] or 0
        c.paid, c.offered = row["paid"] or Decimal("0"), row["offered"] or Decimal("0")
    for row in due.values("order__supplier_id").annotate(ordered=Sum("quantity")):
        card(row["order__supplier_id"]).ordered = row["ordered"] or 0
    for row in accepted_of_due.values("receipt__order__supplier_id").annotate(n=Sum(ACCEPTED)):
        card(row["receipt__order__supplier_id"]).accepted_of_due = row["n"] or 0
    return cards


def supplier_scores(*, on: dt.date | None = None) -> dict[int, float | None]:
    """Return the score of every supplier that has one, for the period ending ``on``."""
    start, end = score_period(on)
    return {sid: c.score for sid, c in supplier_scorecards(start=start, end=end).items()}


# --- Supplier choice ----------------------------------------------------------------------


@dataclass(frozen=True)
class OfferFacts:
    """What the choice needs to know of one offer and its supplier."""

    offer_id: int
    sku_id: int
    supplier_id: int
    supplier_code: str
    supplier_name: str
    supplier_type: str
    supplier_active: bool
    is_preferred: bool
    unit_cost: Decimal
    min_order_quantity: int
    pack_multiple: int
    lead_time_days: int
    valid_from: dt.date
    valid_to: dt.date | None
    score: float | None = None

    def order_quantity(self, wanted: int) -> int:
        quantity = max(wanted, self.min_order_quantity)
        return -(-quantity // self.pack_multiple) * self.pack_multiple


@dataclass
class OfferVerdict:
    facts: OfferFacts
    order_quantity: int
    reasons: list[str] = field(default_factory=list)

    @property
    def supplier(self) -> str:
        return f"{self.facts.supplier_code} {self.facts.supplier_name}"


@dataclass
class SupplierChoice:
    """The chosen offer for a SKU and quantity, and the reasons for it and against the rest."""

    sku_id: int
    quantity: int
    chosen: OfferVerdict | None
    others: list[OfferVerdict]  # eligible offers ranked below the chosen one, best first
    excluded: list[OfferVerdict]  # offers left out (expired, inactive, low score)

    @property
    def reasons(self) -> list[str]:
        """Every reason, in words: for the chosen offer, then against each other offer."""
        out = list(self.chosen.reasons) if self.chosen else []
        for verdict in [*self.others, *self.excluded]:
            out.extend(verdict.reasons)
        return out

    @property
    def summary(self) -> str:
        return _("; ").join(self.reasons)


def _type_rank(supplier_type: str) -> int:
    order = settings.PURCHASING_SUPPLIER_TYPE_ORDER
    return order.index(supplier_type) if supplier_type in order else len(order)


def _type_label(supplier_type: str) -> str:
    cache = getattr(_words, "cache", None)
    key = ("type", supplier_type)
    if cache is not None and key in cache:
        return cache[key]
    try:
        label = str(SupplierType(supplier_type).label)
    except ValueError:
        label = supplier_type
    if cache is not None:
        cache[key] = label
    return label


def _score_text(score: float | None) -> str:
    return _("no scorecard yet") if score is None else number_format(score, 1)


def _rank_key(facts: OfferFacts, quantity: int) -> tuple:
    return (
        0 if facts.is_preferred else 1,
        _type_rank(facts.supplier_type),
        -facts.score if facts.score is not None else math.inf,
        # The order's cost ranks like the cost per unit needed (same quantity), exactly.
        facts.unit_cost * facts.order_quantity(quantity),
        facts.lead_time_days,
        facts.supplier_code,
        facts.offer_id,
    )


def _exclusion(facts: OfferFacts, on: dt.date, minimum: float) -> str | None:
    name = f"{facts.supplier_code} {facts.supplier_name}"
    if not facts.supplier_active:
        return _("%(supplier)s: the supplier is inactive") % {"supplier": name}
    if facts.valid_to is not None and facts.valid_to < on:
        return _("%(supplier)s: the offer expired on %(date)s") % {
            "supplier": name,
            "date": facts.valid_to.isoformat(),
        }
    if facts.valid_from > on:
        return _("%(supplier)s: the offer is valid only from %(date)s") % {
            "supplier": name,
            "date": facts.valid_from.isoformat(),
        }
    if facts.score is not None and facts.score < minimum:
        return _("%(supplier)s: scorecard %(score)s is below the minimum %(minimum)s") % {
            "supplier": name,
            "score": _score_text(facts.score),
            "minimum": number_format(minimum, 1),
        }
    return None


def _offer_terms(facts: OfferFacts) -> str:
    """Return the offer's unit cost with its minimum order and pack, as the supplier states
    them: the unit cost is what one unit costs, never an order's cost spread over fewer."""
    terms = _("unit cost %(cost)s") % {"cost": unit_price_text(facts.unit_cost)}
    if facts.min_order_quantity > 1:
        terms += _(", ") + _("minimum order %(moq)d") % {"moq": facts.min_order_quantity}
    if facts.pack_multiple > 1:
        terms += _(", ") + _("packs of %(pack)d") % {"pack": facts.pack_multiple}
    return terms


def _why_chosen(chosen: OfferFacts, quantity: int, with_costs: bool) -> str:
    facts = [_type_label(chosen.supplier_type)]
    if chosen.is_preferred:
        facts.insert(0, _("preferred offer"))
    facts.append(_("score %(score)s") % {"score": _score_text(chosen.score)})
    if with_costs:
        facts.append(_offer_terms(chosen))
    facts.append(_("lead time %(days)d days") % {"days": chosen.lead_time_days})
    return _("Chosen %(supplier)s: %(facts)s") % {
        "supplier": f"{chosen.supplier_code} {chosen.supplier_name}",
        "facts": _(", ").join(facts),
    }


def _order_cost_text(facts: OfferFacts, quantity: int) -> str:
    """Return what buying ``quantity`` units from the offer takes: units × unit cost = total."""
    units = facts.order_quantity(quantity)
    return _("%(units)d units × %(cost)s = %(total)s") % {
        "units": units,
        "cost": unit_price_text(facts.unit_cost),
        "total": money_text(line_amount(units, facts.unit_cost)),
    }


def _why_not(other: OfferFacts, chosen: OfferFacts, quantity: int, with_costs: bool) -> str:
    """Return the first rule, in rule order, on which ``other`` loses to ``chosen``."""
    name = f"{other.supplier_code} {other.supplier_name}"
    a, b = _rank_key(chosen, quantity), _rank_key(other, quantity)
    if a[0] != b[0]:
        return _("%(supplier)s: not the preferred offer") % {"supplier": name}
    if a[1] != b[1]:
        return _("%(supplier)s: the type %(type)s ranks after %(chosen_type)s") % {
            "supplier": name,
            "type": _type_label(other.supplier_type),
            "chosen_type": _type_label(chosen.supplier_type),
        }
    if a[2] != b[2]:
        return _("%(supplier)s: score %(score)s, lower than %(chosen_score)s") % {
            "supplier": name,
            "score": _score_text(other.score),
            "chosen_score": _score_text(chosen.score),
        }
    if a[3] != b[3]:
        if not with_costs:
            return _("%(supplier)s: costs more at %(quantity)d units") % {
                "supplier": name,
                "quantity": quantity,
            }
        return _(
            "%(supplier)s: costs more for %(quantity)d units needed: %(cost)s, against "
            "%(chosen_cost)s"
        ) % {
            "supplier": name,
            "quantity": quantity,
            "cost": _order_cost_text(other, quantity),
            "chosen_cost": _order_cost_text(chosen, quantity),
        }
    if a[4] != b[4]:
        return _("%(supplier)s: lead time %(days)d days, longer than %(chosen_days)d") % {
            "supplier": name,
            "days": other.lead_time_days,
            "chosen_days": chosen.lead_time_days,
        }
    return _(
        "%(supplier)s: equal on every rule (preferred, type, score, cost, lead time); the "
        "tie goes to the first supplier code, %(chosen_code)s"
    ) % {"supplier": name, "chosen_code": chosen.supplier_code}


def choose_from_facts(
    offers: Sequence[OfferFacts],
    *,
    sku_id: int,
    quantity: int,
    on: dt.date,
    with_costs: bool = True,
    explain: bool = True,
) -> SupplierChoice:
    """Choose among ``offers`` of one SKU for ``quantity`` units on day ``on``.

    Rules, in order: the preferred flag, the supplier type (``PURCHASING_SUPPLIER_TYPE_ORDER``),
    the scorecard score (higher first; no score after any score), the unit cost at that
    quantity (minimum order and pack rounding included), the lead time; a full tie goes to
    the lowest supplier code, then the oldest offer, so the choice is deterministic. Offers
    of inactive suppliers, outside their validity, or of suppliers scoring below
    ``PURCHASING_MIN_SUPPLIER_SCORE`` are excluded. ``explain=False`` skips the words.
    """
    quantity = max(int(quantity), 1)
    minimum = settings.PURCHASING_MIN_SUPPLIER_SCORE
    eligible, excluded = [], []
    for facts in offers:
        reason = _exclusion(facts, on, minimum)
        if reason is None:
            eligible.append(facts)
        elif explain:
            excluded.append(OfferVerdict(facts, facts.order_quantity(quantity), [reason]))
    eligible.sort(key=lambda f: _rank_key(f, quantity))
    if not eligible:
        return SupplierChoice(sku_id, quantity, None, [], excluded)
    best = eligible[0]
    chosen = OfferVerdict(best, best.order_quantity(quantity))
    others = [OfferVerdict(f, f.order_quantity(quantity)) for f in eligible[1:]]
    if explain:
        chosen.reasons.append(_why_chosen(best, quantity, with_costs))
        for verdict in others:
            verdict.reasons.append(_why_not(verdict.facts, best, quantity, with_costs))
    return SupplierChoice(sku_id, quantity, chosen, others, excluded)


FACT_FIELDS = (
    "pk",
    "sku_id",
    "supplier_id",
    "supplier__code",
    "supplier__name",
    "supplier__supplier_type",
    "supplier__is_active",
    "is_preferred",
    "unit_cost",
    "min_order_quantity",
    "pack_multiple",
    "lead_time_days",
    "valid_from",
    "valid_to",
)


def offer_facts(
    *,
    sku_ids: Iterable[int] | None = None,
    scores: dict[int, float | None] | None = None,
    on: dt.date | None = None,
) -> dict[int, list[OfferFacts]]:
    """Return the offers of the SKUs (all SKUs when None) as facts, per SKU id, in one query.

    With ``on``, offers that ended before it are left out (they cannot be chosen; the single
    choice lists them, the bulk one need not).
    """
    scores = scores or {}
    queryset = SupplierOffer.objects.all()
    if sku_ids is not None:
        queryset = queryset.filter(sku_id__in=list(sku_ids))
    if on is not None:
        queryset = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    out: dict[int, list[OfferFacts]] = defaultdict(list)
    for row in queryset.values_list(*FACT_FIELDS).iterator(chunk_size=5000):
        out[row[1]].append(OfferFacts(*row, scores.get(row[2])))
    return out


def supplier_choose(
    *, sku: SKU, quantity: int, on: dt.date | None = None, with_costs: bool = True
) -> SupplierChoice:
    """Choose the offer to buy ``quantity`` units of ``sku`` from, and say why (see
    ``choose_from_facts``). Every offer of the SKU is weighed; the expired ones are shown
    as excluded."""
    on = on or timezone.localdate()
    offers = offer_facts(sku_ids=[sku.pk], scores=supplier_scores(on=on))[sku.pk]
    return choose_from_facts(offers, sku_id=sku.pk, quantity=quantity, on=on, with_costs=with_costs)


def offer_in_effect(*, supplier, sku: SKU, on: dt.date) -> SupplierOffer | None:
    """Return the supplier's offer for ``sku`` valid on ``on``, the latest started first."""
    return (
        SupplierOffer.objects.filter(supplier=supplier, sku=sku, valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .order_by("-valid_from", "-pk")
        .first()
    )


# --- Orders ---------------------------------------------------------------------------------


def _received_sum(column) -> Subquery:
    return Subquery(
        ReceiptLine.objects.filter(order_line=OuterRef("pk"))
        .values("order_line")
        .annotate(n=Sum(column))
        .values("n"),
        output_field=IntegerField(),
    )


def order_lines_with_receipts(order: PurchaseOrder) -> QuerySet[PurchaseOrderLine]:
    """Return the order's lines annotated with ``received``, ``rejected``, ``accepted`` and
    ``open_quantity`` (ordered − accepted, zero once the order is closed or cancelled)."""
    open_order = order.status in (PurchaseOrderStatus.DRAFT, *OPEN_STATUSES)
    return (
        order.lines.select_related("sku")
        .annotate(
            received=Coalesce(_received_sum("received_quantity"), 0),
            rejected=Coalesce(_received_sum("rejected_quantity"), 0),
        )
        .annotate(
            accepted=F("received") - F("rejected"),
            open_quantity=Case(
                When(Value(open_order), then=F("quantity") - F("received") + F("rejected")),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("pk")
    )


def late_orders(*, on: dt.date | None = None) -> QuerySet[PurchaseOrder]:
    """Open orders with a line expected before ``on`` (today) that is not fully received."""
    on = on or timezone.localdate()
    accepted = Coalesce(_received_sum("received_quantity"), 0) - Coalesce(
        _received_sum("rejected_quantity"), 0
    )
    late_lines = (
        PurchaseOrderLine.objects.filter(order=OuterRef("pk"), expected_date__lt=on)
        .annotate(accepted=accepted)
        .filter(accepted__lt=F("quantity"))
    )
    return (
        PurchaseOrder.objects.filter(status__in=OPEN_STATUSES)
        .annotate(
            first_expected=Subquery(
                late_lines.order_by("expected_date").values("expected_date")[:1]
            )
        )
        .filter(first_expected__isnull=False)
        .select_related("supplier", "warehouse")
        .order_by("first_expected", "pk")
    )


def latest_order_line_id() -> int:
    """Return the id of the newest purchase order line (0 when there is none): what a page
    of suggestions has seen, so that orders made after it can be told apart."""
    return PurchaseOrderLine.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# A line's amount in SQL by the money rule (``catalog.money``): quantity × unit cost rounded
# to the cent. PostgreSQL's ROUND(numeric, 2) rounds half away from zero, as ``money()`` does.
LINE_AMOUNT = Round(
    F("quantity") * F("unit_cost"), 2, output_field=DecimalField(max_digits=20, decimal_places=2)
)


def order_total(order: PurchaseOrder) -> Decimal:
    """Return the order's total: the sum of its lines' rounded amounts."""
    total = order.lines.aggregate(total=Sum(LINE_AMOUNT))["total"]
    return money(total or 0)


def orders_with_totals(queryset: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    """Annotate each order with ``total`` (as ``order_total``) in the same query."""
    lines_total = (
        PurchaseOrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum(LINE_AMOUNT))
        .values("total")
    )
    return queryset.annotate(
        total=Coalesce(
            Subquery(lines_total, output_field=DecimalField(max_digits=20, decimal_places=2)),
            Value(Decimal("0.00")),
        )
    )


# --- Candidates (名特优新, high sales / margin / value) -----------------------------------


@dataclass(frozen=True)
class CandidateFilter:
    tags: tuple[str, ...] = ()  # SelectionTag values; a candidate carries all of them
    high_sales: bool = False
    high_margin: bool = False
    high_value: bool = False


class CandidateRows(Sequence):
    """Purchase candidates in display order. A row (a dict) is built only when asked for,
    so a page of 50 costs the same whatever the number of candidates."""

    def __init__(self, frame):
        self._frame = frame

    def __len__(self) -> int:
        return len(self._frame)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(row) for row in self._frame.iloc[index].to_dict("records")]
        return self._row(self._frame.iloc[index].to_dict())

    @staticmethod
    def _row(row: dict) -> dict:
        from catalog.enums import ProductRole, SelectionTag

        marks = dict(zip(SelectionTag.values, "名特优新", strict=True))
        row["tags"] = "".join(marks[t] for t in SelectionTag.values if row[f"product__is_{t}"])
        role = row["product__role"]
        row["role"] = str(ProductRole(role).label) if role in ProductRole.values else role
        # No cost or no retail price: no margin, never a NaN on the page.
        margin = row["margin"]
        row["margin"] = None if margin is None or math.isnan(margin) else float(margin)
        return row


def purchase_candidates(
    *, filters: CandidateFilter, days: int = 90, top_share: float = 0.2
) -> tuple[CandidateRows, dict[str, float]]:
    """Return active stockable SKUs with their 名特优新 tags, units shipped in the last
    ``days`` days (from the ledger), standard margin ((retail − cost) ÷ retail, None without
    a cost or a retail price), product role label and unit value (retail price), filtered;
    and the thresholds used.

    "High" means in the top ``top_share`` (a fifth) of SKUs that have the figure: units
    shipped among SKUs that sold, margin and value among priced SKUs. Two queries, whatever
    the page shown.
    """
    import pandas as pd

    from catalog.enums import SelectionTag
    from inventory.enums import MoveKind
    from inventory.models import StockMove

    since = _day_start(timezone.localdate() - dt.timedelta(days=days - 1))
    sold = dict(
        StockMove.objects.filter(kind=MoveKind.SHIP, created_at__gte=since)
        .values("sku_id")
        .annotate(n=Sum("quantity"))
        .values_list("sku_id", "n")
    )
    tag_fields = [f"product__is_{tag}" for tag in SelectionTag.values]
    queryset = SKU.objects.filter(is_active=True, is_bundle=False)
    for tag in filters.tags:
        queryset = queryset.filter(**{f"product__is_{tag}": True})
    fields = ["pk", "code", "name", "retail_price", "cost_price", "product__role", *tag_fields]
    df = pd.DataFrame.from_records(list(queryset.values_list(*fields)), columns=fields)
    thresholds: dict[str, float] = {}
    if df.empty:
        return CandidateRows(df), thresholds
    df["sold"] = df["pk"].map(sold).fillna(0).astype("int64")
    retail = pd.to_numeric(df["retail_price"], errors="coerce").astype("float64")
    cost = pd.to_numeric(df["cost_price"], errors="coerce").astype("float64")
    df["margin"] = ((retail - cost) / retail.where(retail > 0)).round(4)
    df["value"] = retail
    keep = pd.Series(True, index=df.index)
    for flag, column, base in (
        (filters.high_sales, "sold", df["sold"].where(df["sold"] > 0)),
        (filters.high_margin, "margin", df["margin"]),
        (filters.high_value, "value", df["value"]),
    ):
        present = base.dropna()
        threshold = float(present.quantile(1 - top_share)) if len(present) else math.inf
        thresholds[column] = threshold
        if flag:
            keep &= base >= threshold
    df = df[keep].sort_values(["sold", "value", "code"], ascending=[False, False, True])
    # No SKU has the figure: no threshold to show (the filter on it kept nothing).
    shown = {name: None if math.isinf(value) else value for name, value in thresholds.items()}
    return CandidateRows(df.reset_index(drop=True)), shown


def offered_skus(supplier_ids: Iterable[int] | None = None) -> set[tuple[int, int, int]]:
    """Return (supplier id, SKU id, product id) of every SKU a supplier offers, in any
    period; one query (a SKU with several offers of one supplier counts once)."""
    offers = SupplierOffer.objects.values_list("supplier_id", "sku_id", "sku__product_id")
    if supplier_ids is not None:
        offers = offers.filter(supplier_id__in=list(supplier_ids))
    return set(offers.distinct().order_by())
