"""The audit trail of role membership (who gained or lost a role, when, by whom), the e-mails
the back office sends (each delivered once), report runs and subscriptions, the stored caches
the pages read (flow states, search facts) and the shelf plan's pins."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.enums import ShelfPinKind, ShelfSlot


class RoleChange(models.Model):
    class Action(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_changes",
    )
    role = models.CharField(_("role"), max_length=150)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-changed_at", "-id"]
        permissions = [("view_role_matrix", _("Can see the role matrix"))]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.role}"


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class MailDelivery(models.Model):
    """One e-mail to send, once: its key names it (a report of a subscription for a day, say),
    so that asking again for a sent key sends nothing. Attempts and the last error show
    why a message did not leave."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A report e-mail: the run whose workbook is attached (or linked, see ``attach``).
    run = models.ForeignKey(
        "staff.ReportRun",
        verbose_name=_("report run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    attach = models.BooleanField(_("workbook attached"), default=False)
    subscription = models.ForeignKey(
        "staff.ReportSubscription",
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MailStatus.values),
                name="staff_maildelivery_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="sent", sent_at__isnull=False) | ~models.Q(status="sent"),
                name="staff_maildelivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)}"


class ReportKind(models.TextChoices):
    RESTOCK = "restock", _("restock")
    SLOW_MOVERS = "slow_movers", _("slow movers")
    LOW_STOCK = "low_stock", _("low stock")
    FINANCE_SUMMARY = "finance_summary", _("finance summary")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ReportRun(models.Model):
    """One report built for a day and its parameters, stored as an xlsx workbook under
    ``MEDIA_ROOT/reports/``; built once: asking again for a done run builds nothing."""

    kind = models.CharField(_("report"), max_length=20, choices=ReportKind.choices)
    as_of = models.DateField(_("as of"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # The parameters as canonical JSON (sorted keys): the unique key of the run.
    parameters_key = models.CharField(_("parameters key"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="reports/", blank=True)
    # The report's rows as a table the report page filters, sorts and pages without
    # building the report again.
    data = models.FileField(_("data"), upload_to="reports/data/", blank=True)
    # A small summary a page shows without opening the workbook: count and the top rows.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "as_of", "parameters_key"], name="staff_reportrun_unique_run"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReportKind.values), name="staff_reportrun_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values),
                name="staff_reportrun_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status", "-as_of"], name="staff_run_latest")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.as_of}"


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook attached")
    LINK = "link", _("link to the workbook")


class ReportSubscription(models.Model):
    """A report e-mailed on a schedule: its kind, who receives it (the users of some roles
    and/or plain addresses), when (a django-celery-beat crontab, in ``TIME_ZONE``) and how.
    Each recipient receives what its role may see: no cost column for a warehouse clerk."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("report"), max_length=20, choices=ReportKind.choices)
    roles = models.ManyToManyField(
        "auth.Group", verbose_name=_("roles"), blank=True, related_name="report_subscriptions"
    )
    addresses = models.TextField(
        _("other addresses"),
        blank=True,
        help_text=_("One e-mail address per line; they receive what no role guards (no costs)."),
    )
    crontab = models.ForeignKey(
        "django_celery_beat.CrontabSchedule",
        verbose_name=_("schedule"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    format = models.CharField(
        _("format"), max_length=8, choices=ReportFormat.choices, default=ReportFormat.XLSX
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The beat entry that fires it, kept in step by ``staff.subscriptions``.
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name=_("beat entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ReportKind.values),
                name="staff_reportsubscription_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ReportFormat.values),
                name="staff_reportsubscription_format_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SearchStockStatus(models.TextChoices):
    """A product's stock as the catalogue search filters it (see ``ProductSearchFacts``)."""

    IN_STOCK = "in_stock", _("In stock (有货)")
    LOW = "low", _("Low stock (低库存)")
    OUT = "out", _("No stock (无货)")


class ProductSearchFacts(models.Model):
    """What the catalogue search sorts and filters a product by that is costly to compute
    per request: units sold over the last days, price range, available stock, stock status
    and margin at list prices. A cache rebuilt as a whole by
    ``staff.search_facts.search_facts_refresh`` (beat and ``seed_demo``); never edited."""

    product = models.OneToOneField(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_facts",
    )
    units_sold = models.PositiveIntegerField(_("units sold (30 days)"), default=0)
    min_price = models.DecimalField(
        _("lowest retail price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_price = models.DecimalField(
        _("highest retail price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Bit n set: an active SKU is in price band n (``staff.search_facts.PRICE_BUCKETS``).
    price_bands = models.PositiveIntegerField(_("price bands"), default=0)
    available = models.BigIntegerField(_("available (可发)"), default=0)
    stock_status = models.CharField(
        _("stock status"),
        max_length=16,
        choices=SearchStockStatus.choices,
        default=SearchStockStatus.OUT,
    )
    # (retail − cost) ÷ retail summed over the active SKUs priced both ways; None: unknown.
    margin = models.DecimalField(
        _("margin at list prices"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("product search facts")
        verbose_name_plural = _("product search facts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stock_status__in=SearchStockStatus.values),
                name="staff_productsearchfacts_stock_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.product_id)


class ProductSearchValue(models.Model):
    """A value of a web filter attribute that a product has, on itself or on one of its
    active SKUs, as the catalogue search counts and filters it: one row per product,
    attribute and value (a multiple choice value gives one row per option). Rebuilt with
    ``ProductSearchFacts``; ``value`` is the search's text of the value (see
    ``staff.search_facts.value_key``)."""

    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique index leads with it
    )
    attribute = models.ForeignKey(
        "catalog.Attribute",
        verbose_name=_("attribute"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (attribute, value, product) index leads with it
    )
    value = models.CharField(_("value"), max_length=255)

    class Meta:
        verbose_name = _("product search value")
        verbose_name_plural = _("product search values")
        indexes = [models.Index(fields=["attribute", "value", "product"])]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "attribute", "value"],
                name="staff_productsearchvalue_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.attribute_id}={self.value}"


class ProductFlowState(models.Model):
    """Where a product stands in its flow, as last computed (a cache the flow board reads).

    ``staff.flow.products_flow`` is the truth; ``staff.flow.flow_refresh`` rewrites these
    rows in batches (a periodic task and ``seed_demo``). ``unmet`` holds, per stage not done,
    the keys of its checks not met (``staff.flow.CHECKS``).
    """

    product = models.OneToOneField(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="flow_state",
    )
    pending_stage = models.CharField(_("next step"), max_length=20, blank=True)
    # Flow order of the pending stage (0–6); 7 when every stage is done.
    pending_rank = models.PositiveSmallIntegerField(_("next step's place in the flow"))
    pending_owner = models.CharField(_("owner of the next step"), max_length=20, blank=True)
    unmet = models.JSONField(_("conditions not met"), default=dict, blank=True)
    web_percent = models.PositiveSmallIntegerField(_("web listing completeness (%)"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product flow state")
        verbose_name_plural = _("product flow states")
        indexes = [
            models.Index(fields=["pending_rank"], name="staff_flow_rank_idx"),
            models.Index(fields=["pending_owner", "pending_rank"], name="staff_flow_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.pending_stage or '-'}"


class ShelfPin(models.Model):
    """A merchandiser's decision about one product on the shelf plan (WEB货架): pinned into a
    slot (it comes first there, even when the plan would not pick it) or excluded (it never
    appears). One decision per product: pinning an excluded product lifts the exclusion.

    A pin still shows only a listed product with available stock; the plan says why a pin
    is hidden."""

    product = models.OneToOneField(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="shelf_pin",
    )
    kind = models.CharField(_("decision"), max_length=8, choices=ShelfPinKind.choices)
    slot = models.CharField(_("shelf slot"), max_length=8, choices=ShelfSlot.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shelf pin")
        verbose_name_plural = _("shelf pins")
        ordering = ["-kind", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ShelfPinKind.values),
                name="staff_shelfpin_kind_valid",
            ),
            # A pin names its slot; an exclusion has none.
            models.CheckConstraint(
                condition=models.Q(kind=ShelfPinKind.PIN, slot__in=ShelfSlot.values)
                | models.Q(kind=ShelfPinKind.EXCLUDE, slot=""),
                name="staff_shelfpin_slot_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == ShelfPinKind.PIN:
            return f"{self.product} → {self.get_slot_display()}"
        return f"{self.product} ({self.get_kind_display()})"
