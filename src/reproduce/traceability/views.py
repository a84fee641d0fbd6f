"""Pages of traceability: find a lot, trace it up and down, recall lists, labels, passports.

Who sees what:

* ``trace`` — whoever may see the lot (``Lot.visible_to``: members of its owner, custodian
  or pool; network coordinators see every lot). Lots of the genealogy the reader may not see
  show as "a lot of another organisation", without code or detail.
* ``recall`` — the owner's managers (``stock.manage``); coordinators (``trace.network``) open
  the same list through ``recall_network`` (one declared policy per route, as the permission
  matrix checks them). ``?format=csv`` downloads it.
* ``labels`` (one lot), ``receipt_labels``, ``work_order_labels`` — members of an organisation
  that holds, owns or pools the lot (``organization.view``).
* ``passport`` and the persistent label addresses (``lot_link``, ``digital_link``) — anyone
  for a published passport; anything else answers 404 to everyone, whether the lot is private
  or does not exist.
* ``passport_settings`` — the owner's managers (``stock.manage``), with a preview of every
  part of the passport.
"""

from __future__ import annotations

import io
from typing import Any

from defusedcsv import csv as defusedcsv
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from reproduce.accounts.forms import add_service_errors
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, has_perm, require
from reproduce.designs.models import UNIT_SYMBOLS
from reproduce.inventory import services as stock
from reproduce.inventory.models import Lot, PassportField, Receipt, StockPool, TraceEventLot
from reproduce.orders.models import WorkOrder
from reproduce.traceability import labels, passports, selectors
from reproduce.traceability.forms import LabelForm, PassportForm, SearchForm
from reproduce.traceability.identifiers import gtin14, label_url
from reproduce.traceability.lookups import owned_lot, visible_lot

SEARCH_LIMIT = 20
HISTORY_LIMIT = 50


def _related_orgs(actor: Actor, lot: Lot) -> set[int]:
    """The actor's organisations that own, hold or pool the lot."""
    mine = set(actor.organization_ids)
    orgs = {lot.owner_id, lot.custodian_id} & mine
    if lot.pool_id is not None:
        orgs |= set(
            StockPool.members.through.objects.filter(
                stockpool_id=lot.pool_id, organization_id__in=list(mine)
            ).values_list("organization_id", flat=True)
        )
    return orgs


def may_print(actor: Actor, lot: Lot) -> bool:
    return any(has_perm(actor, "organization.view", org) for org in _related_orgs(actor, lot))


def may_recall(actor: Actor, lot: Lot) -> bool:
    return selectors.sees_everything(actor) or (
        lot.owner_id in actor.organization_ids and has_perm(actor, "stock.manage", lot.owner_id)
    )


def recall_url(actor: Actor, lot: Lot) -> str:
    if selectors.sees_everything(actor):
        return reverse("traceability:recall_network", args=[lot.code])
    return reverse("traceability:recall", args=[lot.code])


# ---------------------------------------------------------------- search


@access("authenticated")
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Type or scan a lot code (or a label's address): straight to its trace."""
    actor = request_actor(request)
    form = SearchForm(request.GET or None)
    matches: list[Lot] = []
    if form.is_valid():
        code = form.cleaned_data["code"]
        visible = Lot.objects.visible_to(actor).select_related("item", "owner")
        lot = visible.filter(code=code).first() or visible.filter(code__iexact=code).first()
        if lot is not None:
            return HttpResponseRedirect(reverse("traceability:trace", args=[lot.code]))
        matches = list(visible.filter(code__istartswith=code).order_by("code")[:SEARCH_LIMIT])
        if not matches:
            form.add_error("code", _("No lot with this code that you may see."))
    return render(
        request,
        "traceability/search.html",
        {"form": form, "matches": matches, "searched": form.is_bound},
    )


# ---------------------------------------------------------------- trace


def _history(actor: Actor, lot: Lot) -> list[dict[str, Any]]:
    rows = list(
        TraceEventLot.objects.unscoped("events of a lot the caller may see")
        .filter(lot=lot)
        .select_related("event__site")
        .order_by("-event__occurred_at", "-pk")[:HISTORY_LIMIT]
    )
    sites = selectors.visible_site_ids(actor, {r.event.site_id for r in rows})
    return [
        {
            "when": r.event.occurred_at,
            "step": r.event.get_biz_step_display(),
            "role": r.get_role_display(),
            "quantity": r.quantity,
            "unit": UNIT_SYMBOLS.get(r.unit or lot.unit, r.unit),
            "site": r.event.site.name if r.event.site_id in sites else "",
            "details": r.event.details,
        }
        for r in rows
    ]


@access("member", object="code", model="inventory.Lot")
@login_required
def trace(request: HttpRequest, code: str) -> HttpResponse:
    """Where the lot came from and where it went, each lot once."""
    actor = request_actor(request)
    lot = visible_lot(actor, code)
    found = selectors.trace(actor, lot)
    can_print = may_print(actor, lot)
    return render(
        request,
        "traceability/trace.html",
        {
            "lot": lot,
            "trace": found,
            "root": found.root,
            "history": _history(actor, lot),
            "recall_url": recall_url(actor, lot) if may_recall(actor, lot) else "",
            "can_print": can_print,
            "label_form": LabelForm() if can_print else None,
            "can_edit_passport": lot.owner_id in actor.organization_ids
            and has_perm(actor, "stock.manage", lot.owner_id),
            "label_url": label_url(lot),
        },
    )


# ---------------------------------------------------------------- recall


def _recall_page(request: HttpRequest, lot: Lot) -> HttpResponse:
    actor = request_actor(request)
    found = selectors.recall(actor, lot)
    if request.GET.get("format") == "csv":
        return _recall_csv(found)
    return render(
        request,
        "traceability/recall.html",
        {"lot": lot, "recall": found, "csv_url": request.path + "?format=csv"},
    )


@access("member", perm="stock.manage", object="code", model="inventory.Lot", methods=("GET",))
@login_required
def recall(request: HttpRequest, code: str) -> HttpResponse:
    """The owner's recall list: affected finished lots, where they are, who has them."""
    return _recall_page(request, owned_lot(request_actor(request), code, "stock.manage"))


@access("network", perm="trace.network", object="code", model="inventory.Lot")
@login_required
def recall_network(request: HttpRequest, code: str) -> HttpResponse:
    """The same list for a network coordinator, whoever owns the lot."""
    actor = request_actor(request)
    lot = visible_lot(actor, code)  # a missing lot is 404 for everyone
    require(actor, "trace.network")
    return _recall_page(request, lot)


RECALL_COLUMNS = [
    "lot",
    "item",
    "status",
    "on_hand",
    "unit",
    "where",
    "owner",
    "custodian",
    "work_order",
    "order",
    "customer",
    "shipped_to",
]


def _recall_csv(found: selectors.Recall) -> HttpResponse:
    """Machine-readable columns; cells a spreadsheet would run as a formula are neutralised."""
    buffer = io.StringIO()
    writer = defusedcsv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECALL_COLUMNS)
    for line in found.lines:
        lot = line.lot
        assert lot is not None
        where = "; ".join(
            f"{p.site_name or _('a site of another organisation')}"
            f"{' · ' + p.location if p.location else ''}: {p.quantity.normalize():f}"
            for p in line.places
        )
        writer.writerow(
            [
                lot.code,
                lot.item.name,
                lot.status,
                f"{line.on_hand.normalize():f}",
                lot.unit,
                where,
                lot.owner.name,
                lot.custodian.name,
                line.work_order,
                line.order,
                line.customer,
                "; ".join(line.shipped_to),
            ]
        )
    for _index in range(found.hidden):
        writer.writerow([_("a lot of another organisation")] + [""] * (len(RECALL_COLUMNS) - 1))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(True, f"recall-{found.root.code}.csv") or ""
    )
    return response


# ---------------------------------------------------------------- labels


def _label_options(request: HttpRequest) -> tuple[labels.Sheet, int, int]:
    # A field left out of the address keeps its default (?copies=3 alone is fine).
    form = LabelForm({"sheet": labels.DEFAULT_SHEET, "copies": 1, "start": 1, **request.GET.dict()})
    if form.is_valid():
        data = form.cleaned_data
        return labels.SHEETS[data["sheet"]], data["copies"], data["start"]
    return labels.SHEETS[labels.DEFAULT_SHEET], 1, 1


def _pdf(request: HttpRequest, lots: list[Lot], name: str) -> HttpResponse:
    sheet, copies, start = _label_options(request)
    pdf = labels.render_pdf(sheet, labels.labels_for(lots, copies=copies), start=start)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"labels-{name}.pdf") or ""
    return response


@access("member", perm="organization.view", object="code", model="inventory.Lot")
@login_required
def lot_labels(request: HttpRequest, code: str) -> HttpResponse:
    """The lot's label(s) as a PDF (``?sheet=L7160&copies=1&start=1``)."""
    actor = request_actor(request)
    lot = visible_lot(actor, code)
    if not may_print(actor, lot):
        raise PermissionDenied(_("Only the organisations holding this lot print its labels."))
    return _pdf(request, [lot], lot.code)


def _lots_of(actor: Actor, **lookup: Any) -> list[Lot]:
    return list(
        Lot.objects.visible_to(actor)
        .filter(**lookup)
        .select_related("item", "owner")
        .order_by("code")
    )


@access("member", perm="organization.view", object="pk", model="inventory.Receipt")
@login_required
def receipt_labels(request: HttpRequest, pk: int) -> HttpResponse:
    """A sheet with the labels of every lot of one receipt."""
    actor = request_actor(request)
    receipt = get_visible_or_404(Receipt, actor, pk=pk)
    require(actor, "organization.view", receipt.site.organization_id)
    return _pdf(request, _lots_of(actor, receipt=receipt), receipt.reference)


@access("member", perm="organization.view", object="pk", model="orders.WorkOrder")
@login_required
def work_order_labels(request: HttpRequest, pk: int) -> HttpResponse:
    """A sheet with the labels of every lot a work order produced."""
    actor = request_actor(request)
    work_order = get_visible_or_404(WorkOrder, actor, pk=pk)
    if work_order.site is not None:
        orgs = {work_order.site.organization_id}
    else:  # offered, not taken yet: the organisations it was offered to
        orgs = set(work_order.offers.values_list("organization_id", flat=True))
    if not any(has_perm(actor, "organization.view", org) for org in orgs):
        raise PermissionDenied(_("Only the workshop doing this work prints its labels."))
    return _pdf(request, _lots_of(actor, work_order=work_order), work_order.reference)


# ---------------------------------------------------------------- passports


def _passport_response(request: HttpRequest, lot: Lot | None) -> HttpResponse:
    granted = passports.public_access(lot) if lot is not None else None
    if lot is None or granted is None:
        raise Http404
    actor = request_actor(request)
    data = passports.build(lot, granted)
    return render(
        request,
        "traceability/passport.html",
        {
            "lot": lot,
            "passport": data,
            "shown": set(data["shown_parts"]),
            "published": set(data["published_parts"]),
            "can_edit": lot.owner_id in actor.organization_ids
            and has_perm(actor, "stock.manage", lot.owner_id),
            "can_trace": actor.is_authenticated and bool(selectors.visible_ids(actor, [lot.pk])),
        },
    )


@access("public", object="code", model="inventory.Lot")
def passport(request: HttpRequest, code: str) -> HttpResponse:
    """The public passport of a lot (a preview of every part for its owner)."""
    return _passport_response(request, passports.find_lot(code))


@access("public", object="code", model="inventory.Lot")
def lot_link(request: HttpRequest, code: str) -> HttpResponse:
    """``/lot/<code>``: the address printed on labels of lots without a GTIN."""
    return _passport_response(request, passports.find_lot(code))


@access("public", object="lot_code", model="inventory.Lot")
def digital_link(request: HttpRequest, gtin: str, lot_code: str) -> HttpResponse:
    """``/01/<gtin>/10/<lot>`` (GS1 Digital Link): the passport, if the GTIN is the lot's."""
    found = passports.find_lot(lot_code)
    if found is None or not found.gtin or gtin14(found.gtin) != gtin.zfill(14):
        raise Http404
    return _passport_response(request, found)


@access("member", perm="stock.manage", object="code", model="inventory.Lot")
@login_required
def passport_settings(request: HttpRequest, code: str) -> HttpResponse:
    """The owner chooses what of the passport is public, and writes care and end-of-life."""
    actor = request_actor(request)
    lot = owned_lot(actor, code, "stock.manage")
    initial = {
        "public": lot.passport_public,
        "parts": list(lot.passport_fields or []),
        "care": lot.care_instructions,
        "repair": lot.repair_instructions,
        "disposal": lot.disposal_instructions,
    }
    form = PassportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stock.set_passport(
                actor=actor,
                lot=lot,
                public=data["public"],
                fields=data["parts"],
                care=data["care"],
                repair=data["repair"],
                disposal=data["disposal"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The passport settings are saved."))
            return HttpResponseRedirect(reverse("traceability:passport_settings", args=[lot.code]))
    return render(
        request,
        "traceability/passport_settings.html",
        {
            "lot": lot,
            "form": form,
            "part_help": passports.PART_HELP,
            "passport": passports.build(lot, passports.preview_access()),
            "published": set(lot.public_fields()),
            "shown": set(PassportField.values),
            "passport_url": reverse("traceability:passport", args=[lot.code]),
            "label_url": label_url(lot),
        },
    )
