"""Shapes of the traceability API: trace graphs, recall lists and lot passports.

The passport follows the information the EU Digital Product Passport for textiles will ask
(ESPR, Regulation (EU) 2024/1781): product identification, responsible organisation and
workshops, materials and their origin, recycled content, care, repair and end of life. A part
the owner did not publish is ``null`` and absent from ``published_parts``; a published part
without data says so (``known: false``) and is listed in ``missing``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

# ---------------------------------------------------------------- trace


class TraceNodeOut(Schema):
    id: str = Field(
        description="The lot code, or `hidden-<n>` for a lot of an organisation you may not see"
    )
    visible: bool
    depth: int = Field(description="Links between this lot and the traced one (0: itself)")
    code: str | None = None
    item: str | None = None
    made: Decimal | None = Field(None, description="Quantity received or produced, lot unit")
    on_hand: Decimal | None = None
    unit: str | None = Field(None, description="UN/ECE Rec 20 code")
    origin: str | None = None
    status: str | None = None
    site: str | None = Field(None, description="Site of origin (null if not visible to you)")
    owner: str | None = None


class TraceEdgeOut(Schema):
    parent: str = Field(description="Node id of the input lot")
    child: str = Field(description="Node id of the lot made from it")


class TraceOut(Schema):
    lot: str
    direction: Literal["up", "down"]
    count: int = Field(description="Every lot reached in that direction")
    truncated: bool = Field(description="True when `nodes` holds fewer than `count` + 1 lots")
    nodes: list[TraceNodeOut]
    edges: list[TraceEdgeOut]


# ---------------------------------------------------------------- recall


class PlaceOut(Schema):
    site: str | None = Field(None, description="null: a site of another organisation")
    location: str | None = None
    quantity: Decimal


class RecallLotOut(Schema):
    code: str
    item: str
    status: str
    unit: str
    on_hand: Decimal
    places: list[PlaceOut]
    owner: str
    custodian: str
    work_order: str | None = None
    order: str | None = None
    customer: str | None = None
    shipped_to: list[str]


class RecallCustomerOut(Schema):
    name: str
    orders: list[str]
    lots: list[str]


class RecallOut(Schema):
    lot: str
    reached: int = Field(description="Lots made (directly or not) from this lot")
    affected: list[RecallLotOut] = Field(
        description="Finished lots (nothing made from them, or a design's product) you may see"
    )
    hidden: int = Field(description="Affected lots of organisations you may not see")
    customers: list[RecallCustomerOut]
    shipped_to: list[str] = Field(description="Organisations that received affected lots")


# ---------------------------------------------------------------- passport


class ProductOut(Schema):
    name: str
    gtin: str | None = Field(None, description="GTIN-14, when the product has one")
    lot: str
    quantity: Decimal | None = Field(None, description="Lot size, in `unit`")
    unit: str = Field(description="UN/ECE Rec 20 code")
    unit_symbol: str
    made_on: str = Field(description="ISO 8601 date")
    origin: str = Field(description="virgin, secondary, bio_based or produced")
    origin_label: str


class ResponsibleOut(Schema):
    name: str = Field(description="The organisation that owns the lot")


class DesignOut(Schema):
    known: bool = Field(description="False: made from a design not published in the library")
    reason: str | None = None
    name: str | None = None
    version: str | None = None
    licence: str | None = Field(None, description="SPDX identifier")
    licence_name: str | None = None
    licensor: str | None = None
    url: str | None = None


class CompositionOut(Schema):
    material: str
    share: str = Field(description="Percent")


class SourceOut(Schema):
    material: str
    origin: str
    origin_label: str
    composition: list[CompositionOut]
    grade: str | None = None
    recycled_share: Decimal | None = Field(None, description="Percent")
    supplier: str | None = None
    collection_source: str | None = None
    disclosed: bool = Field(
        description="False: the owner of this material did not publish its supplier and source"
    )


class MaterialsOut(Schema):
    known: bool
    sources: list[SourceOut] = Field(description="Raw material lots upstream, oldest first")
    more: int = Field(description="Further material lots not listed")


class RecycledOut(Schema):
    known: bool
    share_percent: Decimal | None = None
    basis: str


class WorkshopOut(Schema):
    name: str
    organization: str
    city: str | None = None
    url: str | None = None


class WorkshopsOut(Schema):
    known: bool
    named: list[WorkshopOut] = Field(description="Workshops listed publicly on the network map")
    unnamed: int = Field(description="Other workshops of the network that made it")


class CareOut(Schema):
    known: bool
    care: str | None = None
    repair: str | None = None
    end_of_life: str | None = None


class PassportOut(Schema):
    lot_code: str
    url: str = Field(description="Persistent address printed on the label (QR code)")
    published: bool = Field(description="Whether the owner made the passport public")
    preview: bool = Field(description="True for the owner's preview (unpublished parts shown)")
    published_parts: list[str] = Field(
        description="Public parts among design, materials, recycled, workshops, care"
    )
    shown_parts: list[str] = Field(description="Parts in this answer")
    product: ProductOut
    responsible: ResponsibleOut
    design: DesignOut | None = None
    materials: MaterialsOut | None = None
    recycled_content: RecycledOut | None = None
    workshops: WorkshopsOut | None = None
    care: CareOut | None = None
    missing: list[str] = Field(description="Parts shown but without data")


class EpcisQuery(Schema):
    lot: str | None = Field(
        None, description="A lot code: only the events of its trace (itself, up and down)"
    )
