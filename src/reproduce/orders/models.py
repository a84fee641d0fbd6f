"""Orders, manufacturing orders, work orders and the offers that dispatch them.

One customer order (:class:`Order`) holds lines of released design versions. Releasing it
explodes each line into manufacturing orders (:class:`ManufacturingOrder`, one per design
version to make, sub-designs included) and those into **one work order per operation**
(:class:`WorkOrder`). A work order is dispatched to a site through :class:`Offer`: the site
accepts, declines or counter-proposes; the first acceptance wins.

Who sees what: a customer organisation sees its own orders; a site's organisation sees only
the work orders offered to or accepted by it; network coordinators see everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from reproduce.core.permissions import NetworkRoleName
from reproduce.core.tenancy import OrgScopedModel

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


def _sees_everything(actor: Actor) -> bool:
    return actor.has_network_role(NetworkRoleName.COORDINATOR)


class OrderState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # the customer is composing it
    QUOTE_REQUESTED = "quote_requested", _("Quote requested")  # waits for a price
    QUOTED = "quoted", _("Quoted")  # priced: the customer accepts the quote or not
    SUBMITTED = "submitted", _("Submitted")  # placed: waits for the coordinator's release
    RELEASED = "released", _("In production")  # exploded into work orders, being dispatched
    COMPLETED = "completed", _("Completed")  # every work order is done
    CANCELLED = "cancelled", _("Cancelled")


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderState.DRAFT: {OrderState.QUOTE_REQUESTED, OrderState.SUBMITTED, OrderState.CANCELLED},
    OrderState.QUOTE_REQUESTED: {OrderState.QUOTED, OrderState.CANCELLED},
    OrderState.QUOTED: {OrderState.SUBMITTED, OrderState.CANCELLED},
    OrderState.SUBMITTED: {OrderState.RELEASED, OrderState.CANCELLED},
    OrderState.RELEASED: {OrderState.COMPLETED, OrderState.CANCELLED},
    OrderState.COMPLETED: set(),
    OrderState.CANCELLED: set(),
}


class Order(OrgScopedModel):
    """A customer's order (or quote request) for designs of the library."""

    organization_path = "customer"

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(
        _("status"), max_length=16, choices=OrderState.choices, default=OrderState.DRAFT
    )
    requested_date = models.DateField(_("delivery wished by"))
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    notes = models.TextField(_("notes for the network"), blank=True)
    quote_amount = models.DecimalField(
        _("quoted price (EUR, excl. VAT)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    quote_valid_until = models.DateField(_("quote valid until"), null=True, blank=True)
    quote_note = models.TextField(_("quote note"), blank=True)
    # Filled by the network plan: when the last work order should end, and why it is later
    # than wished when it is.
    planned_end = models.DateTimeField(_("planned completion"), null=True, blank=True)
    delay_reason = models.CharField(_("why it is late"), max_length=400, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["state", "requested_date"])]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(customer__in=list(actor.organization_ids))

    def can_transition(self, target: str) -> bool:
        return target in ORDER_TRANSITIONS[self.state]

    @property
    def is_late(self) -> bool:
        return bool(self.planned_end and self.planned_end.date() > self.requested_date)


class OrderLine(OrgScopedModel):
    """So many units of a released design version, possibly configured (options chosen)."""

    organization_path = "order__customer"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    version = models.ForeignKey(
        "designs.DesignVersion",
        on_delete=models.PROTECT,
        related_name="order_lines",
        verbose_name=_("design version"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    configuration = models.JSONField(_("options chosen"), default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="orderline_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            )
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(order__customer__in=list(actor.organization_ids))


class ManufacturingOrder(OrgScopedModel):
    """Make so many units of one design version for an order line (sub-designs included)."""

    organization_path = "order__customer"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="manufacturing_orders")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("designs.DesignVersion", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # The manufacturing order that consumes this one's output (None for the line's product).
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    number = models.PositiveIntegerField()

    class Meta:
        ordering = ["order", "number"]
        verbose_name = _("manufacturing order")
        verbose_name_plural = _("manufacturing orders")
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="mo_number_unique_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.order.reference}/{self.number}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(order__customer__in=list(actor.organization_ids))


class WorkOrderState(models.TextChoices):
    WAITING = "waiting", _("To dispatch")  # created at release, no site yet
    OFFERED = "offered", _("Offered")  # at least one offer waits for a site's answer
    ACCEPTED = "accepted", _("Accepted")  # a site took it: the work is theirs
    IN_PROGRESS = "in_progress", _("In progress")  # the site started it
    DONE = "done", _("Done")
    UNASSIGNED = "unassigned", _("No site found")  # no candidate left: the coordinator decides
    CANCELLED = "cancelled", _("Cancelled")


OPEN_WORK_STATES = (
    WorkOrderState.WAITING,
    WorkOrderState.OFFERED,
    WorkOrderState.ACCEPTED,
    WorkOrderState.IN_PROGRESS,
    WorkOrderState.UNASSIGNED,
)
ASSIGNED_WORK_STATES = (WorkOrderState.ACCEPTED, WorkOrderState.IN_PROGRESS, WorkOrderState.DONE)


class WorkOrder(OrgScopedModel):
    """One operation of a manufacturing order, dispatched to one site."""

    organization_path = "order__customer"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="work_orders")
    manufacturing_order = models.ForeignKey(
        ManufacturingOrder, on_delete=models.CASCADE, related_name="work_orders"
    )
    operation = models.ForeignKey("designs.Operation", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    name = models.CharField(_("operation"), max_length=150)
    quantity = models.PositiveIntegerField(_("quantity"))
    minutes = models.PositiveIntegerField(_("work time (minutes)"))
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors"
    )
    state = models.CharField(
        _("status"), max_length=12, choices=WorkOrderState.choices, default=WorkOrderState.WAITING
    )
    site = models.ForeignKey(
        "network.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("site"),
    )
    machine = models.ForeignKey(
        "network.Machine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("machine"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    agreed_end = models.DateTimeField(_("promised by the site"), null=True, blank=True)
    price = models.DecimalField(
        _("agreed price (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    planned_machine = models.ForeignKey(
        "network.Machine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    late_minutes = models.PositiveIntegerField(default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "manufacturing_order__number", "pk"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=ASSIGNED_WORK_STATES) | Q(site__isnull=False),
                name="workorder_assigned_has_site",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        """Coordinators see every work order; a site's organisation the ones offered to it or
        assigned to it; the customer reads them through its order, not on their own."""
        if _sees_everything(actor):
            return Q()
        orgs = list(actor.organization_ids)
        offered = Offer.objects.unscoped("existence test, scoped by the organisations").filter(
            work_order=OuterRef("pk"), organization__in=orgs
        )
        return Q(site__organization__in=orgs) | Q(Exists(offered))


class OfferState(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")  # until the deadline
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COUNTERED = "countered", _("Counter-proposal")  # another date or price: coordinator decides
    EXPIRED = "expired", _("No answer in time")  # offered to the next candidate
    WITHDRAWN = "withdrawn", _("Withdrawn")  # another site took it, or the coordinator did


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity in time")
    NOT_MANUFACTURABLE = "not_manufacturable", _("We cannot make it (process, material, size)")
    DEADLINE = "deadline", _("The deadline is too short")
    OTHER = "other", _("Other reason")


class Offer(OrgScopedModel):
    """A work order offered to one site, with a deadline to answer."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="offers"
    )
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="offers")
    site = models.ForeignKey("network.Site", on_delete=models.CASCADE, related_name="offers")
    machine = models.ForeignKey(
        "network.Machine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("status"), max_length=10, choices=OfferState.choices, default=OfferState.OPEN
    )
    rank = models.PositiveSmallIntegerField(_("candidate rank"), default=1)
    reasons = models.JSONField(_("why this site"), default=list, blank=True)
    deadline = models.DateTimeField(_("answer by"))
    price = models.DecimalField(
        _("estimated price (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    decline_reason = models.CharField(
        _("reason"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    comment = models.CharField(_("comment"), max_length=400, blank=True)
    proposed_end = models.DateTimeField(_("proposed completion"), null=True, blank=True)
    proposed_price = models.DecimalField(
        _("proposed price (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            # A site gets one live offer per work order; offering again reuses it.
            models.UniqueConstraint(
                fields=["work_order", "site"],
                condition=Q(state__in=["open", "countered"]),
                name="offer_one_live_per_site",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order.reference} → {self.site}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(organization__in=list(actor.organization_ids))
