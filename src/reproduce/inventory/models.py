"""Stock locations, lots, the append-only stock ledger, reservations, transfers and genealogy.

* A :class:`Lot` is a quantity of one item with one history: where it came from (virgin,
  secondary or bio-based material, supplier, collection source, composition, contaminant
  checks, grade) or which work order produced it. Its **owner** is the organisation the goods
  belong to; its **custodian** the organisation whose site holds it now. A lot may be put in a
  :class:`StockPool`: every member of the pool may then use it.
* Every change of stock is one :class:`StockEntry` of the ledger: entries are never updated
  nor deleted, and the quantity on hand of a lot at a location is the sum of its entries.
* :class:`LotLink` is the genealogy (input lot → output lot); :class:`TraceEvent` the
  business events (receiving, commissioning, inspecting, shipping, producing, packing) that the
  EPCIS export publishes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from reproduce.core.permissions import NetworkRoleName
from reproduce.core.tenancy import OrgScopedModel
from reproduce.designs.models import Unit

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


def _sees_everything(actor: Actor) -> bool:
    return actor.has_network_role(NetworkRoleName.COORDINATOR)


class LocationKind(models.TextChoices):
    STORAGE = "storage", _("Storage")  # shelves, racks, big bags
    PRODUCTION = "production", _("Production area")  # next to the machines
    QUARANTINE = "quarantine", _("Quarantine")  # waits for a check; not consumable
    SHIPPING = "shipping", _("Shipping and receiving")  # the dock


class Location(OrgScopedModel):
    """A place where stock is kept, inside one site."""

    organization_path = "site__organization"

    site = models.ForeignKey(
        "network.Site", on_delete=models.CASCADE, related_name="stock_locations"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=12, choices=LocationKind.choices, default=LocationKind.STORAGE
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["site", "code"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "code"],
                name="location_code_unique_per_site",
                violation_error_message=_("This site already has a location with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.code}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(site__organization__in=list(actor.organization_ids))


class StockPool(OrgScopedModel):
    """Stock shared by several members: the custodian keeps it, every member may use it."""

    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="custodied_pools",
        verbose_name=_("custodian"),
    )
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(
        "accounts.Organization", related_name="stock_pools", verbose_name=_("members")
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("stock pool")
        verbose_name_plural = _("stock pools")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        orgs = list(actor.organization_ids)
        member = StockPool.members.through.objects.filter(
            stockpool=OuterRef("pk"), organization__in=orgs
        )
        return Q(organization__in=orgs) | Q(Exists(member))


class Origin(models.TextChoices):
    VIRGIN = "virgin", _("Virgin material")
    SECONDARY = "secondary", _("Secondary raw material (recycled, recovered)")
    BIO_BASED = "bio_based", _("Bio-based material")
    PRODUCED = "produced", _("Made in the network")  # output of a work order


class Grade(models.TextChoices):
    A = "A", _("A: clean, sorted, ready to use")
    B = "B", _("B: usable after preparation")
    C = "C", _("C: low grade, limited uses")
    REJECTED = "X", _("Rejected: not to be used")


class LotStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    QUARANTINE = "quarantine", _("In quarantine")  # waits for a contaminant check
    BLOCKED = "blocked", _("Blocked")  # failed a check or recalled: not consumable
    DEPLETED = "depleted", _("Used up")  # nothing left on hand anywhere


class PassportField(models.TextChoices):
    """Parts of a lot passport the owner may make public."""

    DESIGN = "design", _("Design and licence")
    MATERIALS = "materials", _("Materials and their origin")
    RECYCLED = "recycled", _("Recycled content share")
    WORKSHOPS = "workshops", _("Producing workshops")
    CARE = "care", _("Care, repair and disposal instructions")


class Lot(OrgScopedModel):
    """A quantity of one item with one history (see module docstring)."""

    organization_path = "owner"

    code = models.CharField(_("lot code"), max_length=40, unique=True)
    item = models.ForeignKey("designs.Item", on_delete=models.PROTECT, related_name="lots")
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices)
    owner = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="owned_lots",
        verbose_name=_("owner"),
    )
    custodian = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="held_lots",
        verbose_name=_("custodian"),
    )
    pool = models.ForeignKey(
        StockPool,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lots",
        verbose_name=_("stock pool"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LotStatus.choices, default=LotStatus.AVAILABLE
    )
    gtin = models.CharField(
        _("GTIN"), max_length=14, blank=True, help_text=_("Only if the product has one.")
    )
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    collection_source = models.CharField(
        _("collection source"),
        max_length=300,
        blank=True,
        help_text=_("Where the waste was collected: organisation, place, campaign."),
    )
    # [{"material": "flax", "share": "55"}, …] – shares in percent, summing to 100 at most.
    composition = models.JSONField(_("composition"), default=list, blank=True)
    # [{"check": "metal fasteners", "result": "pass"|"fail", "note": "…"}, …]
    contaminant_checks = models.JSONField(_("contaminant checks"), default=list, blank=True)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, blank=True)
    recycled_share = models.DecimalField(
        _("recycled content (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    certificates = models.ManyToManyField(
        "files.Blob", blank=True, related_name="+", verbose_name=_("certificates")
    )
    receipt = models.ForeignKey(
        "inventory.Receipt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lots",
    )
    work_order = models.ForeignKey(
        "orders.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="output_lots",
        verbose_name=_("made by work order"),
    )
    site = models.ForeignKey(
        "network.Site",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("site of origin in the network"),
    )
    care_instructions = models.TextField(_("care"), blank=True)
    repair_instructions = models.TextField(_("repair"), blank=True)
    disposal_instructions = models.TextField(_("end of life"), blank=True)
    passport_public = models.BooleanField(_("public passport"), default=False)
    # Subset of PassportField values shown on the public passport.
    passport_fields = models.JSONField(_("public passport content"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["gtin"])]

    def __str__(self) -> str:
        return self.code

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        """Owner, custodian and members of the lot's pool see it; coordinators see all."""
        if _sees_everything(actor):
            return Q()
        orgs = list(actor.organization_ids)
        member = StockPool.members.through.objects.filter(
            stockpool=OuterRef("pool"), organization__in=orgs
        )
        return Q(owner__in=orgs) | Q(custodian__in=orgs) | Q(Exists(member))

    def public_fields(self) -> set[str]:
        if not self.passport_public:
            return set()
        return set(self.passport_fields or []) & set(PassportField.values)


class ItemConversion(OrgScopedModel):
    """How many of ``to_unit`` make one ``from_unit`` for one item (e.g. 1 sheet = 0.004 kg)."""

    organization_path = "item__organization"

    item = models.ForeignKey("designs.Item", on_delete=models.CASCADE, related_name="conversions")
    from_unit = models.CharField(_("from"), max_length=3, choices=Unit.choices)
    to_unit = models.CharField(_("to"), max_length=3, choices=Unit.choices)
    factor = models.DecimalField(
        _("factor"), max_digits=14, decimal_places=6, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("unit conversion")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "from_unit", "to_unit"], name="item_conversion_unique"
            ),
            models.CheckConstraint(condition=Q(factor__gt=0), name="item_conversion_positive"),
        ]


class Receipt(OrgScopedModel):
    """Goods received at a site from outside the network (one delivery note)."""

    organization_path = "site__organization"

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    site = models.ForeignKey("network.Site", on_delete=models.PROTECT, related_name="receipts")
    supplier = models.CharField(_("supplier"), max_length=200)
    delivery_note = models.CharField(_("delivery note"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(site__organization__in=list(actor.organization_ids))


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Received")
    PRODUCTION = "production", _("Produced")
    CONSUMPTION = "consumption", _("Consumed")
    SCRAP = "scrap", _("Scrapped")
    MOVE = "move", _("Moved")  # two entries: out of one location, into another
    SHIPMENT = "shipment", _("Shipped to another site")
    TRANSFER_IN = "transfer_in", _("Received from another site")
    ADJUSTMENT = "adjustment", _("Inventory adjustment")


class StockEntry(OrgScopedModel):
    """One line of the append-only stock ledger (never updated, never deleted)."""

    organization_path = "lot__owner"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    site = models.ForeignKey("network.Site", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("movement"), max_length=12, choices=EntryKind.choices)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3
    )  # signed, in the lot's unit
    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer = models.ForeignKey(
        "inventory.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "inventory.TraceEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            # On-hand per site reads only the index (PostgreSQL index-only scan).
            models.Index(fields=["site", "lot", "location", "quantity"], name="entry_site_onhand"),
            models.Index(fields=["lot", "location"], name="entry_lot_location"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="entry_not_zero")]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(lot__in=Lot.objects.visible_to(actor).values("pk"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("the stock ledger is append-only: post a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the stock ledger is append-only: post a correcting entry")


class StockBalance(OrgScopedModel):
    """The running sum of the ledger for one lot at one location.

    Written only by the service that posts a ledger entry, in the same transaction, with an
    ``F()`` update: the ledger stays the truth and ``reproduce.inventory`` tests check that
    every balance equals the sum of its entries. It exists so that the stock of a site with a
    long history reads a few thousand rows instead of summing every entry ever posted.
    """

    organization_path = "lot__owner"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    site = models.ForeignKey("network.Site", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("on hand"), max_digits=14, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("stock on hand")
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="balance_once"),
        ]
        indexes = [
            models.Index(
                fields=["site", "lot", "location", "quantity"],
                name="balance_site_onhand",
                condition=~Q(quantity=0),
            )
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(lot__in=Lot.objects.visible_to(actor).values("pk"))


class ReservationState(models.TextChoices):
    ACTIVE = "active", _("Reserved")
    CONSUMED = "consumed", _("Consumed")  # the work order used it
    RELEASED = "released", _("Released")  # given back to the free stock


class Reservation(OrgScopedModel):
    """Stock of a lot at a location kept for one work order."""

    organization_path = "lot__owner"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="reservations")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="reservations"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    state = models.CharField(
        _("status"),
        max_length=10,
        choices=ReservationState.choices,
        default=ReservationState.ACTIVE,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reservation")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_positive")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(lot__in=Lot.objects.visible_to(actor).values("pk"))


class TransferState(models.TextChoices):
    PREPARED = "prepared", _("Being prepared")
    SHIPPED = "shipped", _("On its way")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(OrgScopedModel):
    """Lots sent from one site to another: shipped, then received (with discrepancies)."""

    organization_path = "from_site__organization"

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    from_site = models.ForeignKey(
        "network.Site", on_delete=models.PROTECT, related_name="outgoing_transfers"
    )
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_site = models.ForeignKey(
        "network.Site", on_delete=models.PROTECT, related_name="incoming_transfers"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("status"),
        max_length=10,
        choices=TransferState.choices,
        default=TransferState.PREPARED,
    )
    carrier = models.CharField(_("carrier"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        """Both the sending and the receiving organisations see a transfer."""
        if _sees_everything(actor):
            return Q()
        orgs = list(actor.organization_ids)
        return Q(from_site__organization__in=orgs) | Q(to_site__organization__in=orgs)


class TransferLine(OrgScopedModel):
    organization_path = "transfer__from_site__organization"

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity shipped"), max_digits=14, decimal_places=3)
    received_quantity = models.DecimalField(
        _("quantity received"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    discrepancy = models.CharField(_("discrepancy"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("transfer line")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_positive"),
            models.UniqueConstraint(fields=["transfer", "lot"], name="transfer_line_lot_once"),
        ]


class EventType(models.TextChoices):
    """GS1 EPCIS 2.0 event types used here."""

    OBJECT = "ObjectEvent", _("Object event")
    TRANSFORMATION = "TransformationEvent", _("Transformation event")
    AGGREGATION = "AggregationEvent", _("Aggregation event")


class BizStep(models.TextChoices):
    """CBV 2.0 business steps (the bare names; the export writes the CBV form)."""

    RECEIVING = "receiving", _("Receiving")
    COMMISSIONING = "commissioning", _("Commissioning")
    INSPECTING = "inspecting", _("Inspecting")
    SHIPPING = "shipping", _("Shipping")
    TRANSFORMING = "transforming", _("Transforming")  # production: inputs → outputs
    PACKING = "packing", _("Packing")
    DESTROYING = "destroying", _("Scrapping")
    CONSUMING = "consuming", _("Consuming")


class TraceEvent(OrgScopedModel):
    """A business event on lots, as EPCIS will publish it (written by the services only)."""

    organization_path = "organization"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=20, choices=EventType.choices)
    action = models.CharField(max_length=8, blank=True)  # ADD / OBSERVE / DELETE (not for T.E.)
    biz_step = models.CharField(_("step"), max_length=14, choices=BizStep.choices)
    disposition = models.CharField(max_length=30, blank=True)  # CBV: in_progress, active…
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey("network.Site", on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt = models.ForeignKey(
        Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parent_lot = models.ForeignKey(  # AggregationEvent: the pack or pallet
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_site = models.ForeignKey(
        "network.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination_site = models.ForeignKey(
        "network.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Extra facts: inspection results, discrepancies, scrap reasons.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("traceability event")
        verbose_name_plural = _("traceability events")
        indexes = [models.Index(fields=["occurred_at"])]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if _sees_everything(actor):
            return Q()
        return Q(organization__in=list(actor.organization_ids))


class LotRole(models.TextChoices):
    OBJECT = "object", _("Concerned lot")  # ObjectEvent
    INPUT = "input", _("Input")  # TransformationEvent
    OUTPUT = "output", _("Output")  # TransformationEvent
    CHILD = "child", _("Packed lot")  # AggregationEvent


class TraceEventLot(OrgScopedModel):
    organization_path = "event__organization"

    event = models.ForeignKey(TraceEvent, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="event_roles")
    role = models.CharField(max_length=6, choices=LotRole.choices)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=3, choices=Unit.choices, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["lot", "role"])]


class LotLink(OrgScopedModel):
    """Genealogy: ``parent`` went (in part) into ``child``."""

    organization_path = "child__owner"

    parent = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="child_links")
    child = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="parent_links")
    quantity = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, blank=True
    )  # of the parent, its unit
    event = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot genealogy link")
        indexes = [
            models.Index(fields=["parent", "child"], name="lotlink_down"),
            models.Index(fields=["child", "parent"], name="lotlink_up"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("child")), name="lotlink_no_self"),
            models.UniqueConstraint(fields=["parent", "child"], name="lotlink_once"),
        ]
