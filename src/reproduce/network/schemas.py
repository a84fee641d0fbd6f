"""API schemas of the network registry (shared by the REST API and the OKW export)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Field, Schema


class TermOut(Schema):
    code: str
    label: str = Field(description="Label in the request's language")
    label_fr: str
    label_nl: str
    label_en: str
    wikipedia_url: str = Field(description="Open Know-Where identifier")


class ProcessOut(TermOut):
    parent: str | None = None
    synonyms: list[str] = []


class MaterialOut(TermOut):
    category: str
    synonyms: list[str] = []


class CommuneOut(Schema):
    nis_code: str
    name: str


class OrganizationRef(Schema):
    slug: str
    name: str
    kind: str


class OpeningHoursOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    opens: str
    closes: str


class SiteOut(Schema):
    id: int
    slug: str
    name: str
    organization: OrganizationRef
    street: str
    postcode: str
    city: str
    commune: CommuneOut | None
    latitude: Decimal
    longitude: Decimal
    access_type: str
    wheelchair_access: str
    languages: list[str]
    services: list[str] = Field(description="Codes of the processes offered as services")
    opening_hours: list[OpeningHoursOut]
    email: str | None = Field(
        None, description="Only when the organisation shares its contacts with you"
    )
    phone: str | None = None
    is_demo: bool


class MachineOut(Schema):
    id: int
    name: str
    site: str = Field(description="Slug of the site")
    organization: str = Field(description="Slug of the organisation")
    process: str
    extra_processes: list[str]
    materials: list[str]
    make: str
    model: str
    year: int | None
    quantity: int
    condition: str
    envelope_x_mm: int | None
    envelope_y_mm: int | None
    envelope_z_mm: int | None
    max_thickness_mm: Decimal | None
    laser_power_w: int | None
    spindle_power_w: int | None
    axes: int | None
    tolerance_class: str
    requires_trained_operator: bool
    hourly_rate: Decimal | None = Field(
        None, description="Only when the organisation shares its prices with you"
    )
    is_demo: bool


class MatchOut(Schema):
    site: SiteOut
    score: float
    distance_km: float | None
    free_days: int | None = Field(
        None, description="Open, unblocked days in the period (null: not shared)"
    )
    reasons: list[str]
    machines: list[MachineOut]


class CapabilityFilters(Schema):
    q: str = Field("", description="Free text, any of French, Dutch or English, accents optional")
    process: str = Field("", description="Process code (includes narrower processes)")
    material: str = ""
    min_x_mm: int | None = Field(None, ge=1)
    min_y_mm: int | None = Field(None, ge=1)
    min_z_mm: int | None = Field(None, ge=1)
    tolerance: str = Field(
        "", pattern="^[fmcv]?$", description="ISO 2768-1 class needed: f, m, c or v"
    )
    commune: str = Field("", description="NIS code of a Brussels commune")
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = Field(None, gt=0, le=200)
    available_from: date | None = None
    available_to: date | None = None
    limit: int = Field(50, ge=1, le=200)


class SiteIn(Schema):
    organization: str = Field(description="Slug of one of your organisations")
    name: str = Field(min_length=1, max_length=150)
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=4, max_length=10)
    city: str = ""
    latitude: Decimal
    longitude: Decimal
    description: str = ""
    access_type: str = "restricted"
    wheelchair_access: str = "unknown"
    languages: list[str] = []
    email: str = ""
    phone: str = ""
    services: list[str] = []
    is_listed: bool = True


class SitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    description: str | None = None
    access_type: str | None = None
    wheelchair_access: str | None = None
    languages: list[str] | None = None
    email: str | None = None
    phone: str | None = None
    services: list[str] | None = None
    is_listed: bool | None = None


class MachineIn(Schema):
    site: str = Field(description="Slug of a site of your organisation")
    name: str = Field(min_length=1, max_length=150)
    process: str
    extra_processes: list[str] = []
    materials: list[str] = []
    make: str = ""
    model: str = ""
    year: int | None = None
    quantity: int = Field(1, ge=1)
    condition: str = "good"
    description: str = ""
    envelope_x_mm: int | None = Field(None, ge=1)
    envelope_y_mm: int | None = Field(None, ge=1)
    envelope_z_mm: int | None = Field(None, ge=1)
    max_thickness_mm: Decimal | None = None
    laser_power_w: int | None = None
    spindle_power_w: int | None = None
    axes: int | None = None
    tolerance_class: str = ""
    hourly_rate: Decimal | None = Field(None, ge=0)
    requires_trained_operator: bool = False


class MachinePatch(Schema):
    site: str | None = None
    name: str | None = Field(None, min_length=1, max_length=150)
    process: str | None = None
    extra_processes: list[str] | None = None
    materials: list[str] | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    quantity: int | None = Field(None, ge=1)
    condition: str | None = None
    description: str | None = None
    envelope_x_mm: int | None = None
    envelope_y_mm: int | None = None
    envelope_z_mm: int | None = None
    max_thickness_mm: Decimal | None = None
    laser_power_w: int | None = None
    spindle_power_w: int | None = None
    axes: int | None = None
    tolerance_class: str | None = None
    hourly_rate: Decimal | None = None
    requires_trained_operator: bool | None = None
