"""REST API of the shop floor: my work, a work order's run, start / pause / resume / finish,
parts made, lots consumed, photos, time, and the progress of an order for polling.

Handlers find the work order through ``selectors.visible_work`` (a foreign one answers 404)
and, to act, ``selectors.work_for_action`` (403 without ``work.execute`` in the organisation
doing the work: a network coordinator reads, the site's operators act). They call
``production.services``, whose refusals carry a stable code: 409 for a state conflict
(``not_started``, ``already_running``, ``already_finished``, ``not_running``,
``insufficient_stock``, ``lot_blocked``), 422 for a bad value (``invalid_quantity``,
``unit_mismatch``, ``reason_required``, ``wrong_site``…). A lot code the caller may not use
answers 404 like a missing one.

``GET /orders/{order_id}/progress`` answers with an ``ETag``; sent back as ``If-None-Match``
it answers 304 with no body while nothing changed (one small query): poll it every ~10 s.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, get_visible_or_404
from reproduce.designs.models import Item
from reproduce.inventory.models import Location, Lot, StockEntry
from reproduce.inventory.services import Output
from reproduce.orders.models import Order, WorkOrder
from reproduce.production import selectors, services
from reproduce.production.models import Consumption, OutputRecord, WorkPhoto
from reproduce.production.schemas import (
    ConsumeIn,
    ConsumptionOut,
    FinishIn,
    FinishOut,
    OutputIn,
    OutputRecordOut,
    PauseIn,
    PhotoOut,
    ProgressOut,
    RunDetailOut,
    TimeIn,
    WorkOut,
    consumption_out,
    lot_brief,
    output_out,
    photo_out,
    progress_row,
    work_out,
)

router = Router(tags=["production"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
UNSCOPED = "rows of a work order the caller may see"

# ---------------------------------------------------------------- helpers


def _work_out(actor: Actor, pk: int) -> WorkOut:
    return WorkOut.model_validate(
        work_out(selectors.progress_of(selectors.visible_work(actor, pk)))
    )


def _acting(request: HttpRequest, work_order_id: int) -> tuple[Actor, WorkOrder]:
    actor = require_authenticated(request)
    return actor, selectors.work_for_action(actor, work_order_id)


def _location(wo: WorkOrder, location_id: int | None, *, output: bool) -> Location:
    if wo.site_id is None:
        raise services.ProductionError(
            _("This work order is not assigned to a site yet."), code="not_assigned"
        )
    if location_id is None:
        found = selectors.default_location(wo, output=output)
    else:
        found = selectors.site_locations(wo).filter(pk=location_id).first()
    if found is None:
        raise ValidationError({"location_id": _("Choose a stock location of the site.")})
    return found


def _holding(wo: WorkOrder, lot: Lot) -> Location:
    """The site's location holding the most of the lot."""
    row = (
        StockEntry.objects.unscoped("stock of a lot the actor may use, at the actor's site")
        .filter(lot=lot, site_id=wo.site_id)
        .values("location_id")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
        .order_by("-total")
        .first()
    )
    found = selectors.site_locations(wo).filter(pk=row["location_id"]).first() if row else None
    if found is None:
        raise services.ProductionError(
            _("Lot %(lot)s is not in stock at this site.") % {"lot": lot.code},
            code="insufficient_stock",
        )
    return found


# ---------------------------------------------------------------- reading


@router.get("/work/today", response={200: list[WorkOut], 403: ErrorOut}, summary="My work today")
@access("member", methods=("GET",))
def my_work(request: HttpRequest) -> list[dict[str, Any]]:
    """Accepted and running work orders of your organisations' sites: what runs first, then
    what is planned (or due) today, then the rest by planned start or due date."""
    actor = require_authenticated(request)
    if not actor.organization_ids:
        raise PermissionDenied(_("My work is for the members of a workshop."))
    return [work_out(selectors.progress_of(wo)) for wo in selectors.my_work(actor)]


@router.get(
    "/work-orders/{work_order_id}/run",
    response={200: RunDetailOut, 404: ErrorOut},
    summary="The shop-floor record of a work order",
)
@access("member", object="work_order_id", model="orders.WorkOrder", methods=("GET",))
def get_run(request: HttpRequest, work_order_id: int) -> dict[str, Any]:
    """Its run (running, paused, finished; time; good and scrap), the lots consumed, the
    parts declared, the photos and the lots it made."""
    actor = require_authenticated(request)
    wo = selectors.visible_work(actor, work_order_id)
    photos_url = reverse("production:photos", args=[wo.pk])
    return {
        "work_order": work_out(selectors.progress_of(wo)),
        "consumptions": [
            consumption_out(c)
            for c in Consumption.objects.unscoped(UNSCOPED)
            .filter(work_order=wo)
            .select_related("lot__item", "location")
        ],
        "outputs": [
            output_out(o) for o in OutputRecord.objects.unscoped(UNSCOPED).filter(work_order=wo)
        ],
        "photos": [
            photo_out(p, f"{photos_url}?photo={p.pk}")
            for p in WorkPhoto.objects.unscoped(UNSCOPED)
            .filter(work_order=wo)
            .select_related("blob")
        ],
        "lots_made": [
            lot_brief(lot)
            for lot in Lot.objects.unscoped(UNSCOPED)
            .filter(work_order=wo)
            .select_related("item")
            .order_by("created_at")
        ],
    }


@router.get(
    "/orders/{order_id}/progress",
    response={200: ProgressOut, 304: None, 404: ErrorOut},
    summary="Progress of an order's work (for polling)",
)
@access("member", object="order_id", model="orders.Order", methods=("GET",))
def order_progress(request: HttpRequest, order_id: int) -> Any:
    """Per work order: state, running or paused, good and scrap against the quantity, time.
    The answer's ``ETag`` (also in the body) changes with any of them: send it back as
    ``If-None-Match`` and the answer is 304 without a body while nothing changed."""
    actor = require_authenticated(request)
    order = get_visible_or_404(Order, actor, pk=order_id)
    etag = selectors.order_etag(order, "api")
    if selectors.etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    from reproduce.api.urls import api

    body = ProgressOut.model_validate(
        {
            "order_id": order.pk,
            "reference": order.reference,
            "state": order.state,
            "etag": etag,
            "work_orders": [progress_row(p) for p in selectors.order_progress(order)],
        }
    )
    response = api.create_response(request, body.model_dump(mode="json"), status=200)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------- acting


@router.post(
    "/work-orders/{work_order_id}/start",
    response={200: WorkOut, **ERRORS},
    summary="Start (or resume) a work order",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def start(request: HttpRequest, work_order_id: int) -> WorkOut:
    """Accepted → in progress, the clock runs. A paused work order resumes. 409
    ``already_running`` / ``already_finished``; 422 ``not_assigned`` when it is not accepted."""
    actor, wo = _acting(request, work_order_id)
    services.start_work(actor=actor, work_order=wo)
    return _work_out(actor, wo.pk)


@router.post(
    "/work-orders/{work_order_id}/pause",
    response={200: WorkOut, **ERRORS},
    summary="Pause a running work order",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def pause(request: HttpRequest, work_order_id: int, payload: PauseIn) -> WorkOut:
    """Stop the clock, with a reason (``other`` needs a note). 409 ``not_running``."""
    actor, wo = _acting(request, work_order_id)
    services.pause_work(actor=actor, work_order=wo, reason=payload.reason, note=payload.note)
    return _work_out(actor, wo.pk)


@router.post(
    "/work-orders/{work_order_id}/resume",
    response={200: WorkOut, **ERRORS},
    summary="Resume a paused work order",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def resume(request: HttpRequest, work_order_id: int) -> WorkOut:
    """Start the clock again. 409 ``already_running`` or ``not_started``."""
    actor, wo = _acting(request, work_order_id)
    services.resume_work(actor=actor, work_order=wo)
    return _work_out(actor, wo.pk)


@router.post(
    "/work-orders/{work_order_id}/output",
    response={201: OutputRecordOut, **ERRORS},
    summary="Declare parts made (good and scrap)",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
@idempotent
def record_output(request: HttpRequest, work_order_id: int, payload: OutputIn) -> tuple[int, Any]:
    """Good parts and scrap since the last declaration; scrap needs ``scrap_reason``.
    422 ``invalid_quantity`` (negative, or both 0), ``reason_required``."""
    actor, wo = _acting(request, work_order_id)
    record = services.record_output(
        actor=actor,
        work_order=wo,
        good=payload.good,
        scrap=payload.scrap,
        scrap_reason=payload.scrap_reason,
        note=payload.note,
    )
    return 201, OutputRecordOut.model_validate(output_out(record))


@router.post(
    "/work-orders/{work_order_id}/consumptions",
    response={201: ConsumptionOut, **ERRORS},
    summary="Record a lot consumed",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
@idempotent
def consume(request: HttpRequest, work_order_id: int, payload: ConsumeIn) -> tuple[int, Any]:
    """Take ``quantity`` of the lot (by code, typed or scanned) out of a stock location of
    the site: a consumption on the stock ledger. 404 when no lot with this code is yours to
    use; 409 ``insufficient_stock``; 422 ``invalid_quantity``, ``unit_mismatch``."""
    actor, wo = _acting(request, work_order_id)
    lot = selectors.usable_lot(actor, payload.lot_code)
    if lot is None:
        raise Http404
    if payload.location_id is None:
        if wo.site_id is None:
            raise services.ProductionError(
                _("This work order is not assigned to a site yet."), code="not_assigned"
            )
        location = _holding(wo, lot)
    else:
        location = _location(wo, payload.location_id, output=False)
    used = services.consume_lot(
        actor=actor,
        work_order=wo,
        lot=lot,
        location=location,
        quantity=payload.quantity,
        unit=payload.unit,
        scanned=payload.scanned,
    )
    used = (
        Consumption.objects.unscoped(UNSCOPED)
        .select_related("lot__item", "location")
        .get(pk=used.pk)
    )
    return 201, ConsumptionOut.model_validate(consumption_out(used))


@router.post(
    "/work-orders/{work_order_id}/time",
    response={200: WorkOut, **ERRORS},
    summary="Add time worked off the clock",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def add_time(request: HttpRequest, work_order_id: int, payload: TimeIn) -> WorkOut:
    """Minutes (1 to 1440) added to the time worked. 409 ``not_started``."""
    actor, wo = _acting(request, work_order_id)
    services.add_time(actor=actor, work_order=wo, minutes=payload.minutes)
    return _work_out(actor, wo.pk)


@router.post(
    "/work-orders/{work_order_id}/photos",
    response={201: PhotoOut, 413: ErrorOut, **ERRORS},
    summary="Add a photo of the work",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def add_photo(
    request: HttpRequest,
    work_order_id: int,
    photo: File[UploadedFile],
    caption: Form[str] = "",
) -> Status[Any]:
    """Multipart form: ``photo`` (PNG, JPEG, WebP or GIF) and an optional ``caption``."""
    actor, wo = _acting(request, work_order_id)
    created = services.add_photo(actor=actor, work_order=wo, upload=photo, caption=caption)
    url = reverse("production:photos", args=[wo.pk]) + f"?photo={created.pk}"
    return Status(201, PhotoOut.model_validate(photo_out(created, url)))


def _outputs(wo: WorkOrder, payload: FinishIn) -> list[Output] | None:
    if payload.outputs is None:
        return None
    items = {
        item.pk: item
        for item in Item.objects.owned_by(wo.site.organization_id).filter(  # type: ignore[union-attr]
            pk__in=[line.item_id for line in payload.outputs]
        )
    }
    outputs = []
    for line in payload.outputs:
        item = items.get(line.item_id)
        if item is None:
            raise ValidationError({"outputs": _("Choose items of the site's organisation.")})
        outputs.append(Output(item=item, quantity=line.quantity, unit=line.unit, code=line.code))
    return outputs


@router.post(
    "/work-orders/{work_order_id}/finish",
    response={200: FinishOut, **ERRORS},
    summary="Finish a work order",
)
@access("member", perm="work.execute", object="work_order_id", model="orders.WorkOrder")
def finish(request: HttpRequest, work_order_id: int, payload: FinishIn) -> dict[str, Any]:
    """In progress → done. What was made goes to stock as new lots (default: one lot of the
    work order's item with the good quantity), made from the lots consumed: genealogy and an
    EPCIS TransformationEvent. The order completes with its last work order. 409
    ``not_started`` / ``already_finished``; 422 ``lot_code_taken``, ``invalid_lot_code``."""
    actor, wo = _acting(request, work_order_id)
    location = _location(wo, payload.location_id, output=True)
    lots = services.finish_work(
        actor=actor,
        work_order=wo,
        location=location,
        outputs=_outputs(wo, payload),
        occurred_at=payload.occurred_at,
    )
    return {
        "work_order": _work_out(actor, wo.pk),
        "lots_made": [lot_brief(lot) for lot in lots],
    }
