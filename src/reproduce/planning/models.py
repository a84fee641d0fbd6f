"""Machine bookings, network plans and calendar feeds.

A :class:`PlanRun` is one run of the network scheduler (a background task); its
:class:`PlannedSlot` rows place each work order on a machine and a time. The latest published
run is "the plan": the pages, the iCalendar feeds and the orders' planned dates read it.
:class:`Booking` is a member's reservation of machine time at a fablab (Fab-manager style):
the scheduler treats it as fixed.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reproduce.core.permissions import NetworkRoleName
from reproduce.core.tenancy import OrgScopedModel

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


class BookingState(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Booking(OrgScopedModel):
    """Machine time reserved by a person; the host site's organisation sees every booking of
    its machines, the person their own."""

    organization_path = "machine__site__organization"

    machine = models.ForeignKey(
        "network.Machine",
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=_("machine"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="machine_bookings"
    )
    booker_organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    purpose = models.CharField(_("what for"), max_length=200, blank=True)
    state = models.CharField(
        _("status"), max_length=10, choices=BookingState.choices, default=BookingState.CONFIRMED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=["machine", "state", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="booking_ends_after_start",
                violation_error_message=_("The end must come after the start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.machine} {self.starts_at:%Y-%m-%d %H:%M}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if actor.has_network_role(NetworkRoleName.COORDINATOR):
            return Q()
        mine = Q(user_id=actor.user_id) if actor.user_id else Q(pk__in=[])
        return Q(machine__site__organization__in=list(actor.organization_ids)) | mine


class PlanState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanRun(models.Model):
    """One run of the network scheduler. Network-level: coordinators read it; each site reads
    its own slots through :class:`PlannedSlot`."""

    tenancy = "global"

    state = models.CharField(max_length=10, choices=PlanState.choices, default=PlanState.QUEUED)
    reason = models.CharField(_("why"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    origin = models.DateTimeField(_("plan starts"))
    time_limit = models.PositiveIntegerField(_("time limit (seconds)"), default=20)
    progress = models.JSONField(default=dict, blank=True)  # elapsed, objective, solutions
    stats = models.JSONField(default=dict, blank=True)  # tardiness, makespan, moved, …
    error = models.TextField(blank=True)
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.state})"


class PlannedSlot(OrgScopedModel):
    """Where and when a plan puts one work order."""

    organization_path = "site__organization"

    plan = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="slots")
    work_order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, related_name="planned_slots"
    )
    site = models.ForeignKey("network.Site", on_delete=models.CASCADE, related_name="+")
    # None for manual work at the site's bench (assembly, packing): no machine needed.
    machine = models.ForeignKey(
        "network.Machine", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_candidate = models.BooleanField(default=False)  # not accepted by the site yet
    late_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["plan", "machine", "starts_at"])]
        constraints = [
            models.UniqueConstraint(fields=["plan", "work_order"], name="slot_once_per_plan")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if actor.has_network_role(NetworkRoleName.COORDINATOR):
            return Q()
        return Q(site__organization__in=list(actor.organization_ids), is_candidate=False)


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(OrgScopedModel):
    """The secret address of a site's (or one machine's) iCalendar feed: calendar apps
    subscribe without signing in, so the token is the key; a manager can renew it."""

    organization_path = "site__organization"

    site = models.ForeignKey("network.Site", on_delete=models.CASCADE, related_name="+")
    machine = models.ForeignKey(
        "network.Machine", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "machine"], name="feed_once_per_target"),
            models.UniqueConstraint(
                fields=["site"], condition=Q(machine__isnull=True), name="feed_once_per_site"
            ),
        ]
