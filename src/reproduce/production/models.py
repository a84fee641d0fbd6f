"""What happens on the shop floor while a work order is made.

A :class:`Run` is the live state of one work order at its site (running, paused, finished,
the time worked and the quantities so far); :class:`RunEvent` the log of starts, pauses,
resumes and finishes; :class:`OutputRecord` each declaration of good and scrapped parts;
:class:`Consumption` each lot consumed (it points at its stock ledger entry); :class:`WorkPhoto`
the photos taken. The work order's own state (accepted → in progress → done) is moved by the
production services through the orders app's state machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reproduce.core.permissions import NetworkRoleName
from reproduce.core.tenancy import OrgScopedModel
from reproduce.designs.models import Unit

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


def _site_q(actor: Actor, path: str) -> Q:
    if actor.has_network_role(NetworkRoleName.COORDINATOR):
        return Q()
    return Q(**{f"{path}__in": list(actor.organization_ids)})


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class Run(OrgScopedModel):
    """The live state of one work order on the shop floor (one per work order)."""

    organization_path = "work_order__site__organization"

    work_order = models.OneToOneField(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="run"
    )
    state = models.CharField(_("status"), max_length=10, choices=RunState.choices)
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(null=True, blank=True)  # None while paused/finished
    worked_seconds = models.PositiveIntegerField(_("time worked (s)"), default=0)
    extra_minutes = models.PositiveIntegerField(  # declared by hand (work done off the clock)
        _("time added by hand (min)"), default=0
    )
    good_quantity = models.DecimalField(_("good"), max_digits=14, decimal_places=3, default=0)
    scrap_quantity = models.DecimalField(_("scrap"), max_digits=14, decimal_places=3, default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Bumped on every change: the progress poll answers 304 while it is unchanged.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work order run")
        indexes = [models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.state}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return _site_q(actor, "work_order__site__organization")


class RunEventKind(models.TextChoices):
    START = "start", _("Started")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    FINISH = "finish", _("Finished")


class PauseReason(models.TextChoices):
    BREAK = "break", _("Break or end of shift")
    MATERIAL = "material", _("Waiting for material")
    MACHINE = "machine", _("Machine problem")
    QUALITY = "quality", _("Quality problem")
    OTHER = "other", _("Other")


class RunEvent(OrgScopedModel):
    organization_path = "run__work_order__site__organization"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=RunEventKind.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=PauseReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return _site_q(actor, "run__work_order__site__organization")


class ScrapReason(models.TextChoices):
    MATERIAL_DEFECT = "material", _("Defective material")
    SETUP = "setup", _("Set-up or first parts")
    MACHINE = "machine", _("Machine fault")
    OPERATOR = "operator", _("Handling error")
    OUT_OF_TOLERANCE = "tolerance", _("Out of tolerance")
    OTHER = "other", _("Other")


class OutputRecord(OrgScopedModel):
    """One declaration of parts made: good ones, and scrap with its reason."""

    organization_path = "work_order__site__organization"

    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="output_records"
    )
    good = models.DecimalField(_("good"), max_digits=14, decimal_places=3, default=0)
    scrap = models.DecimalField(_("scrap"), max_digits=14, decimal_places=3, default=0)
    scrap_reason = models.CharField(
        _("scrap reason"), max_length=10, choices=ScrapReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(good__gte=0) & Q(scrap__gte=0), name="output_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(scrap=0) | ~Q(scrap_reason=""), name="output_scrap_has_reason"
            ),
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return _site_q(actor, "work_order__site__organization")


class Consumption(OrgScopedModel):
    """A lot consumed by a work order (the stock ledger entry it posted)."""

    organization_path = "work_order__site__organization"

    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="consumptions"
    )
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)  # as entered
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices)
    entry = models.OneToOneField(
        "inventory.StockEntry", on_delete=models.PROTECT, related_name="consumption"
    )
    scanned = models.BooleanField(_("scanned"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="consumption_positive")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return _site_q(actor, "work_order__site__organization")


class WorkPhoto(OrgScopedModel):
    organization_path = "work_order__site__organization"

    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="photos"
    )
    blob = models.ForeignKey("files.Blob", on_delete=models.PROTECT, related_name="+")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_at", "pk"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return _site_q(actor, "work_order__site__organization")
