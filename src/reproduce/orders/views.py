"""Pages of orders and dispatch: the customer's orders, the coordinator's dispatch desk and
the sites' work inbox.

Who sees what follows the models' ``visible_to``: customers their organisations' orders,
sites the work offered to them, coordinators everything. Every write goes through
``orders.services``; a refusal is shown (on the form when there is one, else as a message)
and every successful POST redirects back with a message.

Customer-side actions (``submit``, ``request_quote``, ``cancel``, the ``new`` order form) need
``order.place`` in the customer organisation. A coordinator acts for a customer through the
network-level routes ``new_on_behalf`` and ``on_behalf``: the permission matrix checks each
route against one declared policy, so the two sides have their own routes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.accounts.forms import add_service_errors
from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, has_perm, require
from reproduce.designs import configurator
from reproduce.designs.edit_views import _submit_once
from reproduce.designs.models import DesignVersion, VersionState
from reproduce.network.manage_forms import organizations_where
from reproduce.network.models import Machine, Site
from reproduce.orders import selectors, services
from reproduce.orders.forms import (
    AcceptForm,
    AssignForm,
    CancelForm,
    CounterForm,
    DeclineForm,
    OfferForm,
    OrderForm,
    QuoteForm,
    StateFilterForm,
)
from reproduce.orders.models import (
    Offer,
    OfferState,
    Order,
    OrderState,
    WorkOrder,
    WorkOrderState,
)
from reproduce.orders.selectors import UNFIT
from reproduce.orders.services import LineInput

PAGE_SIZE = 50
LIST_LIMIT = 200
# Which form field a refusal of the services concerns, by its code.
ORDER_ERRORS = {
    "date_in_past": "requested_date",
    "invalid_quantity": "quantity",
    "version_not_released": "version",
    "unknown_version": "version",
}
QUOTE_ERRORS = {"invalid_price": "amount", "date_in_past": "valid_until"}
COUNTER_ERRORS = {"date_in_past": "proposed_end", "invalid_price": "proposed_price"}


def _get(queryset: QuerySet[Any], **lookup: Any) -> Any:
    """One row of an already scoped queryset, or 404."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _redirect(url: str) -> HttpResponse:
    return HttpResponseRedirect(url)


def _next_or(request: HttpRequest, default: str) -> str:
    """Back to the page the form was on (``next``), when it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _run(request: HttpRequest, action: Callable[[], str]) -> bool:
    """Run a service call; its refusal becomes an error message. True when it succeeded
    (``action`` returns the success message)."""
    try:
        text = action()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return False
    messages.success(request, text)
    return True


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form.")


def order_url(order: Order) -> str:
    return reverse("orders:detail", args=[order.pk])


def work_url(work_order: WorkOrder) -> str:
    return reverse("orders:work_order", args=[work_order.pk])


# ---------------------------------------------------------------- orders: list


@access("authenticated")
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """My organisations' orders; every order for coordinators, with a status filter."""
    actor = request_actor(request)
    manage = selectors.can_manage(actor)
    form = StateFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    orders = selectors.orders_for(actor, state=state).only(
        "pk",
        "reference",
        "state",
        "requested_date",
        "planned_end",
        "delay_reason",
        "is_demo",
        "created_at",
        "customer__name",
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "orders": list(page.object_list),
            "filter_form": form,
            "state": state,
            "can_manage": manage,
            "show_customer": manage or len(actor.organization_ids) > 1,
            "new_url": _new_order_url(actor),
        },
    )


def _new_order_url(actor: Actor) -> str:
    if organizations_where(actor, "order.place"):
        return reverse("orders:new")
    if selectors.can_manage(actor):
        return reverse("orders:new_on_behalf")
    return ""


# ---------------------------------------------------------------- orders: new


def _orderable_versions(actor: Actor) -> QuerySet[DesignVersion]:
    return (
        DesignVersion.objects.visible_to(actor)
        .filter(state=VersionState.RELEASED)
        .select_related("design__organization")
        .order_by("design__name", "-released_at", "-pk")
    )


def _initial_from(source: Any) -> dict[str, Any]:
    keys = ("customer", "version", "quantity", "requested_date", "delivery_address", "notes")
    initial = {k: source.get(k) for k in keys if source.get(k)}
    initial.update({k: v for k, v in source.items() if k.startswith("option_")})
    return initial


def _order_page(
    request: HttpRequest, actor: Actor, customers: QuerySet[Organization], on_behalf: bool
) -> HttpResponse:
    versions = _orderable_versions(actor)
    kwargs: dict[str, Any] = {
        "customers": customers,
        "versions": versions,
        "active_customer": actor.active_organization_id,
    }
    choosing = request.method == "POST" and "choose" in request.POST
    if request.method == "POST" and not choosing:
        form = OrderForm(request.POST, **kwargs)

        def action() -> str:
            data = form.cleaned_data
            order = services.create_order(
                actor=actor,
                customer=data["customer"],
                requested_date=data["requested_date"],
                lines=[LineInput(data["version"], data["quantity"], form.configuration())],
                delivery_address=data["delivery_address"],
                notes=data["notes"],
            )
            button = request.POST.get("action", "draft")
            if button == "place":
                services.submit_order(actor=actor, order=order)
                text = _("Order %(ref)s is placed: the network coordinator releases it next.")
            elif button == "quote":
                services.request_quote(actor=actor, order=order)
                text = _("Quote request %(ref)s is sent: you will find the price here.")
            else:
                text = _("Order %(ref)s is saved as a draft.")
            messages.success(request, text % {"ref": order.reference})
            return order_url(order)

        response = _submit_once(request, form, action, ORDER_ERRORS)
        if response is not None:
            return response
    else:
        # A GET (``?version=<id>`` picks the design) or the "show its options" button:
        # the form again, with what was typed, and the option fields of that version.
        source = request.POST if choosing else request.GET
        form = OrderForm(None, initial=_initial_from(source), **kwargs)
        if request.headers.get("HX-Request") and "version" in request.GET:
            return render(request, "orders/_options.html", {"form": form})
    return render(
        request,
        "orders/new.html",
        {"form": form, "on_behalf": on_behalf, "has_versions": versions.exists()},
    )


@access("member", perm="order.place")
@login_required
def new(request: HttpRequest) -> HttpResponse:
    """A member orders (or asks a quote) for one of their organisations."""
    actor = request_actor(request)
    ids = organizations_where(actor, "order.place")
    if not ids:
        raise PermissionDenied(_("You do not have the permission to do this."))
    customers = Organization.objects.filter(pk__in=ids, is_active=True).order_by("name")
    return _order_page(request, actor, customers, on_behalf=False)


@access("network", perm="order.manage")
@login_required
def new_on_behalf(request: HttpRequest) -> HttpResponse:
    """A coordinator orders on behalf of a customer organisation."""
    actor = request_actor(request)
    require(actor, "order.manage")
    customers = Organization.objects.filter(is_active=True).order_by("name")
    return _order_page(request, actor, customers, on_behalf=True)


# ---------------------------------------------------------------- orders: detail


STEPS = [
    OrderState.DRAFT,
    OrderState.QUOTE_REQUESTED,
    OrderState.QUOTED,
    OrderState.SUBMITTED,
    OrderState.RELEASED,
    OrderState.COMPLETED,
]
QUOTE_STEPS = (OrderState.QUOTE_REQUESTED, OrderState.QUOTED)


def _steps(order: Order) -> list[dict[str, Any]]:
    quoted = order.quote_amount is not None or order.state in QUOTE_STEPS
    steps: list[str] = [s for s in STEPS if quoted or s not in QUOTE_STEPS]
    current = steps.index(order.state) if order.state in steps else -1
    if order.state == OrderState.CANCELLED:
        reached = (
            OrderState.RELEASED
            if order.released_at
            else OrderState.SUBMITTED
            if order.submitted_at
            else OrderState.DRAFT
        )
        current = steps.index(reached)
    return [
        {
            "label": OrderState(s).label,
            "done": i < current or (i == current and s == OrderState.COMPLETED),
            "current": i == current and order.state != OrderState.CANCELLED,
        }
        for i, s in enumerate(steps)
    ]


def _progress(order: Order) -> list[dict[str, Any]]:
    """Per manufacturing order, its work orders (operation, state, planned dates, site)."""
    mos = list(order.manufacturing_orders.select_related("version__design"))
    work: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in order.work_orders.select_related("site", "operation"):
        work[wo.manufacturing_order_id].append(wo)
    return [{"mo": mo, "work": work.get(mo.pk, [])} for mo in mos]


def _render_detail(request: HttpRequest, order: Order, **forms: Any) -> HttpResponse:
    actor = request_actor(request)
    manage = selectors.can_manage(actor)
    place = has_perm(actor, "order.place", order.customer_id)
    lines = [
        {"line": line, "summary": configurator.summary(line.version, line.configuration)}
        for line in order.lines.select_related("version__design")
    ]
    progress = _progress(order)
    work = [wo for group in progress for wo in group["work"]]
    state = order.state
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "steps": _steps(order),
            "lines": lines,
            "progress": progress,
            "can_manage": manage,
            "can_place": place,
            # Customer actions: on the customer's own routes, or on the coordinator's.
            "acts_for_customer": place or manage,
            "on_behalf": manage and not place,
            "can_submit": state in (OrderState.DRAFT, OrderState.QUOTED),
            "can_request_quote": state == OrderState.DRAFT,
            "can_cancel": order.can_transition(OrderState.CANCELLED)
            and (state != OrderState.RELEASED or manage),
            "can_quote": manage and state == OrderState.QUOTE_REQUESTED,
            "can_release": manage and state == OrderState.SUBMITTED,
            "can_dispatch": manage
            and state == OrderState.RELEASED
            and any(wo.state == WorkOrderState.WAITING for wo in work),
            "quote_form": forms.get("quote_form") or QuoteForm(),
            "cancel_form": forms.get("cancel_form") or CancelForm(),
            "work_count": len(work),
            "done_count": sum(wo.state == WorkOrderState.DONE for wo in work),
        },
    )


def _visible_order(actor: Actor, order_id: int) -> Order:
    order: Order = _get(
        Order.objects.visible_to(actor).select_related("customer", "placed_by"), pk=order_id
    )
    return order


@access("member", object="order_id", model="orders.Order")
@login_required
def detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_detail(request, _visible_order(request_actor(request), order_id))


def _customer_order(request: HttpRequest, order_id: int) -> Order:
    """The order, for a manager of its customer organisation (others: 404 or 403)."""
    actor = request_actor(request)
    order = _visible_order(actor, order_id)
    require(actor, "order.place", order.customer_id)
    return order


def _submit(request: HttpRequest, order: Order) -> None:
    actor = request_actor(request)
    accepting = order.state == OrderState.QUOTED

    def action() -> str:
        services.submit_order(actor=actor, order=order)
        if accepting:
            return _("The quote is accepted: the order is placed.")
        return _("The order is placed: the network coordinator releases it next.")

    _run(request, action)


def _request_quote(request: HttpRequest, order: Order) -> None:
    def action() -> str:
        services.request_quote(actor=request_actor(request), order=order)
        return _("The quote request is sent to the network coordinator.")

    _run(request, action)


def _cancel(request: HttpRequest, order: Order) -> None:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def action() -> str:
        services.cancel_order(actor=request_actor(request), order=order, reason=reason)
        return _("The order is cancelled.")

    _run(request, action)


@access("member", perm="order.place", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def submit(request: HttpRequest, order_id: int) -> HttpResponse:
    """Place a draft, or accept the quote."""
    order = _customer_order(request, order_id)
    _submit(request, order)
    return _redirect(order_url(order))


@access("member", perm="order.place", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def request_quote(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _customer_order(request, order_id)
    _request_quote(request, order)
    return _redirect(order_url(order))


@access("member", perm="order.place", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _customer_order(request, order_id)
    _cancel(request, order)
    return _redirect(order_url(order))


def _managed_order(request: HttpRequest, order_id: int) -> Order:
    actor = request_actor(request)
    order = _visible_order(actor, order_id)  # a missing order answers 404 to everyone
    require(actor, "order.manage")
    return order


@access("network", perm="order.manage", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def on_behalf(request: HttpRequest, order_id: int) -> HttpResponse:
    """The coordinator places, asks a quote for or cancels an order for its customer
    (``action`` = submit, request_quote or cancel)."""
    order = _managed_order(request, order_id)
    action = request.POST.get("action", "")
    if action == "submit":
        _submit(request, order)
    elif action == "request_quote":
        _request_quote(request, order)
    elif action == "cancel":
        _cancel(request, order)
    else:
        messages.error(request, _("Choose what to do with the order."))
    return _redirect(order_url(order))


@access("network", perm="order.manage", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def quote(request: HttpRequest, order_id: int) -> HttpResponse:
    """The coordinator prices a quote request."""
    order = _managed_order(request, order_id)
    form = QuoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.quote_order(
                actor=request_actor(request),
                order=order,
                amount=data["amount"],
                valid_until=data["valid_until"],
                note=data["note"],
            )
        except ValidationError as exc:
            code = str(getattr(exc, "code", "") or "")
            if code in QUOTE_ERRORS:
                form.add_error(QUOTE_ERRORS[code], exc.messages[0])
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The quote is sent to the customer."))
            return _redirect(order_url(order))
    messages.error(request, _("The quote was not sent: %(error)s") % {"error": _first_error(form)})
    return _render_detail(request, order, quote_form=form)


@access("network", perm="order.manage", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def release(request: HttpRequest, order_id: int) -> HttpResponse:
    """Explode the order into work orders (to dispatch next)."""
    order = _managed_order(request, order_id)

    def action() -> str:
        work = services.release_order(actor=request_actor(request), order=order)
        return _("The order is released: %(n)s work orders to dispatch.") % {"n": len(work)}

    _run(request, action)
    return _redirect(order_url(order))


@access("network", perm="order.manage", object="order_id", model="orders.Order", methods=("POST",))
@login_required
@require_POST
def dispatch_all(request: HttpRequest, order_id: int) -> HttpResponse:
    """Offer every work order still to dispatch to its best candidate."""
    order = _managed_order(request, order_id)

    def action() -> str:
        offers = services.dispatch_order(actor=request_actor(request), order=order)
        left = (
            WorkOrder.objects.unscoped("work of one order the coordinator manages")
            .filter(order=order, state=WorkOrderState.UNASSIGNED)
            .count()
        )
        text = _("%(n)s offers sent.") % {"n": len(offers)}
        if left:
            text += " " + _("%(n)s work orders have no site: see the dispatch queue.") % {"n": left}
        return text

    _run(request, action)
    return _redirect(order_url(order))


# ---------------------------------------------------------------- work order (dispatch)


ASKED_LABELS = {
    "untrained": _("no validated trained operator"),
    "uncertified": _("not certified"),
}


def _asked_label(asked: str) -> str:
    if asked in OfferState.values:
        return str(OfferState(asked).label)
    return str(ASKED_LABELS.get(asked, asked))


def _machines_by_site(site_ids: set[int]) -> dict[int, list[Machine]]:
    by_site: dict[int, list[Machine]] = defaultdict(list)
    if site_ids:
        rows = (
            Machine.objects.unscoped("machines of sites answering their own offers")
            .filter(site_id__in=site_ids)
            .only("pk", "name", "site_id")
            .order_by("name")
        )
        for machine in rows:
            by_site[machine.site_id].append(machine)
    return by_site


def _answer_forms(
    offers: list[Offer], actor: Actor, bound: tuple[int, str, Any] | None = None
) -> None:
    """Attach the answer forms (accept, decline, counter) to each open offer the actor may
    answer; ``bound`` = (offer id, kind, form) shows a refused answer with what was typed."""
    now = timezone.now()
    machines = _machines_by_site({o.site_id for o in offers})
    for offer in offers:
        offer.overdue = offer.state == OfferState.OPEN and offer.deadline < now  # type: ignore[attr-defined]
        offer.can_answer = (  # type: ignore[attr-defined]
            offer.state == OfferState.OPEN
            and not offer.overdue  # type: ignore[attr-defined]
            and has_perm(actor, "offer.answer", offer.organization_id)
        )
        if not offer.can_answer:  # type: ignore[attr-defined]
            continue
        prefix = f"offer-{offer.pk}"
        site_machines = machines.get(offer.site_id, [])
        offer.accept_form = AcceptForm(  # type: ignore[attr-defined]
            machines=site_machines,
            prefix=f"{prefix}-accept",
            initial={"machine": offer.machine_id},
        )
        offer.decline_form = DeclineForm(prefix=f"{prefix}-decline")  # type: ignore[attr-defined]
        offer.counter_form = CounterForm(prefix=f"{prefix}-counter")  # type: ignore[attr-defined]
        offer.open_panel = ""  # type: ignore[attr-defined]
        if bound is not None and bound[0] == offer.pk:
            setattr(offer, f"{bound[1]}_form", bound[2])
            offer.open_panel = bound[1]  # type: ignore[attr-defined]


def _design_link(actor: Actor, work_order: WorkOrder) -> str:
    """The design version's page, when the actor may see it (shared once accepted)."""
    version_id = work_order.manufacturing_order.version_id
    if DesignVersion.objects.visible_to(actor).filter(pk=version_id).exists():
        return reverse("designs:version", args=[version_id])
    return ""


def _render_work(
    request: HttpRequest, work_order: WorkOrder, bound: tuple[int, str, Any] | None = None
) -> HttpResponse:
    actor = request_actor(request)
    manage = selectors.can_manage(actor)
    context: dict[str, Any] = {
        "wo": work_order,
        "can_manage": manage,
        "design_url": _design_link(actor, work_order),
        "version": work_order.manufacturing_order.version,
    }
    offers_qs = work_order.offers.select_related("site", "machine")
    if manage:
        offers = list(offers_qs)
        live_sites = {
            o.site_id for o in offers if o.state in (OfferState.OPEN, OfferState.COUNTERED)
        }
        rows = []
        open_work = work_order.state in (
            WorkOrderState.WAITING,
            WorkOrderState.OFFERED,
            WorkOrderState.UNASSIGNED,
        )
        for candidate in selectors.candidates(work_order):
            rows.append(
                {
                    "c": candidate,
                    "asked_label": _asked_label(candidate.asked) if candidate.asked else "",
                    "load_pct": round(100 * candidate.load) if candidate.load is not None else None,
                    "can_offer": open_work
                    and candidate.asked not in UNFIT
                    and candidate.site.pk not in live_sites,
                    "form": OfferForm(
                        prefix=f"site-{candidate.site.pk}", initial={"site": candidate.site.pk}
                    ),
                }
            )
        context.update(
            candidates=rows,
            offers=offers,
            open_work=open_work,
            assign_form=bound[2]
            if bound and bound[1] == "assign"
            else AssignForm(sites=_assignable_sites(actor)),
        )
    else:
        own = list(offers_qs.filter(organization__in=list(actor.organization_ids)))
        _answer_forms(own, actor, bound)
        context.update(own_offers=own)
    return render(request, "orders/work_order.html", context)


def _assignable_sites(actor: Actor) -> QuerySet[Site]:
    return Site.objects.visible_to(actor).select_related("organization").order_by("name")


def _visible_work(actor: Actor, work_order_id: int) -> WorkOrder:
    wo: WorkOrder = _get(
        WorkOrder.objects.visible_to(actor).select_related(
            "order__customer",
            "manufacturing_order__version__design",
            "operation__process",
            "operation__material",
            "site",
            "machine",
        ),
        pk=work_order_id,
    )
    return wo


@access("member", object="work_order_id", model="orders.WorkOrder")
@login_required
def work_order(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The coordinator's dispatch page for one work order; for a site, its own offer."""
    return _render_work(request, _visible_work(request_actor(request), work_order_id))


def _managed_work(request: HttpRequest, work_order_id: int) -> WorkOrder:
    actor = request_actor(request)
    wo = _visible_work(actor, work_order_id)
    require(actor, "order.manage")
    return wo


@access(
    "network",
    perm="order.manage",
    object="work_order_id",
    model="orders.WorkOrder",
    methods=("POST",),
)
@login_required
@require_POST
def offer(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Offer the work order to one candidate site, to answer within so many hours."""
    wo = _managed_work(request, work_order_id)
    site_id = request.POST.get("site", "")
    form = OfferForm(request.POST, prefix=f"site-{site_id}" if site_id.isdigit() else None)
    if not form.is_valid():
        messages.error(request, _("The offer was not sent: %(e)s") % {"e": _first_error(form)})
        return _redirect(work_url(wo))
    site = (
        Site.objects.unscoped("a candidate site; the service checks it can do the operation")
        .filter(pk=form.cleaned_data["site"])
        .first()
    )
    if site is None:
        raise Http404

    def action() -> str:
        services.offer_work_order(
            actor=request_actor(request),
            work_order=wo,
            site=site,
            answer_within_hours=form.cleaned_data["answer_within_hours"],
        )
        return _("The work is offered to %(site)s.") % {"site": site.name}

    _run(request, action)
    return _redirect(work_url(wo))


@access(
    "network",
    perm="order.manage",
    object="work_order_id",
    model="orders.WorkOrder",
    methods=("POST",),
)
@login_required
@require_POST
def assign(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Give the work to a site directly (override), saying why."""
    actor = request_actor(request)
    wo = _managed_work(request, work_order_id)
    form = AssignForm(request.POST, sites=_assignable_sites(actor))
    if form.is_valid():
        site = form.cleaned_data["site"]
        try:
            services.assign_work_order(
                actor=actor, work_order=wo, site=site, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The work is assigned to %(site)s.") % {"site": site.name})
            return _redirect(work_url(wo))
    messages.error(request, _("The work was not assigned: %(e)s") % {"e": _first_error(form)})
    return _render_work(request, wo, bound=(0, "assign", form))


def _managed_offer(request: HttpRequest, offer_id: int) -> Offer:
    actor = request_actor(request)
    found: Offer = _get(
        Offer.objects.visible_to(actor).select_related("work_order", "site"), pk=offer_id
    )
    require(actor, "order.manage")
    return found


def _coordinator_answer(
    request: HttpRequest, offer_id: int, call: Callable[..., Any], text: str
) -> HttpResponse:
    found = _managed_offer(request, offer_id)

    def action() -> str:
        call(actor=request_actor(request), offer=found)
        return text % {"site": found.site.name}

    _run(request, action)
    return _redirect(_next_or(request, work_url(found.work_order)))


@access("network", perm="order.manage", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def counter_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    return _coordinator_answer(
        request,
        offer_id,
        services.accept_counter,
        _("The counter-proposal is accepted: the work is %(site)s's."),
    )


@access("network", perm="order.manage", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def counter_refuse(request: HttpRequest, offer_id: int) -> HttpResponse:
    return _coordinator_answer(
        request,
        offer_id,
        services.reject_counter,
        _("The counter-proposal of %(site)s is refused: the work goes to the next candidate."),
    )


@access("network", perm="order.manage", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def withdraw(request: HttpRequest, offer_id: int) -> HttpResponse:
    return _coordinator_answer(
        request, offer_id, services.withdraw_offer, _("The offer to %(site)s is withdrawn.")
    )


# ---------------------------------------------------------------- the sites' inbox


def _inbox_context(actor: Actor, bound: tuple[int, str, Any] | None = None) -> dict[str, Any]:
    offers = list(
        selectors.offers_for(actor).select_related(
            "work_order__manufacturing_order__version__design", "work_order__operation__material"
        )
    )
    offers.sort(key=lambda o: (o.state != OfferState.OPEN, o.deadline, o.pk))
    _answer_forms(offers, actor, bound)
    work = list(selectors.work_for(actor)[:LIST_LIMIT])
    return {"offers": offers, "work": work, "now": timezone.now()}


@access("member")
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Offers made to my organisations' sites, and the accepted work not finished."""
    actor = request_actor(request)
    if not actor.organization_ids:
        raise PermissionDenied(_("The inbox is for the members of an organisation."))
    return render(request, "orders/inbox.html", _inbox_context(actor))


def _offer_to_answer(request: HttpRequest, offer_id: int) -> Offer:
    """The offer, for a manager of the site's organisation (others: 404 or 403)."""
    actor = request_actor(request)
    found: Offer = _get(
        Offer.objects.visible_to(actor).select_related("work_order", "site"), pk=offer_id
    )
    require(actor, "offer.answer", found.organization_id)
    return found


def _answered(request: HttpRequest, found: Offer, text: str) -> HttpResponse:
    messages.success(request, text)
    if request.POST.get("from") == "work":
        return _redirect(work_url(found.work_order))
    return _redirect(reverse("orders:inbox"))


def _refused(request: HttpRequest, found: Offer, kind: str, form: Any) -> HttpResponse:
    """Show the answer again with the refusal and what was typed."""
    bound = (found.pk, kind, form)
    if request.POST.get("from") == "work":
        return _render_work(
            request, _visible_work(request_actor(request), found.work_order_id), bound
        )
    return render(request, "orders/inbox.html", _inbox_context(request_actor(request), bound))


def _try(form: Any, call: Callable[[], Any], fields: dict[str, str] | None = None) -> bool:
    try:
        call()
    except ValidationError as exc:
        field = (fields or {}).get(str(getattr(exc, "code", "") or ""))
        if field:
            form.add_error(field, exc.messages[0])
        else:
            add_service_errors(form, exc)
        return False
    return True


@access("member", perm="offer.answer", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The site takes the work (on one of its machines, or decides later)."""
    found = _offer_to_answer(request, offer_id)
    machines = _machines_by_site({found.site_id}).get(found.site_id, [])
    form = AcceptForm(request.POST, machines=machines, prefix=f"offer-{found.pk}-accept")
    if form.is_valid():
        machine = next((m for m in machines if m.pk == form.cleaned_data["machine"]), None)
        if _try(
            form,
            lambda: services.accept_offer(
                actor=request_actor(request),
                offer=found,
                machine=machine,
                comment=form.cleaned_data["comment"],
            ),
        ):
            return _answered(
                request,
                found,
                _("You accepted %(ref)s: its files and instructions are shared with you.")
                % {"ref": found.work_order.reference},
            )
    return _refused(request, found, "accept", form)


@access("member", perm="offer.answer", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The site says no, with a reason (a comment for "other")."""
    found = _offer_to_answer(request, offer_id)
    form = DeclineForm(request.POST, prefix=f"offer-{found.pk}-decline")
    if form.is_valid() and _try(
        form,
        lambda: services.decline_offer(
            actor=request_actor(request),
            offer=found,
            reason=form.cleaned_data["reason"],
            comment=form.cleaned_data["comment"],
        ),
        {"invalid_reason": "comment"},
    ):
        return _answered(
            request,
            found,
            _("You declined %(ref)s. Thank you for answering.")
            % {"ref": found.work_order.reference},
        )
    return _refused(request, found, "decline", form)


@access("member", perm="offer.answer", object="offer_id", model="orders.Offer", methods=("POST",))
@login_required
@require_POST
def counter(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The site proposes another date and/or price; the coordinator decides."""
    found = _offer_to_answer(request, offer_id)
    form = CounterForm(request.POST, prefix=f"offer-{found.pk}-counter")
    if form.is_valid() and _try(
        form,
        lambda: services.counter_offer(
            actor=request_actor(request),
            offer=found,
            proposed_end=form.cleaned_data["proposed_end"],
            proposed_price=form.cleaned_data["proposed_price"],
            comment=form.cleaned_data["comment"],
        ),
        COUNTER_ERRORS,
    ):
        return _answered(
            request,
            found,
            _("Your proposal for %(ref)s is sent to the network coordinator.")
            % {"ref": found.work_order.reference},
        )
    return _refused(request, found, "counter", form)


# ---------------------------------------------------------------- the coordinator's queue


@access("network", perm="order.manage", methods=("GET",))
@login_required
def dispatch(request: HttpRequest) -> HttpResponse:
    """Work to dispatch, work without a site, counter-proposals and offers awaiting answers."""
    actor = request_actor(request)
    require(actor, "order.manage")
    expired = services.expire_overdue_offers()
    queue = list(selectors.dispatch_queue(actor)[:LIST_LIMIT])
    live = list(
        Offer.objects.visible_to(actor)
        .filter(state__in=[OfferState.OPEN, OfferState.COUNTERED])
        .select_related("work_order__order", "site")
        .order_by("deadline", "pk")[:LIST_LIMIT]
    )
    return render(
        request,
        "orders/dispatch.html",
        {
            "waiting": [wo for wo in queue if wo.state == WorkOrderState.WAITING],
            "unassigned": [wo for wo in queue if wo.state == WorkOrderState.UNASSIGNED],
            "countered": [o for o in live if o.state == OfferState.COUNTERED],
            "open_offers": [o for o in live if o.state == OfferState.OPEN],
            "expired": expired,
            "now": timezone.now(),
        },
    )
