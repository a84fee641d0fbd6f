"""Schemas of the calls API. The fields of ``CallOut`` are stable (checked from outside)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from ninja import Field, Schema

from reproduce.programme.models import Call
from reproduce.programme.services.calls import is_open

DocumentKindName = Literal["cv", "motivation", "portfolio", "other"]


class CriterionSchema(Schema):
    key: str = Field(..., description="Stable key of the criterion, e.g. ``fit``.")
    label_fr: str = ""
    label_nl: str = ""
    label_en: str = ""
    points: int = Field(..., ge=1, le=100, description="Weight; the grid totals 100.")


class QuestionSchema(Schema):
    key: str
    label_fr: str = ""
    label_nl: str = ""
    label_en: str = ""
    required: bool = False
    max_length: int = Field(2000, ge=1, le=10_000)


class DocumentAskedSchema(Schema):
    kind: DocumentKindName
    required: bool = False


class HostFablabOut(Schema):
    id: int
    slug: str
    name: str
    website: str = ""


class CallOut(Schema):
    slug: str
    state: str = Field(..., description="draft, published, closed, decided or archived.")
    is_open: bool = Field(..., description="Published and the deadline not yet passed.")
    title_fr: str
    title_nl: str
    title_en: str
    theme_fr: str
    theme_nl: str
    theme_en: str
    description_fr: str
    description_nl: str
    description_en: str
    opens_on: date
    deadline: datetime
    interviews_from: date | None
    interviews_to: date | None
    announcement_on: date | None
    starts_on: date
    ends_on: date
    places: int
    retention_months: int
    host_fablabs: list[HostFablabOut]
    criteria: list[CriterionSchema]
    questions: list[QuestionSchema]
    documents: list[DocumentAskedSchema]
    url: str = Field(..., description="The public page of the call (French).")
    published_at: datetime | None


class CallIn(Schema):
    slug: str = Field("", description="Short name in addresses; made from the title if empty.")
    title_fr: str
    title_nl: str = ""
    title_en: str = ""
    theme_fr: str = ""
    theme_nl: str = ""
    theme_en: str = ""
    description_fr: str = ""
    description_nl: str = ""
    description_en: str = ""
    opens_on: date
    deadline: datetime
    interviews_from: date | None = None
    interviews_to: date | None = None
    announcement_on: date | None = None
    starts_on: date
    ends_on: date
    places: int = Field(..., ge=1)
    retention_months: int = Field(24, ge=1, le=120)
    host_fablabs: list[str] = Field(
        default_factory=list, description="Slugs of the host organisations (fablabs)."
    )
    criteria: list[CriterionSchema] | None = Field(
        None, description="The scoring grid; the default is 40/30/10/20."
    )
    questions: list[QuestionSchema] | None = None
    documents: list[DocumentAskedSchema] | None = Field(
        None,
        description="Default: CV and motivation letter required, portfolio and other optional.",
    )


class CallPatch(Schema):
    title_fr: str | None = None
    title_nl: str | None = None
    title_en: str | None = None
    theme_fr: str | None = None
    theme_nl: str | None = None
    theme_en: str | None = None
    description_fr: str | None = None
    description_nl: str | None = None
    description_en: str | None = None
    opens_on: date | None = None
    deadline: datetime | None = None
    interviews_from: date | None = None
    interviews_to: date | None = None
    announcement_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    places: int | None = Field(None, ge=1)
    retention_months: int | None = Field(None, ge=1, le=120)
    host_fablabs: list[str] | None = None
    criteria: list[CriterionSchema] | None = None
    questions: list[QuestionSchema] | None = None
    documents: list[DocumentAskedSchema] | None = None


def call_url(call: Call) -> str:
    with translation.override("fr"):
        return settings.SITE_URL.rstrip("/") + reverse("programme:call", args=[call.slug])


def call_out(call: Call) -> dict[str, Any]:
    fields = [name for name in CallOut.model_fields if hasattr(call, name)]
    data = {name: getattr(call, name) for name in fields}
    data.update(
        host_fablabs=[
            {"id": o.pk, "slug": o.slug, "name": o.name, "website": o.website}
            for o in sorted(call.host_fablabs.all(), key=lambda o: o.name)
        ],
        criteria=call.criteria or [],
        questions=call.questions or [],
        documents=call.documents or [],
        is_open=is_open(call),
        url=call_url(call),
    )
    return data
