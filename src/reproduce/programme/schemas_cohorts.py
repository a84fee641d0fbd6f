"""Schemas of the cohorts, grants and events API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from reproduce.programme.models import Cohort, Event, Grant, Participant, Session


class CohortOut(Schema):
    id: int
    name: str
    call: str = Field(description="Slug of the call the cohort comes from.")
    starts_on: date
    ends_on: date
    participants: int


class ParticipantOut(Schema):
    id: int
    name: str
    application: str = Field(description="Reference of the application.")
    state: str
    enterprise: str
    enterprise_key: str = Field(
        description="Enterprise number (0123.456.789), or person:<application> for a future "
        "entrepreneur: RCO01/RCO04 count each key once."
    )
    is_new_enterprise: bool
    baseline_fte: Decimal
    host_fablab: str = Field(description="Slug of the host fablab.")
    convention_signed_at: datetime | None
    de_minimis_signed_at: datetime | None


class SessionOut(Schema):
    id: int
    number: int
    phase: str
    title: str
    starts_at: datetime
    place: str | None = Field(None, description="Slug of the site, when decided.")


class CohortDetailOut(CohortOut):
    participant_list: list[ParticipantOut]
    sessions: list[SessionOut]


class GrantOut(Schema):
    id: int
    participant_id: int
    participant: str
    kind: str = Field(description="base (€1,000 once) or materials (up to €500, on receipts).")
    amount: Decimal
    state: str = Field(description="requested, approved, paid or refused.")
    requested_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    payment_reference: str
    receipts_total: Decimal


class GrantList(Schema):
    items: list[GrantOut]
    count: int
    totals: dict[str, Decimal] = Field(
        description="Sums by state, and committed (approved + paid)."
    )


class PayIn(Schema):
    reference: str = Field(max_length=60, description="The bank transfer's reference.")
    paid_on: date | None = Field(None, description="Day of the payment (default: today).")


class EventOut(Schema):
    slug: str
    kind: str
    title: str
    title_fr: str
    title_nl: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int | None
    places_left: int | None


def cohort_out(cohort: Cohort, participants: int) -> dict[str, Any]:
    return {
        "id": cohort.pk,
        "name": cohort.name,
        "call": cohort.call.slug,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "participants": participants,
    }


def participant_out(p: Participant) -> dict[str, Any]:
    declaration = getattr(p, "de_minimis", None)
    return {
        "id": p.pk,
        "name": str(p),
        "application": p.application.reference,
        "state": p.state,
        "enterprise": p.organization.name,
        "enterprise_key": p.enterprise_key,
        "is_new_enterprise": p.is_new_enterprise,
        "baseline_fte": p.baseline_fte,
        "host_fablab": p.host_fablab.slug,
        "convention_signed_at": p.convention_signed_at,
        "de_minimis_signed_at": declaration.signed_at if declaration else None,
    }


def session_out(s: Session) -> dict[str, Any]:
    return {
        "id": s.pk,
        "number": s.number,
        "phase": s.phase,
        "title": s.title,
        "starts_at": s.starts_at,
        "place": s.place.slug if s.place else None,
    }


def grant_out(g: Grant) -> dict[str, Any]:
    return {
        "id": g.pk,
        "participant_id": g.participant_id,
        "participant": str(g.participant),
        "kind": g.kind,
        "amount": g.amount,
        "state": g.state,
        "requested_at": g.requested_at,
        "approved_at": g.approved_at,
        "paid_at": g.paid_at,
        "payment_reference": g.payment_reference,
        "receipts_total": getattr(g, "receipts_total", None) or Decimal("0.00"),
    }


def event_out(e: Event, places_left: int | None) -> dict[str, Any]:
    return {
        "slug": e.slug,
        "kind": e.kind,
        "title": e.text("title"),
        "title_fr": e.title_fr,
        "title_nl": e.title_nl,
        "title_en": e.title_en,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "place": e.place,
        "capacity": e.capacity,
        "places_left": places_left,
    }
