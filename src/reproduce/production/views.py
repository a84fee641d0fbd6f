"""Pages of the shop floor: my work today, one work order's execution page (start, pause,
output, lots consumed, photos, time, finish) and the live progress fragments polled by the
order, work-order and plan pages.

Who may do what: anybody who sees a work order (``WorkOrder.objects.visible_to``: the site's
organisation, a network coordinator) opens its execution page and its progress; only the
operators (and up) of the site that took it act (``work.execute``): others get 403, a foreign
work order 404. Every write goes through ``production.services``; a refusal is shown on the
form it concerns, and a successful POST redirects back to the execution page.

Polling (``order_progress``, ``work_progress``, ``floor_progress``): each answers an HTML
fragment with an ``ETag`` built from the run versions (one small query) and 304 while the
client's ``If-None-Match`` still matches, so a page left open costs one tiny query per ten
seconds and no rendering (``static/production/poll.js`` stops while the tab is hidden).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.accounts.forms import add_service_errors
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.models import Item
from reproduce.files.http import blob_response
from reproduce.files.uploads import too_large_message, upload_was_refused
from reproduce.inventory.models import Location, Lot, StockEntry
from reproduce.inventory.services import Output
from reproduce.orders.models import Order, WorkOrder, WorkOrderState
from reproduce.production import selectors, services
from reproduce.production.forms import (
    ConsumeForm,
    FinishForm,
    OutputForm,
    PauseForm,
    PhotoForm,
    TimeForm,
)
from reproduce.production.models import Consumption, OutputRecord, RunEvent, WorkPhoto

RECENT = 20


def work_url(wo: WorkOrder) -> str:
    return reverse("production:work", args=[wo.pk])


def _visible(actor: Actor, pk: int) -> WorkOrder:
    return selectors.visible_work(actor, pk)


def _acting(request: HttpRequest, pk: int) -> WorkOrder:
    return selectors.work_for_action(request_actor(request), pk)


def labels_url(wo: WorkOrder, lots: list[Lot]) -> str:
    """Where to print the labels of the lots a work order made (the traceability pages:
    every lot of the work order on one sheet, else the first lot's labels)."""
    if not lots:
        return ""
    try:
        return reverse("traceability:work_order_labels", args=[wo.pk])
    except NoReverseMatch:
        pass
    try:
        return reverse("traceability:labels", args=[lots[0].code])
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------- my work today


@access("member", methods=("GET",))
@login_required
def today(request: HttpRequest) -> HttpResponse:
    """Accepted and running work of my organisations' sites, what runs and today's first."""
    actor = request_actor(request)
    if not actor.organization_ids:
        raise PermissionDenied(_("My work is for the members of a workshop."))
    now = timezone.now()
    rows = [
        {
            "p": selectors.progress_of(wo, now),
            "today": selectors.is_today(wo, now),
            "can_act": selectors.can_execute(actor, wo),
        }
        for wo in selectors.my_work(actor, now)
    ]
    return render(request, "production/today.html", {"rows": rows, "now": now})


# ---------------------------------------------------------------- one work order


def _items(wo: WorkOrder) -> Any:
    return Item.objects.owned_by(wo.site.organization_id).order_by("name")  # type: ignore[union-attr]


def _forms(wo: WorkOrder, bound: dict[str, Any]) -> dict[str, Any]:
    """The page's forms (a bound one, with its errors, replaces its blank twin)."""
    locations = selectors.site_locations(wo) if wo.site_id else Location.objects.none()
    forms: dict[str, Any] = {
        "pause_form": PauseForm(),
        "output_form": OutputForm(),
        "consume_form": ConsumeForm(locations=locations),
        "photo_form": PhotoForm(),
        "time_form": TimeForm(),
        "finish_form": None,
    }
    if wo.site_id and wo.state == WorkOrderState.IN_PROGRESS and "finish_form" not in bound:
        item = services.default_output_item(wo)
        run = selectors.run_of(wo)
        good = run.good_quantity if run else Decimal(0)
        forms["finish_form"] = FinishForm(
            items=_items(wo),
            locations=locations,
            initial={
                "item": item.pk,
                "quantity": good.normalize() if good else 0,
                "location": selectors.default_location(wo, output=True),
            },
        )
    forms.update(bound)
    return forms


def _render_work(request: HttpRequest, wo: WorkOrder, **bound: Any) -> HttpResponse:
    actor = request_actor(request)
    unscoped = "rows of a work order the caller may see"
    made = list(Lot.objects.unscoped(unscoped).filter(work_order=wo).order_by("created_at"))
    context = {
        "wo": wo,
        "p": selectors.progress_of(wo),
        "can_act": selectors.can_execute(actor, wo),
        "events": list(
            RunEvent.objects.unscoped(unscoped)
            .filter(run__work_order=wo)
            .select_related("by")
            .order_by("-at", "-pk")[:RECENT]
        ),
        "consumptions": list(
            Consumption.objects.unscoped(unscoped)
            .filter(work_order=wo)
            .select_related("lot__item", "location")
            .order_by("-recorded_at", "-pk")
        ),
        "outputs": list(
            OutputRecord.objects.unscoped(unscoped)
            .filter(work_order=wo)
            .order_by("-recorded_at", "-pk")[:RECENT]
        ),
        "photos": list(
            WorkPhoto.objects.unscoped(unscoped).filter(work_order=wo).order_by("-taken_at")
        ),
        "made": made,
        "labels_url": labels_url(wo, made),
        "poll_url": reverse("production:work_progress", args=[wo.pk]),
        **_forms(wo, bound),
    }
    return render(request, "production/work.html", context)


@access("member", object="pk", model="orders.WorkOrder", methods=("GET",))
@login_required
def work(request: HttpRequest, pk: int) -> HttpResponse:
    """The execution page of one work order (read-only without ``work.execute``)."""
    return _render_work(request, _visible(request_actor(request), pk))


def _act(request: HttpRequest, pk: int, call: Callable[[Actor, WorkOrder], str]) -> HttpResponse:
    """Run a form-less action (start, resume); its refusal becomes an error message."""
    wo = _acting(request, pk)
    try:
        text = call(request_actor(request), wo)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, text)
    return HttpResponseRedirect(_back(request, wo))


def _back(request: HttpRequest, wo: WorkOrder) -> str:
    """Back to "my work today" when the button was pressed there."""
    if request.POST.get("from") == "today":
        return reverse("production:today")
    return work_url(wo)


def _start(actor: Actor, wo: WorkOrder) -> str:
    services.start_work(actor=actor, work_order=wo)
    return _("%(ref)s is running.") % {"ref": wo.reference}


def _resume(actor: Actor, wo: WorkOrder) -> str:
    services.resume_work(actor=actor, work_order=wo)
    return _("%(ref)s is running again.") % {"ref": wo.reference}


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, _start)


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, _resume)


def _with_form(
    request: HttpRequest,
    wo: WorkOrder,
    name: str,
    form: Any,
    call: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Validate ``form``, call the service; its refusal goes on the form, shown again."""
    if form.is_valid():
        try:
            text = call(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, text)
            return HttpResponseRedirect(work_url(wo))
    return _render_work(request, wo, **{name: form})


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop the clock, with a reason."""
    wo = _acting(request, pk)

    def call(data: dict[str, Any]) -> str:
        services.pause_work(
            actor=request_actor(request), work_order=wo, reason=data["reason"], note=data["note"]
        )
        return _("%(ref)s is paused.") % {"ref": wo.reference}

    return _with_form(request, wo, "pause_form", PauseForm(request.POST), call)


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def output(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare good and scrapped parts."""
    wo = _acting(request, pk)

    def call(data: dict[str, Any]) -> str:
        services.record_output(
            actor=request_actor(request),
            work_order=wo,
            good=data["good"] or 0,
            scrap=data["scrap"] or 0,
            scrap_reason=data["scrap_reason"],
            note=data["note"],
        )
        return _("Recorded: %(good)s good, %(scrap)s scrap.") % {
            "good": (data["good"] or Decimal(0)).normalize(),
            "scrap": (data["scrap"] or Decimal(0)).normalize(),
        }

    form = OutputForm(request.POST)
    return _with_form(request, wo, "output_form", form, call)


def _holding_location(wo: WorkOrder, lot: Lot) -> Location | None:
    """The location of the work order's site holding the most of the lot."""
    row = (
        StockEntry.objects.unscoped("stock of a lot the actor may use, at the actor's site")
        .filter(lot=lot, site_id=wo.site_id, location__is_active=True)
        .values("location_id")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
        .order_by("-total")
        .first()
    )
    if row is None:
        return None
    return selectors.site_locations(wo).filter(pk=row["location_id"]).first()


# Which field a refusal of the services concerns, by its code.
CONSUME_ERRORS = {
    "invalid_quantity": "quantity",
    "insufficient_stock": "quantity",
    "unit_mismatch": "unit",
    "wrong_site": "location",
    "not_your_lot": "code",
    "lot_blocked": "code",
}


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def consume(request: HttpRequest, pk: int) -> HttpResponse:
    """A lot used by the work, by its code (typed or scanned)."""
    wo = _acting(request, pk)
    actor = request_actor(request)
    locations = selectors.site_locations(wo) if wo.site_id else Location.objects.none()
    form = ConsumeForm(request.POST, locations=locations)
    if form.is_valid():
        data = form.cleaned_data
        lot = selectors.usable_lot(actor, data["code"])
        if lot is None:
            form.add_error("code", _("No lot with this code."))
        else:
            location = data["location"] or (_holding_location(wo, lot) if wo.site_id else None)
            if location is None:
                form.add_error(
                    "location" if wo.site_id else None,
                    _("Lot %(lot)s is not in stock at this site.") % {"lot": lot.code},
                )
            else:
                try:
                    services.consume_lot(
                        actor=actor,
                        work_order=wo,
                        lot=lot,
                        location=location,
                        quantity=data["quantity"],
                        unit=data["unit"],
                        scanned=data["scanned"],
                    )
                except ValidationError as exc:
                    code = getattr(exc, "code", "")
                    form.add_error(CONSUME_ERRORS.get(code), exc.messages[0])
                else:
                    messages.success(
                        request,
                        _("Lot %(lot)s: %(quantity)s used.")
                        % {"lot": lot.code, "quantity": data["quantity"].normalize()},
                    )
                    return HttpResponseRedirect(work_url(wo) + "#consume")
    return _render_work(request, wo, consume_form=form)


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo of the work (images only)."""
    wo = _acting(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if upload_was_refused(request):
        form.add_error("photo", too_large_message())
        return _render_work(request, wo, photo_form=form)

    def call(data: dict[str, Any]) -> str:
        services.add_photo(
            actor=request_actor(request),
            work_order=wo,
            upload=data["photo"],
            caption=data["caption"],
        )
        return _("The photo is added.")

    return _with_form(request, wo, "photo_form", form, call)


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def add_time(request: HttpRequest, pk: int) -> HttpResponse:
    """Minutes worked off the clock."""
    wo = _acting(request, pk)

    def call(data: dict[str, Any]) -> str:
        services.add_time(actor=request_actor(request), work_order=wo, minutes=data["minutes"])
        return _("%(minutes)s minutes added.") % {"minutes": data["minutes"]}

    return _with_form(request, wo, "time_form", TimeForm(request.POST), call)


FINISH_ERRORS = {
    "invalid_lot_code": "code",
    "lot_code_taken": "code",
    "invalid_quantity": "quantity",
    "unit_mismatch": "unit",
    "wrong_site": "location",
}


@access("member", perm="work.execute", object="pk", model="orders.WorkOrder", methods=("POST",))
@login_required
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    """Finish the work: what was made goes to stock as a new lot, made from the lots used."""
    wo = _acting(request, pk)
    actor = request_actor(request)
    if wo.site_id is None:
        messages.error(request, _("This work order is not assigned to a site yet."))
        return HttpResponseRedirect(work_url(wo))
    form = FinishForm(request.POST, items=_items(wo), locations=selectors.site_locations(wo))
    if form.is_valid():
        data = form.cleaned_data
        quantity = data["quantity"] or Decimal(0)
        outputs = []
        if quantity:
            outputs.append(
                Output(item=data["item"], quantity=quantity, unit=data["unit"], code=data["code"])
            )
        try:
            lots = services.finish_work(
                actor=actor, work_order=wo, location=data["location"], outputs=outputs
            )
        except ValidationError as exc:
            form.add_error(FINISH_ERRORS.get(getattr(exc, "code", "")), exc.messages[0])
        else:
            if lots:
                messages.success(
                    request,
                    _("%(ref)s is done. New lot: %(lots)s.")
                    % {"ref": wo.reference, "lots": ", ".join(lot.code for lot in lots)},
                )
            else:
                messages.success(request, _("%(ref)s is done.") % {"ref": wo.reference})
            return HttpResponseRedirect(work_url(wo))
    return _render_work(request, wo, finish_form=form)


@access("member", object="pk", model="orders.WorkOrder", methods=("GET",))
@login_required
def photos(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The photos of a work order; ``?photo=<id>`` answers one photo's bytes."""
    wo = _visible(request_actor(request), pk)
    rows = WorkPhoto.objects.unscoped("photos of a work order the caller may see").filter(
        work_order=wo
    )
    wanted = request.GET.get("photo", "")
    if wanted:
        found = rows.select_related("blob").filter(pk=wanted if wanted.isdigit() else 0).first()
        if found is None:
            raise Http404
        return blob_response(
            found.blob, f"{wo.reference}-{found.pk}.{found.blob.kind}", inline=True
        )
    return render(
        request,
        "production/photos.html",
        {"wo": wo, "photos": list(rows.select_related("taken_by").order_by("-taken_at"))},
    )


# ---------------------------------------------------------------- live progress (polled)


def _salt(request: HttpRequest) -> str:
    """What else the fragment depends on: the language and who reads it (links differ)."""
    return f"{get_language()}:{request_actor(request).user_id}"


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    header = request.headers.get("If-None-Match", "")
    if header and selectors.etag_matches(header, etag):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    return None


def _fragment(request: HttpRequest, template: str, context: dict[str, Any], etag: str) -> Any:
    response = render(request, template, context)
    response["ETag"] = etag
    # Revalidate every time: the ETag answers 304 while nothing changed.
    response["Cache-Control"] = "private, no-cache"
    return response


@access("member", object="pk", model="orders.Order", methods=("GET",))
@login_required
def order_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live progress of an order's work (customer read-only, coordinator, sites)."""
    actor = request_actor(request)
    order = get_visible_or_404(Order, actor, pk=pk)
    etag = selectors.order_etag(order, _salt(request))
    return not_modified(request, etag) or _fragment(
        request,
        "production/_progress_rows.html",
        order_progress_context(actor, order),
        etag,
    )


def order_progress_context(actor: Actor, order: Order) -> dict[str, Any]:
    rows = selectors.order_progress(order)
    openable = set(
        WorkOrder.objects.visible_to(actor).filter(order=order).values_list("pk", flat=True)
    )
    return {"rows": rows, "openable": openable, "now": timezone.now()}


@access("member", object="pk", model="orders.WorkOrder", methods=("GET",))
@login_required
def work_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live progress of one work order."""
    wo = _visible(request_actor(request), pk)
    etag = selectors.work_etag(wo, _salt(request))
    return not_modified(request, etag) or _fragment(
        request,
        "production/_progress_rows.html",
        {"rows": [selectors.progress_of(wo)], "openable": {wo.pk}, "now": timezone.now()},
        etag,
    )


@access("network", perm="plan.view", methods=("GET",))
@login_required
def floor_progress(request: HttpRequest) -> HttpResponse:
    """Work running or paused now, across the network (polled by the plan page)."""
    actor = request_actor(request)
    require(actor, "plan.view")
    etag = selectors.floor_etag(actor, _salt(request))
    return not_modified(request, etag) or _fragment(
        request, "production/_progress_rows.html", floor_progress_context(actor), etag
    )


def floor_progress_context(actor: Actor) -> dict[str, Any]:
    rows = selectors.floor_progress(actor)
    return {
        "rows": rows,
        "openable": {p.work_order.pk for p in rows},
        "now": timezone.now(),
        "show_order": True,
    }
