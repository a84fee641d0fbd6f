"""Pages of the stock: what is on hand, receiving, lots and what is done with them, transfers
between sites, locations, pools and unit conversions.

Every page is for members of an organisation (the stock of one's own sites, one's own lots
held elsewhere, and the lots of the pools one belongs to). Lots are named by their code; a
lot of another organisation answers 404 whether it exists or not. Acting on a lot needs the
permission (``stock.move``, ``stock.receive``, ``stock.manage``) in an organisation that owns,
holds or shares it (403 otherwise), and the services check it again at the location.

Every write goes through ``inventory.services``; a refusal is shown next to the field it
concerns with everything typed kept, and every successful POST redirects. Receiving and
shipping carry a one-time form token: a double click creates one receipt, one transfer.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.forms import formset_factory
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, has_perm
from reproduce.designs.edit_views import number, run_once, show_refusal
from reproduce.designs.models import UNIT_SYMBOLS, Item
from reproduce.files.errors import FileRejected
from reproduce.files.http import blob_response
from reproduce.files.uploads import too_large_message, upload_was_refused
from reproduce.inventory import selectors, services
from reproduce.inventory.forms import (
    MAX_LINES,
    AdjustForm,
    BaseLineFormSet,
    CertificateForm,
    ConversionForm,
    InspectionForm,
    ItemForm,
    LocationEditForm,
    LocationForm,
    LotLineForm,
    LotLineFormSet,
    MoveForm,
    PoolForm,
    ReceiptForm,
    ReserveForm,
    ScrapForm,
    ShipForm,
    ShipLineForm,
    ShipLineFormSet,
    StockFilterForm,
    TransferReceiveForm,
    owner_choices,
)
from reproduce.inventory.models import (
    BizStep,
    ItemConversion,
    Location,
    Lot,
    Receipt,
    Reservation,
    StockBalance,
    StockEntry,
    StockPool,
    TraceEvent,
    Transfer,
    TransferState,
)
from reproduce.inventory.selectors import (
    StockRow,
    acting_orgs,
    balances,
    lot_for,
    my_lots,
    my_pools,
    stock_balances,
    stock_rows,
    visible_lot,
)
from reproduce.inventory.services import FIXED_CONVERSIONS, MILLI, InventoryError, LotInput
from reproduce.network.manage_forms import organizations_where
from reproduce.network.models import Site
from reproduce.orders.models import WorkOrder, WorkOrderState

PAGE_SIZE = 50
LEDGER_LIMIT = 200
LINES_PREFIX = "line"
LINE_FIELDS = [n for n in LotLineForm.base_fields if n != "certificates"]
# Which field of a receiving line a refusal of the services concerns, by its code.
LINE_ERRORS = {
    "invalid_lot_code": "code",
    "lot_code_taken": "code",
    "invalid_gtin": "gtin",
    "invalid_quantity": "quantity",
    "not_pool_member": "owner",
    "item_exists": "new_item",
    "name_required": "new_item",
    "invalid_kind": "new_item",
}
MOVE_ERRORS = {
    "other_site": "to_location",
    "same_location": "to_location",
    "insufficient_stock": "quantity",
    "invalid_quantity": "quantity",
    "unit_mismatch": "unit",
    "lot_blocked": "location",
}
TAKE_ERRORS = {
    "insufficient_stock": "quantity",
    "invalid_quantity": "quantity",
    "unit_mismatch": "unit",
    "reason_required": "reason",
    "lot_blocked": "location",
}
SHIP_ERRORS = {"same_site": "to_site"}
CONVERSION_ERRORS = {
    "invalid_unit": "to_unit",
    "fixed_conversion": "to_unit",
    "invalid_factor": "factor",
}
CERTIFICATE_EXTENSIONS = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "webp": "webp"}
ACTIVE_WORK = (WorkOrderState.ACCEPTED, WorkOrderState.IN_PROGRESS)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _require_member(actor: Actor) -> list[int]:
    """Stock pages are for members of an organisation: the ids of their organisations."""
    if not actor.memberships:
        raise PermissionDenied(_("Only members of an organisation can do this."))
    return sorted(actor.organization_ids)


def _orgs_with(actor: Actor, perm: str) -> list[int]:
    """The actor's organisations where they hold ``perm``; 403 when there is none."""
    ids = organizations_where(actor, perm)
    if not ids:
        raise PermissionDenied(_("You do not have the permission to do this."))
    return ids


def qty(value: Decimal | None) -> Decimal | None:
    """A quantity to show: exact to the gram (see ``services._exact``), no trailing zeros."""
    return number(value.quantize(MILLI)) if value is not None else None


def symbol(unit: str) -> str:
    return UNIT_SYMBOLS.get(unit, unit)


def optional_url(name: str, *args: Any) -> str:
    """The address of a page of another part of the platform, or "" while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def lot_url(lot: Lot) -> str:
    return reverse("inventory:lot", args=[lot.code])


def _refuse_on(form: Any, exc: ValidationError, fields: dict[str, str]) -> None:
    show_refusal(form, exc, fields, file_field="documents")


# ---------------------------------------------------------------- reads


# ---------------------------------------------------------------- the stock home


@access("member")
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Stock on hand at my sites, per site, location and lot, with filters."""
    actor = request_actor(request)
    orgs = _require_member(actor)
    sites = Site.objects.owned_by(orgs).order_by("name")
    items = Item.objects.unscoped("items of the lots the actor may see").filter(
        pk__in=my_lots(actor).values("item")
    )
    form = StockFilterForm(request.GET or None, sites=sites, items=items.order_by("name"))
    entries = stock_balances(actor)
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("site"):
        entries = entries.filter(site=filters["site"])
    if filters.get("item"):
        entries = entries.filter(lot__item=filters["item"])
    if filters.get("status"):
        entries = entries.filter(lot__status=filters["status"])
    if filters.get("q"):
        entries = entries.filter(lot__code__icontains=filters["q"].strip())
    page = Paginator(balances(entries), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inventory/home.html",
        {
            "form": form,
            "page": page,
            "rows": stock_rows(list(page.object_list)),
            "totals": [{**t, "unit": symbol(t["unit"])} for t in selectors.item_totals(entries)],
            "query": query.urlencode(),
            "filtered": any(filters.values()),
            "can_receive": bool(organizations_where(actor, "stock.receive")),
            "can_move": bool(organizations_where(actor, "stock.move")),
        },
    )


# ---------------------------------------------------------------- locations


def _location_counts(location_ids: list[int]) -> dict[int, int]:
    rows = (
        StockEntry.objects.unscoped("stock of the actor's locations")
        .filter(location__in=location_ids)
        .values("location", "lot")
        .annotate(quantity=Sum("quantity"))
        .exclude(quantity=0)
        .order_by()
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["location"]] = counts.get(row["location"], 0) + 1
    return counts


@access("member")
@login_required
def locations(request: HttpRequest) -> HttpResponse:
    """Stock locations of my sites, with how many lots each holds."""
    actor = request_actor(request)
    orgs = _require_member(actor)
    rows = list(
        Location.objects.owned_by(orgs)
        .select_related("site")
        .order_by("site__name", "-is_active", "code")
    )
    counts = _location_counts([loc.pk for loc in rows])
    manage = set(organizations_where(actor, "stock.manage"))
    for loc in rows:
        loc.lot_count = counts.get(loc.pk, 0)  # type: ignore[attr-defined]
        loc.can_edit = loc.site.organization_id in manage  # type: ignore[attr-defined]
    return render(
        request,
        "inventory/locations.html",
        {"locations": rows, "can_manage": bool(manage)},
    )


def _manageable_sites(actor: Actor) -> QuerySet[Site]:
    return Site.objects.owned_by(_orgs_with(actor, "stock.manage")).order_by("name")


@access("member", perm="stock.manage")
@login_required
def location_new(request: HttpRequest) -> HttpResponse:
    """A new stock location in one of my sites."""
    actor = request_actor(request)
    sites = _manageable_sites(actor)
    initial = {"site": request.GET.get("site")} if request.GET.get("site") else {}
    form = LocationForm(_data(request), sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            location = services.create_location(
                actor=actor,
                site=data["site"],
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
            )
        except ValidationError as exc:
            _refuse_on(form, exc, {})
        else:
            messages.success(request, _("Location %(code)s was created.") % {"code": location.code})
            return redirect("inventory:locations")
    return render(request, "inventory/location_form.html", {"form": form, "location": None})


@access("member", perm="stock.manage", object="pk", model="inventory.Location")
@login_required
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a location, change its kind, or take it out of use."""
    actor = request_actor(request)
    location = _get(Location.objects.visible_to(actor).select_related("site"), pk=pk)
    _require(actor, "stock.manage", location.site.organization_id)
    form = LocationEditForm(
        _data(request),
        initial={"name": location.name, "kind": location.kind, "is_active": location.is_active},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_location(
                actor=actor,
                location=location,
                name=data["name"],
                kind=data["kind"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            _refuse_on(form, exc, {"location_not_empty": "is_active"})
        else:
            messages.success(request, _("The location was saved."))
            return redirect("inventory:locations")
    return render(request, "inventory/location_form.html", {"form": form, "location": location})


def _get(queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        obj = queryset.filter(**lookup).first()
    except (ValueError, TypeError) as exc:
        raise Http404 from exc
    if obj is None:
        raise Http404
    return obj


def _require(actor: Actor, perm: str, organization_id: int) -> None:
    if not has_perm(actor, perm, organization_id):
        raise PermissionDenied(_("You do not have the permission to do this."))


# ---------------------------------------------------------------- pools


@access("member")
@login_required
def pools(request: HttpRequest) -> HttpResponse:
    """Stock pools my organisations keep or belong to, with their members."""
    actor = request_actor(request)
    _require_member(actor)
    rows = (
        my_pools(actor)
        .select_related("organization")
        .prefetch_related("members")
        .annotate(lot_count=Count("lots", distinct=True))
        .order_by("name")
    )
    return render(
        request,
        "inventory/pools.html",
        {"pools": rows, "can_manage": bool(organizations_where(actor, "stock.manage"))},
    )


@access("member", perm="stock.manage")
@login_required
def pool_new(request: HttpRequest) -> HttpResponse:
    """A pool of stock kept by one of my organisations for several members."""
    actor = request_actor(request)
    custodians = Organization.objects.filter(pk__in=_orgs_with(actor, "stock.manage")).order_by(
        "name"
    )
    form = PoolForm(_data(request), custodians=custodians)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                pool = services.create_pool(
                    actor=actor,
                    custodian=data["custodian"],
                    name=data["name"],
                    members=list(data["members"]),
                    description=data["description"],
                )
        except ValidationError as exc:
            _refuse_on(form, exc, {})
        else:
            messages.success(request, _("The pool %(name)s was created.") % {"name": pool.name})
            return redirect("inventory:pools")
    return render(request, "inventory/pool_form.html", {"form": form})


# ---------------------------------------------------------------- items and conversions


@access("member", perm="stock.receive")
@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    """A material or bought part to receive (then back to the receiving form)."""
    actor = request_actor(request)
    organizations = Organization.objects.filter(pk__in=_orgs_with(actor, "stock.receive"))
    form = ItemForm(_data(request), organizations=organizations.order_by("name"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.create_item(
                actor=actor,
                organization=data["organization"],
                name=data["name"],
                kind=data["kind"],
                default_unit=data["default_unit"],
                specification=data["specification"],
                supplier=data["supplier"],
                is_recycled=data["is_recycled"],
            )
        except ValidationError as exc:
            _refuse_on(form, exc, {"item_exists": "name", "name_required": "name"})
        else:
            messages.success(request, _("%(name)s was added to your items.") % {"name": item.name})
            return redirect(reverse("inventory:receive") + f"?item={item.pk}")
    return render(request, "inventory/item_form.html", {"form": form})


@access("member", perm="stock.manage")
@login_required
def conversions(request: HttpRequest) -> HttpResponse:
    """Unit conversions of my items (1 sheet = 0.004 kg) and a form to add one."""
    actor = request_actor(request)
    orgs = _orgs_with(actor, "stock.manage")
    items = Item.objects.owned_by(orgs).order_by("name")
    if request.method == "POST" and "remove" in request.POST:
        return _remove_conversion(request, actor, orgs)
    form = ConversionForm(_data(request), items=items, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.set_conversion(
                actor=actor,
                item=data["item"],
                from_unit=data["from_unit"],
                to_unit=data["to_unit"],
                factor=data["factor"],
            )
        except ValidationError as exc:
            _refuse_on(form, exc, CONVERSION_ERRORS)
        else:
            messages.success(request, _("The conversion was saved."))
            return redirect("inventory:conversions")
    rows = ItemConversion.objects.owned_by(orgs).select_related("item").order_by("item__name")
    return render(
        request,
        "inventory/conversions.html",
        {
            "form": form,
            "conversions": [
                {
                    "obj": c,
                    "from": symbol(c.from_unit),
                    "to": symbol(c.to_unit),
                    "factor": qty(c.factor),
                }
                for c in rows
            ],
            "fixed": [(symbol(a), qty(f), symbol(b)) for (a, b), f in FIXED_CONVERSIONS.items()],
        },
    )


def _remove_conversion(request: HttpRequest, actor: Actor, orgs: list[int]) -> HttpResponse:
    conversion = _get(
        ItemConversion.objects.owned_by(orgs).select_related("item"),
        pk=request.POST.get("remove", "").strip() or 0,
    )
    services.remove_conversion(actor=actor, conversion=conversion)
    messages.success(request, _("The conversion was removed."))
    return redirect("inventory:conversions")


# ---------------------------------------------------------------- receiving


def _rows_from_post(data: Any, prefix: str, fields: list[str]) -> list[dict[str, Any]]:
    """The lines a person typed, kept as typed (to show them again with one more line)."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 20)
    except ValueError:
        total = 0
    rows = []
    for i in range(total):
        row = {k: data.get(f"{prefix}-{i}-{k}", "") for k in fields}
        if any(v for k, v in row.items() if k != "origin"):
            rows.append(row)
    return rows


def _receiving_choices(actor: Actor) -> dict[str, Any]:
    orgs = _orgs_with(actor, "stock.receive")
    pools = list(
        StockPool.objects.unscoped("pools the receiving organisations belong to")
        .filter(
            Exists(
                StockPool.members.through.objects.filter(
                    stockpool=OuterRef("pk"), organization__in=orgs
                )
            )
        )
        .select_related("organization")
        .order_by("name")
    )
    return {
        "orgs": orgs,
        "locations": Location.objects.owned_by(orgs)
        .filter(is_active=True)
        .select_related("site")
        .order_by("site__name", "code"),
        "items": Item.objects.owned_by(orgs).order_by("name"),
        "pools": {p.pk: p for p in pools},
        "owners": owner_choices(pools),
    }


def _line_kwargs(choices: dict[str, Any]) -> dict[str, Any]:
    return {"items": choices["items"], "owners": choices["owners"]}


@access("member", perm="stock.receive")
@login_required
def receive(request: HttpRequest) -> HttpResponse:
    """Receive a delivery: one lot per line, with its origin, checks and certificates."""
    actor = request_actor(request)
    choices = _receiving_choices(actor)
    kwargs = _line_kwargs(choices)
    if request.method == "POST" and "add_line" in request.POST:
        # Without JavaScript: everything typed comes back with one more line; nothing saved.
        header = ReceiptForm(
            initial={k: request.POST.get(k, "") for k in ReceiptForm.base_fields},
            locations=choices["locations"],
        )
        rows = _rows_from_post(request.POST, LINES_PREFIX, LINE_FIELDS)
        formset = _formset_with_extra(rows, kwargs)
        messages.info(request, _("A line was added. Files must be chosen again."))
    elif request.method == "POST":
        header = ReceiptForm(request.POST, locations=choices["locations"])
        formset = LotLineFormSet(
            request.POST, request.FILES, prefix=LINES_PREFIX, form_kwargs=kwargs
        )
        if upload_was_refused(request):
            header.add_error(None, too_large_message())
        elif header.is_valid() and formset.is_valid():
            response = _receive_once(request, actor, header, formset, choices)
            if response is not None:
                return response
    else:
        initial = {"location": request.GET.get("location")} if request.GET.get("location") else {}
        header = ReceiptForm(initial=initial, locations=choices["locations"])
        line = {"item": request.GET.get("item")} if request.GET.get("item") else {}
        formset = LotLineFormSet(prefix=LINES_PREFIX, form_kwargs=kwargs, initial=[line])
    return render(
        request,
        "inventory/receive.html",
        {"form": header, "formset": formset, "has_locations": choices["locations"].exists()},
    )


def _formset_with_extra(rows: list[dict[str, Any]], kwargs: dict[str, Any]) -> Any:
    cls = formset_factory(
        LotLineForm, formset=BaseLineFormSet, extra=1, max_num=MAX_LINES, validate_max=True
    )
    return cls(prefix=LINES_PREFIX, form_kwargs=kwargs, initial=rows)


def _receive_once(
    request: HttpRequest,
    actor: Actor,
    header: ReceiptForm,
    formset: Any,
    choices: dict[str, Any],
) -> HttpResponse | None:
    data = header.cleaned_data
    location = data["location"]
    forms = [f for f in formset.forms if f.cleaned_data]
    for form in forms:
        item = form.cleaned_data.get("item")
        if item is not None and item.organization_id != location.site.organization_id:
            form.add_error("item", _("This item belongs to another organisation than the site."))
    if any(f.errors for f in forms):
        return None
    current: list[Any] = [None]

    def action() -> str:
        lines = []
        for form in forms:
            current[0] = form
            line = _lot_input(actor, location, form.cleaned_data, choices["pools"])
            services.check_line(line, location.site.organization_id)
            lines.append(line)
        current[0] = None
        receipt = services.receive(
            actor=actor,
            location=location,
            supplier=data["supplier"],
            lines=lines,
            delivery_note=data["delivery_note"],
            received_at=data["received_at"],
            note=data["note"],
        )
        messages.success(
            request,
            _("Delivery %(ref)s received: %(count)s lot(s).")
            % {"ref": receipt.reference, "count": len(lines)},
        )
        return reverse("inventory:receipt", args=[receipt.pk])

    try:
        return run_once(request, data.get("form_token", ""), action)
    except ValidationError as exc:
        form = current[0]
        if form is None:
            show_refusal(header, exc)
        elif isinstance(exc, FileRejected):
            form.add_error("certificates", exc)
        else:
            show_refusal(form, exc, LINE_ERRORS)
        return None


def _lot_input(
    actor: Actor, location: Location, data: dict[str, Any], pools: dict[int, StockPool]
) -> LotInput:
    """One line of the form as the service takes it; creates a new material if named."""
    item = data.get("item")
    if item is None:
        organization = location.site.organization
        name = data["new_item"].strip()
        item = Item.objects.owned_by(organization).filter(name__iexact=name).first()
        if item is None:
            item = services.create_item(
                actor=actor,
                organization=organization,
                name=name,
                default_unit=data.get("unit") or "KGM",
                is_recycled=data["origin"] == "secondary",
            )
    owner, pool = None, None
    if data.get("owner", "").startswith("pool-"):
        pool = pools.get(int(data["owner"].removeprefix("pool-")))
        if pool is None:
            raise InventoryError(_("Choose a pool from the list."), code="not_pool_member")
        owner = pool.organization
    certificates = [
        services.store_certificate(upload, upload.name) for upload in data.get("certificates", [])
    ]
    return LotInput(
        item=item,
        quantity=data["quantity"],
        unit=data.get("unit") or "",
        code=data.get("code", ""),
        origin=data["origin"],
        supplier=data.get("supplier", ""),
        collection_source=data.get("collection_source", ""),
        composition=data["composition"],
        contaminant_checks=data["checks"],
        grade=data.get("grade", ""),
        recycled_share=data.get("recycled_share"),
        gtin=data.get("gtin", ""),
        owner=owner,
        pool=pool,
        certificates=certificates,
    )


@access("member", object="pk", model="inventory.Receipt")
@login_required
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A delivery received: its lots, with links to each."""
    actor = request_actor(request)
    obj = _get(Receipt.objects.visible_to(actor).select_related("site", "received_by"), pk=pk)
    lots = list(
        obj.lots.select_related("item", "owner", "pool").order_by("pk")  # type: ignore[attr-defined]
    )
    quantities = {
        e["lot"]: e["total"]
        for e in StockEntry.objects.unscoped("entries of this receipt's lots")
        .filter(lot__in=[lot.pk for lot in lots], kind="receipt")
        .values("lot")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    for lot in lots:
        lot.received = qty(quantities.get(lot.pk))  # type: ignore[attr-defined]
        lot.unit_symbol = symbol(lot.unit)  # type: ignore[attr-defined]
    return render(
        request,
        "inventory/receipt.html",
        {
            "receipt": obj,
            "lots": lots,
            "labels_url": optional_url("traceability:receipt_labels", obj.pk),
            "can_receive": has_perm(actor, "stock.receive", obj.site.organization_id),
        },
    )


# ---------------------------------------------------------------- one lot


def _where(lot: Lot) -> list[dict[str, Any]]:
    """Where the lot is now: locations with a balance (positive first)."""
    rows = selectors.lot_on_hand(lot)
    by_id = (
        Location.objects.unscoped("locations of a lot the caller may see")
        .select_related("site")
        .in_bulk([r["location"] for r in rows])
    )
    return [
        {"location": by_id[r["location"]], "quantity": qty(r["quantity"])}
        for r in sorted(rows, key=lambda r: -r["quantity"])
    ]


def _lot_locations(actor: Actor, lot: Lot, perm: str) -> QuerySet[Location]:
    """Locations holding the lot, at sites of organisations where the actor has ``perm``."""
    held = [r["location"] for r in selectors.lot_on_hand(lot) if r["quantity"] > 0]
    return (
        Location.objects.owned_by(organizations_where(actor, perm))
        .filter(pk__in=held)
        .select_related("site")
        .order_by("site__name", "code")
    )


def _unit_choices(lot: Lot) -> list[tuple[str, str]]:
    """The lot's unit first, then the units it converts to (fixed ones and the item's)."""
    units = [("", symbol(lot.unit))]
    others = {b for (a, b) in FIXED_CONVERSIONS if a == lot.unit}
    others |= {a for (a, b) in FIXED_CONVERSIONS if b == lot.unit}
    for c in ItemConversion.objects.owned_by(lot.item.organization_id).filter(item=lot.item):
        others |= {c.from_unit, c.to_unit}
    others.discard(lot.unit)
    return units + [(u, symbol(u)) for u in sorted(others)]


def _lot_actions(actor: Actor, lot: Lot) -> dict[str, bool]:
    return {
        "move": bool(acting_orgs(actor, lot, "stock.move")),
        "receive": bool(acting_orgs(actor, lot, "stock.receive")),
        "manage": bool(acting_orgs(actor, lot, "stock.manage")),
    }


@access("member", object="code", model="inventory.Lot")
@login_required
def lot_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Everything about a lot: its facts, where it is, its ledger and reservations."""
    actor = request_actor(request)
    obj = visible_lot(actor, code)
    entries = list(
        obj.entries.select_related(
            "location__site", "recorded_by", "work_order", "transfer"
        ).order_by("-recorded_at", "-pk")[:LEDGER_LIMIT]
    )
    for entry in entries:
        entry.amount = qty(entry.quantity)  # type: ignore[attr-defined]
    reservations = list(
        obj.reservations.select_related("location__site", "work_order").order_by(
            "state", "-created_at"
        )
    )
    for reservation in reservations:
        reservation.amount = qty(reservation.quantity)  # type: ignore[attr-defined]
    mine = Lot.objects.visible_to(actor)
    context = {
        "lot": obj,
        "unit": symbol(obj.unit),
        "total": qty(selectors.total_on_hand(obj)),
        "where": _where(obj),
        "entries": entries,
        "entries_cut": len(entries) == LEDGER_LIMIT,
        "reservations": reservations,
        "certificates": list(obj.certificates.order_by("pk")),
        "parents": mine.filter(child_links__child=obj).select_related("item").distinct(),
        "children": mine.filter(parent_links__parent=obj).select_related("item").distinct(),
        "inspections": TraceEvent.objects.visible_to(actor)
        .filter(lots__lot=obj, biz_step=BizStep.INSPECTING)
        .order_by("-occurred_at"),
        "can": _lot_actions(actor, obj),
        "trace_url": optional_url("traceability:trace", obj.code),
        "passport_url": optional_url("traceability:passport_settings", obj.code),
        "labels_url": optional_url("traceability:labels", obj.code),
        "composition": [
            {"material": c.get("material"), "share": qty(Decimal(str(c.get("share", 0))))}
            for c in obj.composition
        ],
    }
    return render(request, "inventory/lot.html", context)


@access("member", object="code", model="inventory.Lot")
@login_required
def certificate(request: HttpRequest, code: str) -> HttpResponseBase:
    """The lot's certificates; ``?n=1`` shows the first one in the browser."""
    obj = visible_lot(request_actor(request), code)
    blobs = list(obj.certificates.order_by("pk"))
    if "n" not in request.GET:
        return render(
            request,
            "inventory/certificates.html",
            {
                "lot": obj,
                "certificates": blobs,
                "can_add": bool(acting_orgs(request_actor(request), obj, "stock.receive")),
            },
        )
    try:
        n = int(request.GET["n"])
    except ValueError as exc:
        raise Http404 from exc
    if not 1 <= n <= len(blobs):
        raise Http404
    blob = blobs[n - 1]
    extension = CERTIFICATE_EXTENSIONS.get(blob.kind, "bin")
    return blob_response(blob, f"{obj.code}-certificate-{n}.{extension}", inline=True)


def _lot_page(
    request: HttpRequest,
    lot: Lot,
    form: Any,
    *,
    title: str,
    intro: str,
    button: str,
    template: str = "inventory/lot_action.html",
    **extra: Any,
) -> HttpResponse:
    context = {
        "lot": lot,
        "form": form,
        "title": title,
        "intro": intro,
        "button": button,
        "unit": symbol(lot.unit),
        "where": _where(lot),
        **extra,
    }
    return render(request, template, context)


def _act(
    request: HttpRequest,
    form: Any,
    action: Callable[[], str],
    fields: dict[str, str],
    lot: Lot,
) -> HttpResponse | None:
    """Validate, run the service call (returns the success message); None to show the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            text = action()
    except ValidationError as exc:
        _refuse_on(form, exc, fields)
        return None
    messages.success(request, text)
    return redirect(lot_url(lot))


@access("member", perm="stock.receive", object="code", model="inventory.Lot")
@login_required
def inspect(request: HttpRequest, code: str) -> HttpResponse:
    """Record contaminant checks and a grade: a failed check blocks the lot, a pass frees a
    lot in quarantine."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.receive", shared=False)
    form = InspectionForm(_data(request))

    def action() -> str:
        data = form.cleaned_data
        services.record_inspection(
            actor=actor, lot=obj, checks=data["checks"], grade=data["grade"], note=data["note"]
        )
        obj.refresh_from_db()
        return _("Inspection recorded: lot %(lot)s is now “%(status)s”.") % {
            "lot": obj.code,
            "status": obj.get_status_display(),
        }

    response = _act(request, form, action, {"invalid_check": "check_0"}, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Inspect lot %(lot)s") % {"lot": obj.code},
        intro=_("A failed check blocks the lot; passing checks release a lot in quarantine."),
        button=_("Record the inspection"),
        template="inventory/inspect.html",
    )


@access("member", perm="stock.move", object="code", model="inventory.Lot")
@login_required
def move(request: HttpRequest, code: str) -> HttpResponse:
    """Move stock of the lot to another location of the same site."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.move", shared=False)
    sources = _lot_locations(actor, obj, "stock.move")
    targets = (
        Location.objects.owned_by(organizations_where(actor, "stock.move"))
        .filter(is_active=True, site__in=sources.values("site"))
        .select_related("site")
        .order_by("site__name", "code")
    )
    form = MoveForm(_data(request), locations=sources, targets=targets, units=_unit_choices(obj))

    def action() -> str:
        data = form.cleaned_data
        services.move(
            actor=actor,
            lot=obj,
            from_location=data["location"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            unit=data["unit"],
        )
        return _("Moved to %(location)s.") % {"location": data["to_location"].code}

    response = _act(request, form, action, MOVE_ERRORS, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Move lot %(lot)s") % {"lot": obj.code},
        intro=_("Between two sites, ship a transfer instead."),
        button=_("Move"),
        empty=not sources,
    )


@access("member", perm="stock.move", object="code", model="inventory.Lot")
@login_required
def scrap(request: HttpRequest, code: str) -> HttpResponse:
    """Take stock out as waste, saying why."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.move", shared=False)
    sources = _lot_locations(actor, obj, "stock.move")
    form = ScrapForm(_data(request), locations=sources, units=_unit_choices(obj))

    def action() -> str:
        data = form.cleaned_data
        services.consume(
            actor=actor,
            lot=obj,
            location=data["location"],
            quantity=data["quantity"],
            unit=data["unit"],
            reason=data["reason"],
        )
        return _("The scrap was recorded.")

    response = _act(request, form, action, TAKE_ERRORS, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Scrap from lot %(lot)s") % {"lot": obj.code},
        intro=_("Scrapped stock leaves the ledger with its reason; it cannot be undone."),
        button=_("Scrap"),
        empty=not sources,
    )


@access("member", perm="stock.manage", object="code", model="inventory.Lot")
@login_required
def adjust(request: HttpRequest, code: str) -> HttpResponse:
    """Correct the stock after a count (managers), with a reason."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.manage", shared=False)
    locations = (
        Location.objects.owned_by(organizations_where(actor, "stock.manage"))
        .filter(is_active=True)
        .select_related("site")
        .order_by("site__name", "code")
    )
    form = AdjustForm(_data(request), locations=locations)

    def action() -> str:
        data = form.cleaned_data
        services.adjust(
            actor=actor,
            lot=obj,
            location=data["location"],
            quantity=data["quantity"],
            reason=data["reason"],
        )
        return _("The correction was recorded.")

    response = _act(request, form, action, TAKE_ERRORS, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Correct the stock of lot %(lot)s") % {"lot": obj.code},
        intro=_("The ledger keeps the correction and its reason: nothing is overwritten."),
        button=_("Record the correction"),
        empty=not locations,
    )


@access("member", perm="stock.move", object="code", model="inventory.Lot")
@login_required
def reserve(request: HttpRequest, code: str) -> HttpResponse:
    """Keep stock of the lot for a work order of my sites."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.move", shared=False)
    sources = _lot_locations(actor, obj, "stock.move")
    work_orders = (
        WorkOrder.objects.visible_to(actor)
        .filter(
            site__organization__in=organizations_where(actor, "stock.move"), state__in=ACTIVE_WORK
        )
        .select_related("site")
        .order_by("due_at", "reference")
    )
    form = ReserveForm(
        _data(request),
        locations=sources,
        work_orders=work_orders,
        units=_unit_choices(obj),
        initial={"work_order": request.GET.get("work_order")},
    )

    def action() -> str:
        data = form.cleaned_data
        services.reserve(
            actor=actor,
            lot=obj,
            location=data["location"],
            work_order=data["work_order"],
            quantity=data["quantity"],
            unit=data["unit"],
        )
        return _("Reserved for %(wo)s.") % {"wo": data["work_order"].reference}

    response = _act(request, form, action, {**TAKE_ERRORS, "not_your_lot": "location"}, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Reserve lot %(lot)s") % {"lot": obj.code},
        intro=_("Reserved stock stays in place but nobody else can use it."),
        button=_("Reserve"),
        empty=not sources,
    )


@access("member", perm="stock.receive", object="code", model="inventory.Lot")
@login_required
def certificate_add(request: HttpRequest, code: str) -> HttpResponse:
    """Attach certificates (PDF or images) to a lot."""
    actor = request_actor(request)
    obj = lot_for(actor, code, "stock.receive", shared=False)
    form = CertificateForm(_data(request), _files(request))
    if upload_was_refused(request):
        form.add_error(None, too_large_message())

    def action() -> str:
        files = form.cleaned_data["documents"]
        blobs = [services.store_certificate(f, f.name) for f in files]
        services.add_certificates(actor=actor, lot=obj, blobs=blobs)
        return _("%(count)s file(s) attached.") % {"count": len(blobs)}

    response = _act(request, form, action, {}, obj)
    return response or _lot_page(
        request,
        obj,
        form,
        title=_("Certificates of lot %(lot)s") % {"lot": obj.code},
        intro=_("Certificates are checked like design files: PDF or images only."),
        button=_("Attach"),
        multipart=True,
    )


@access("member", perm="stock.move", object="pk", model="inventory.Reservation", methods=("POST",))
@login_required
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    """Give reserved stock back to the free stock."""
    actor = request_actor(request)
    reservation = _get(
        Reservation.objects.visible_to(actor).select_related("lot", "location__site"),
        pk=pk,
    )
    _require(actor, "stock.move", reservation.location.site.organization_id)
    try:
        services.release_reservation(actor=actor, reservation=reservation)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The reservation was released."))
    return redirect(lot_url(reservation.lot))


# ---------------------------------------------------------------- transfers


def _my_transfers(actor: Actor) -> QuerySet[Transfer]:
    orgs = list(actor.organization_ids)
    return Transfer.objects.unscoped("transfers from or to the actor's sites").filter(
        Q(from_site__organization__in=orgs) | Q(to_site__organization__in=orgs)
    )


@access("member")
@login_required
def transfers(request: HttpRequest) -> HttpResponse:
    """Transfers arriving at my sites (to receive) and leaving them."""
    actor = request_actor(request)
    orgs = _require_member(actor)
    base = (
        _my_transfers(actor)
        .select_related("from_site", "to_site")
        .annotate(line_count=Count("lines"))
    )
    incoming = base.filter(to_site__organization__in=orgs).order_by("-state", "-created_at")
    outgoing = base.filter(from_site__organization__in=orgs).order_by("-created_at")
    return render(
        request,
        "inventory/transfers.html",
        {
            "incoming": list(incoming[:PAGE_SIZE]),
            "outgoing": list(outgoing[:PAGE_SIZE]),
            "can_ship": bool(organizations_where(actor, "stock.move")),
        },
    )


def _ship_choices(actor: Actor) -> dict[str, Any]:
    orgs = _orgs_with(actor, "stock.move")
    locations = (
        Location.objects.owned_by(orgs)
        .filter(is_active=True)
        .select_related("site")
        .order_by("site__name", "code")
    )
    sites = (
        Site.objects.visible_to(actor)
        .filter(organization__is_active=True)
        .select_related("organization")
        .order_by("name")
    )
    return {"orgs": orgs, "locations": locations, "sites": sites}


def _datalist(actor: Actor, orgs: list[int]) -> list[StockRow]:
    rows = StockBalance.objects.unscoped("stock at the actor's sites").filter(
        site__organization__in=orgs, quantity__gt=0
    )
    return stock_rows(list(balances(rows)[:300]))


@access("member", perm="stock.move")
@login_required
def ship(request: HttpRequest) -> HttpResponse:
    """Send lots to another site of the network."""
    actor = request_actor(request)
    choices = _ship_choices(actor)
    fields = list(ShipLineForm.base_fields)
    if request.method == "POST" and "add_line" in request.POST:
        header = ShipForm(
            initial={k: request.POST.get(k, "") for k in ShipForm.base_fields},
            locations=choices["locations"],
            sites=choices["sites"],
        )
        rows = _rows_from_post(request.POST, LINES_PREFIX, fields)
        formset = ShipLineFormSet(prefix=LINES_PREFIX, initial=[*rows, {}])
    elif request.method == "POST":
        header = ShipForm(request.POST, locations=choices["locations"], sites=choices["sites"])
        formset = ShipLineFormSet(request.POST, prefix=LINES_PREFIX)
        if header.is_valid() and formset.is_valid():
            response = _ship_once(request, actor, header, formset)
            if response is not None:
                return response
    else:
        initial = {"from_location": request.GET.get("location")}
        header = ShipForm(initial=initial, locations=choices["locations"], sites=choices["sites"])
        lot = request.GET.get("lot", "")
        formset = ShipLineFormSet(prefix=LINES_PREFIX, initial=[{"lot": lot}, {}, {}])
    return render(
        request,
        "inventory/ship.html",
        {"form": header, "formset": formset, "lots": _datalist(actor, choices["orgs"])},
    )


def _ship_once(
    request: HttpRequest, actor: Actor, header: ShipForm, formset: Any
) -> HttpResponse | None:
    data = header.cleaned_data
    lines = []
    for form in formset.forms:
        code = form.cleaned_data.get("lot")
        if not code:
            continue
        lot = my_lots(actor).filter(code=code).select_related("item").first()
        if lot is None:
            form.add_error("lot", _("None of your lots has this code."))
            continue
        free = services.available(lot, data["from_location"])
        if form.cleaned_data["quantity"] > free:
            form.add_error(
                "quantity",
                _("Only %(free)s %(unit)s of this lot are free at this location.")
                % {"free": qty(free), "unit": symbol(lot.unit)},
            )
            continue
        lines.append((lot, form.cleaned_data["quantity"]))
    if any(f.errors for f in formset.forms):
        return None

    def action() -> str:
        transfer = services.ship(
            actor=actor,
            from_location=data["from_location"],
            to_site=data["to_site"],
            lines=lines,
            carrier=data["carrier"],
            note=data["note"],
        )
        messages.success(
            request, _("Transfer %(ref)s is on its way.") % {"ref": transfer.reference}
        )
        return reverse("inventory:transfer", args=[transfer.pk])

    try:
        return run_once(request, data.get("form_token", ""), action)
    except ValidationError as exc:
        show_refusal(header, exc, SHIP_ERRORS)
        return None


def _transfer(actor: Actor, pk: int) -> Transfer:
    return _get(  # type: ignore[no-any-return]
        Transfer.objects.visible_to(actor).select_related(
            "from_site", "to_site", "from_location", "to_location", "created_by", "received_by"
        ),
        pk=pk,
    )


def _transfer_lines(transfer: Transfer) -> list[Any]:
    lines = list(transfer.lines.select_related("lot__item").order_by("pk"))
    for line in lines:
        line.shipped = qty(line.quantity)  # type: ignore[attr-defined]
        line.counted = qty(line.received_quantity)  # type: ignore[attr-defined]
        line.unit = symbol(line.lot.unit)  # type: ignore[attr-defined]
    return lines


@access("member", object="pk", model="inventory.Transfer")
@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A transfer: its lines, what was received, and the discrepancies."""
    actor = request_actor(request)
    obj = _transfer(actor, pk)
    return render(
        request,
        "inventory/transfer.html",
        {
            "transfer": obj,
            "lines": _transfer_lines(obj),
            "can_receive": obj.state == TransferState.SHIPPED
            and has_perm(actor, "stock.receive", obj.to_site.organization_id),
        },
    )


@access("member", perm="stock.receive", object="pk", model="inventory.Transfer")
@login_required
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving site counts what arrived, line by line, and notes any difference."""
    actor = request_actor(request)
    obj = _transfer(actor, pk)
    sides = {obj.from_site.organization_id, obj.to_site.organization_id}
    if not any(has_perm(actor, "stock.receive", o) for o in sides & actor.organization_ids):
        raise PermissionDenied(_("You do not have the permission to do this."))
    if not has_perm(actor, "stock.receive", obj.to_site.organization_id):
        # The sender sees the transfer but only the receiving site counts what arrived.
        if request.method == "POST":
            messages.error(request, _("Only the receiving site can receive this transfer."))
            return redirect("inventory:transfer", pk=obj.pk)
        return render(
            request,
            "inventory/transfer_receive.html",
            {"transfer": obj, "form": None, "sender": True},
        )
    locations = (
        Location.objects.owned_by(obj.to_site.organization_id)
        .filter(site=obj.to_site, is_active=True)
        .select_related("site")
        .order_by("code")
    )
    lines = _transfer_lines(obj)
    form = TransferReceiveForm(_data(request), locations=locations, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            services.receive_transfer(
                actor=actor,
                transfer=obj,
                location=form.cleaned_data["location"],
                received=form.counts(),
                discrepancies=form.notes(),
            )
        except ValidationError as exc:
            _refuse_on(form, exc, {"wrong_site": "location"})
        else:
            messages.success(request, _("Transfer %(ref)s received.") % {"ref": obj.reference})
            return redirect("inventory:transfer", pk=obj.pk)
    return render(
        request,
        "inventory/transfer_receive.html",
        {
            "transfer": obj,
            "form": form,
            "already": obj.state != TransferState.SHIPPED,
            "has_locations": locations.exists(),
        },
    )
