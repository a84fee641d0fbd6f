"""REST API of orders and dispatch: orders and quotes, work orders, candidates and offers.

Handlers validate input, find the object through the tenancy helpers (``get_visible_or_404``:
a foreign object answers 404) and call ``orders.services``, which check the permissions
(403) and refuse with a stable code (``OrderError``: 409 for a state conflict such as
``invalid_transition`` or ``already_assigned``, 422 otherwise). They never change a model
themselves.

Who does what: a customer's managers (``order.place``) create, submit, quote-request, accept
and cancel their orders — a network coordinator does it for them through
``/orders/{order_id}/on-behalf`` (or ``customer_id`` when creating one); coordinators
(``order.manage``) price quotes, release orders and dispatch work orders; a site's managers
(``offer.answer``) accept, decline or counter the offers made to their sites.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.accounts.models import Organization
from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, get_visible_or_404, has_perm, require
from reproduce.network.models import Machine, Site
from reproduce.orders import selectors, services
from reproduce.orders.models import Offer, Order, OrderState, WorkOrder
from reproduce.orders.schemas import (
    AcceptIn,
    AssignIn,
    CancelIn,
    CounterIn,
    DeclineIn,
    DispatchCandidateOut,
    OfferIn,
    OfferOut,
    OnBehalfIn,
    OrderCreateIn,
    OrderDetailOut,
    OrderOut,
    QuoteIn,
    ReleaseOut,
    WorkOrderDetailOut,
    WorkOrderOut,
    candidate_out,
    offer_out,
    order_detail,
    order_out,
    work_brief,
    work_detail,
    work_out,
)

router = Router(tags=["orders"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

# ---------------------------------------------------------------- helpers


def _order(actor: Actor, order_id: int) -> Order:
    return get_visible_or_404(Order, actor, pk=order_id)


def _detail(actor: Actor, order: Order) -> OrderDetailOut:
    order = Order.objects.visible_to(actor).select_related("customer").get(pk=order.pk)
    return OrderDetailOut.model_validate(order_detail(actor, order))


def _customer(actor: Actor, customer_id: int | None) -> Organization:
    """The customer named by id (one of the actor's organisations, or any for a coordinator)
    or the actor's active organisation."""
    if customer_id is None:
        if actor.active_organization_id is None:
            raise PermissionDenied(_("Only members of an organisation can do this."))
        return Organization.objects.get(pk=actor.active_organization_id)
    may_name_any = has_perm(actor, "order.manage")
    if customer_id in actor.organization_ids or may_name_any:
        org = Organization.objects.filter(pk=customer_id, is_active=True).first()
        if org is not None:
            return org
    # Naming an organisation one does not act for is a forged reference.
    raise ValidationError({"customer_id": _("You cannot order for this organisation.")})


def _customer_order(actor: Actor, order_id: int) -> Order:
    """The order, for a manager of its customer (others: 404, or 403 without
    ``order.place``); coordinators act for customers through ``/on-behalf``."""
    order = _order(actor, order_id)
    require(actor, "order.place", order.customer_id)
    return order


def _accept_quote(actor: Actor, order: Order) -> None:
    if order.state != OrderState.QUOTED:
        raise services.OrderError(
            _("This order has no quote to accept."), code="invalid_transition"
        )
    services.submit_order(actor=actor, order=order)


def _site(actor: Actor, site_id: int) -> Site:
    site = Site.objects.visible_to(actor).filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site_id": _("No such site.")})
    return site  # type: ignore[no-any-return]


def _machine(actor: Actor, machine_id: int | None, site_id: int) -> Machine | None:
    if machine_id is None:
        return None
    machine = Machine.objects.visible_to(actor).filter(pk=machine_id, site_id=site_id).first()
    if machine is None:
        raise ValidationError({"machine_id": _("Choose a machine of this site.")})
    return machine  # type: ignore[no-any-return]


def _offers(actor: Actor) -> QuerySet[Offer]:
    return Offer.objects.visible_to(actor).select_related(
        "site", "machine", "work_order__order", "work_order__site"
    )


def _offer(actor: Actor, offer_id: int) -> Offer:
    return get_visible_or_404(Offer, actor, pk=offer_id)


def _offer_out(actor: Actor, offer: Offer) -> OfferOut:
    return OfferOut.model_validate(offer_out(actor, _offers(actor).get(pk=offer.pk)))


def _work(actor: Actor) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.visible_to(actor).select_related("order", "site", "machine")


def _work_detail(actor: Actor, work_order_id: int) -> WorkOrderDetailOut:
    wo = (
        _work(actor)
        .select_related("operation__process", "manufacturing_order__version__design")
        .filter(pk=work_order_id)
        .first()
    )
    if wo is None:
        raise Http404
    return WorkOrderDetailOut.model_validate(work_detail(actor, wo))


# ---------------------------------------------------------------- orders


@router.get("/orders", response=Page[OrderOut], summary="Your orders")
@access("authenticated")
def list_orders(request: HttpRequest, page: Query[PageParams], state: str = "") -> dict[str, Any]:
    """Your organisations' orders (every customer's for a network coordinator), newest
    first. Filter: ``state`` (draft, quote_requested, quoted, submitted, released,
    completed, cancelled)."""
    actor = require_authenticated(request)
    items, count = page_of(selectors.orders_for(actor, state=state), page)
    return {"items": [order_out(o) for o in items], "count": count}


@router.post("/orders", response={201: OrderDetailOut, **ERRORS}, summary="Order designs")
@access("member", perm="order.place")
@idempotent
def create_order(request: HttpRequest, payload: OrderCreateIn) -> tuple[int, Any]:
    """A draft order of released design versions (configured with their options) for your
    active organisation or ``customer_id``. With ``submit`` it is placed at once (409
    ``not_manufacturable`` when no site of the network can make an operation); with
    ``quote`` the network is asked for a price first. Both at once are refused."""
    actor = require_authenticated(request)
    if payload.submit and payload.quote:
        raise ValidationError({"quote": _("Either place the order or ask for a quote.")})
    customer = _customer(actor, payload.customer_id)
    lines = services.lines_from_data(actor, [line.model_dump() for line in payload.lines])
    with transaction.atomic():  # a refused submission does not leave a draft behind
        order = services.create_order(
            actor=actor,
            customer=customer,
            requested_date=payload.requested_date,
            lines=lines,
            delivery_address=payload.delivery_address,
            notes=payload.notes,
        )
        if payload.submit:
            services.submit_order(actor=actor, order=order)
        elif payload.quote:
            services.request_quote(actor=actor, order=order)
    return 201, _detail(actor, order)


@router.get(
    "/orders/{order_id}", response={200: OrderDetailOut, 404: ErrorOut}, summary="One order"
)
@access("member", object="order_id", model="orders.Order")
def get_order(request: HttpRequest, order_id: int) -> OrderDetailOut:
    """The order with its lines, its quote, and once released its manufacturing orders and
    their work orders; ``planned_end``, ``is_late`` and ``delay_reason`` come from the
    network plan."""
    actor = require_authenticated(request)
    return _detail(actor, _order(actor, order_id))


@router.post(
    "/orders/{order_id}/submit", response={200: OrderDetailOut, **ERRORS}, summary="Place an order"
)
@access("member", perm="order.place", object="order_id", model="orders.Order")
def submit_order(request: HttpRequest, order_id: int) -> OrderDetailOut:
    """Place a draft (or accept a quote). 409 ``not_manufacturable`` names the operation no
    site can do and why; 409 ``quote_expired`` for an expired quote."""
    actor = require_authenticated(request)
    order = _customer_order(actor, order_id)
    services.submit_order(actor=actor, order=order)
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/request-quote",
    response={200: OrderDetailOut, **ERRORS},
    summary="Ask for a quote",
)
@access("member", perm="order.place", object="order_id", model="orders.Order")
def request_quote(request: HttpRequest, order_id: int) -> OrderDetailOut:
    """A draft becomes a quote request: a coordinator prices it."""
    actor = require_authenticated(request)
    order = _customer_order(actor, order_id)
    services.request_quote(actor=actor, order=order)
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/quote", response={200: OrderDetailOut, **ERRORS}, summary="Price a quote"
)
@access("network", perm="order.manage", object="order_id", model="orders.Order")
def quote_order(request: HttpRequest, order_id: int, payload: QuoteIn) -> OrderDetailOut:
    """Coordinator: the price of a quote request and until when it holds."""
    actor = require_authenticated(request)
    order = _order(actor, order_id)
    require(actor, "order.manage")
    services.quote_order(
        actor=actor,
        order=order,
        amount=payload.amount,
        valid_until=payload.valid_until,
        note=payload.note,
    )
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/accept-quote",
    response={200: OrderDetailOut, **ERRORS},
    summary="Accept a quote",
)
@access("member", perm="order.place", object="order_id", model="orders.Order")
def accept_quote(request: HttpRequest, order_id: int) -> OrderDetailOut:
    """The customer accepts the quoted price: the order is placed (409 ``quote_expired``
    past its validity, ``invalid_transition`` when the order is not quoted)."""
    actor = require_authenticated(request)
    order = _customer_order(actor, order_id)
    _accept_quote(actor, order)
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/cancel", response={200: OrderDetailOut, **ERRORS}, summary="Cancel an order"
)
@access("member", perm="order.place", object="order_id", model="orders.Order")
def cancel_order(request: HttpRequest, order_id: int, payload: CancelIn) -> OrderDetailOut:
    """Cancel the order with its open work orders and offers. Once in production only a
    coordinator can cancel it (``/on-behalf``)."""
    actor = require_authenticated(request)
    order = _customer_order(actor, order_id)
    services.cancel_order(actor=actor, order=order, reason=payload.reason)
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/on-behalf",
    response={200: OrderDetailOut, **ERRORS},
    summary="Act for the customer",
)
@access("network", perm="order.manage", object="order_id", model="orders.Order")
def act_on_behalf(request: HttpRequest, order_id: int, payload: OnBehalfIn) -> OrderDetailOut:
    """Coordinator: submit, ask a quote for, accept the quote of or cancel an order for its
    customer (``action``); only a coordinator cancels an order in production."""
    actor = require_authenticated(request)
    order = _order(actor, order_id)
    require(actor, "order.manage")
    if payload.action == "submit":
        services.submit_order(actor=actor, order=order)
    elif payload.action == "request_quote":
        services.request_quote(actor=actor, order=order)
    elif payload.action == "accept_quote":
        _accept_quote(actor, order)
    else:
        services.cancel_order(actor=actor, order=order, reason=payload.reason)
    return _detail(actor, order)


@router.post(
    "/orders/{order_id}/release",
    response={200: ReleaseOut, **ERRORS},
    summary="Release an order into production",
)
@access("network", perm="order.manage", object="order_id", model="orders.Order")
def release_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """Coordinator: explode a submitted order into manufacturing orders (sub-designs
    included) and one work order per operation, each due in time for the next; answers the
    work orders created, still to dispatch."""
    actor = require_authenticated(request)
    order = _order(actor, order_id)
    require(actor, "order.manage")
    work = services.release_order(actor=actor, order=order)
    return {"order": _detail(actor, order), "work_orders": [work_brief(wo) for wo in work]}


@router.post(
    "/orders/{order_id}/dispatch",
    response={200: list[OfferOut], **ERRORS},
    summary="Offer all waiting work",
)
@access("network", perm="order.manage", object="order_id", model="orders.Order")
def dispatch_order(request: HttpRequest, order_id: int) -> list[OfferOut]:
    """Coordinator: offer every work order still to dispatch to its best candidate not asked
    yet; answers the offers made (a work order with no candidate left becomes
    ``unassigned``)."""
    actor = require_authenticated(request)
    order = _order(actor, order_id)
    require(actor, "order.manage")
    offers = services.dispatch_order(actor=actor, order=order)
    made = _offers(actor).filter(pk__in=[o.pk for o in offers]).order_by("pk")
    return [OfferOut.model_validate(offer_out(actor, o)) for o in made]


# ---------------------------------------------------------------- work orders


@router.get("/work-orders", response=Page[WorkOrderOut], summary="Work orders")
@access("authenticated")
def list_work_orders(
    request: HttpRequest, page: Query[PageParams], state: str = "", order: int | None = None
) -> dict[str, Any]:
    """Every work order for a network coordinator; for a site's organisation, the work
    offered to or accepted by its sites. Filters: ``state`` (waiting, offered, accepted,
    in_progress, done, unassigned, cancelled), ``order`` (an order id)."""
    actor = require_authenticated(request)
    work = _work(actor)
    if state:
        work = work.filter(state=state)
    if order is not None:
        work = work.filter(order_id=order)
    items, count = page_of(work, page)
    return {"items": [work_out(actor, wo) for wo in items], "count": count}


@router.get(
    "/work-orders/{work_order_id}",
    response={200: WorkOrderDetailOut, 404: ErrorOut},
    summary="One work order",
)
@access("member", object="work_order_id", model="orders.WorkOrder")
def get_work_order(request: HttpRequest, work_order_id: int) -> WorkOrderDetailOut:
    """The work order and its offers (a site sees only the offers made to it)."""
    return _work_detail(require_authenticated(request), work_order_id)


@router.get(
    "/work-orders/{work_order_id}/candidates",
    response={200: list[DispatchCandidateOut], 403: ErrorOut, 404: ErrorOut},
    summary="Sites able to do a work order",
)
@access("network", perm="order.manage", object="work_order_id", model="orders.WorkOrder")
def list_candidates(request: HttpRequest, work_order_id: int) -> list[dict[str, Any]]:
    """Coordinator: the sites able to do the operation, best first, with their reasons
    (process, material, envelope, tolerance, distance, load, price). Sites already asked
    carry the state of that offer in ``asked``; untrained or uncertified ones come last."""
    actor = require_authenticated(request)
    wo = get_visible_or_404(WorkOrder, actor, pk=work_order_id)
    require(actor, "order.manage")
    services.expire_overdue_offers()  # an unanswered offer past its deadline is not "open"
    return [candidate_out(c) for c in selectors.candidates(wo)]


@router.post(
    "/work-orders/{work_order_id}/offers",
    response={201: OfferOut, **ERRORS},
    summary="Offer a work order to a site",
)
@access("network", perm="order.manage", object="work_order_id", model="orders.WorkOrder")
@idempotent
def offer_work_order(request: HttpRequest, work_order_id: int, payload: OfferIn) -> tuple[int, Any]:
    """Coordinator: offer the work to a site, to answer before a deadline. The site must be
    a candidate (422 ``not_candidate``) unless ``override``; 409 ``already_offered`` when it
    has a live offer for it already."""
    actor = require_authenticated(request)
    wo = get_visible_or_404(WorkOrder, actor, pk=work_order_id)
    require(actor, "order.manage")
    site = _site(actor, payload.site_id)
    offer = services.offer_work_order(
        actor=actor,
        work_order=wo,
        site=site,
        machine=_machine(actor, payload.machine_id, site.pk),
        answer_within_hours=payload.answer_within_hours,
        override=payload.override,
    )
    return 201, _offer_out(actor, offer)


@router.post(
    "/work-orders/{work_order_id}/assign",
    response={200: WorkOrderDetailOut, **ERRORS},
    summary="Assign a work order directly",
)
@access("network", perm="order.manage", object="work_order_id", model="orders.WorkOrder")
def assign_work_order(request: HttpRequest, work_order_id: int, payload: AssignIn) -> Any:
    """Coordinator override: give the work to a site agreed outside the platform, saying
    why; live offers to other sites are withdrawn (409 ``already_assigned`` if a site took
    it meanwhile)."""
    actor = require_authenticated(request)
    wo = get_visible_or_404(WorkOrder, actor, pk=work_order_id)
    require(actor, "order.manage")
    site = _site(actor, payload.site_id)
    services.assign_work_order(
        actor=actor,
        work_order=wo,
        site=site,
        machine=_machine(actor, payload.machine_id, site.pk),
        reason=payload.reason,
    )
    return _work_detail(actor, wo.pk)


# ---------------------------------------------------------------- offers


@router.get("/offers", response=Page[OfferOut], summary="Offers made to your sites")
@access("authenticated")
def list_offers(request: HttpRequest, page: Query[PageParams], live: bool = True) -> dict[str, Any]:
    """The offers made to your organisations' sites, the nearest deadline first; with
    ``live=false`` the answered and expired ones too."""
    actor = require_authenticated(request)
    services.expire_overdue_offers()  # never show an offer past its deadline as open
    items, count = page_of(
        selectors.offers_for(actor, live=live).select_related("work_order__site"), page
    )
    return {"items": [offer_out(actor, o) for o in items], "count": count}


@router.get("/offers/{offer_id}", response={200: OfferOut, 404: ErrorOut}, summary="One offer")
@access("member", object="offer_id", model="orders.Offer")
def get_offer(request: HttpRequest, offer_id: int) -> OfferOut:
    actor = require_authenticated(request)
    return _offer_out(actor, _offer(actor, offer_id))


@router.post(
    "/offers/{offer_id}/accept", response={200: OfferOut, **ERRORS}, summary="Accept an offer"
)
@access("member", perm="offer.answer", object="offer_id", model="orders.Offer")
def accept_offer(request: HttpRequest, offer_id: int, payload: AcceptIn) -> OfferOut:
    """The site takes the work (the first acceptance wins: 409 ``already_assigned``
    otherwise); the design's files and SOPs are shared with its organisation."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    require(actor, "offer.answer", offer.organization_id)
    machine = _machine(actor, payload.machine_id, offer.site_id)
    services.accept_offer(actor=actor, offer=offer, machine=machine, comment=payload.comment)
    return _offer_out(actor, offer)


@router.post(
    "/offers/{offer_id}/decline", response={200: OfferOut, **ERRORS}, summary="Decline an offer"
)
@access("member", perm="offer.answer", object="offer_id", model="orders.Offer")
def decline_offer(request: HttpRequest, offer_id: int, payload: DeclineIn) -> OfferOut:
    """The site says no, with a reason; the work goes to the next candidate."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    services.decline_offer(actor=actor, offer=offer, reason=payload.reason, comment=payload.comment)
    return _offer_out(actor, offer)


@router.post(
    "/offers/{offer_id}/counter", response={200: OfferOut, **ERRORS}, summary="Counter-propose"
)
@access("member", perm="offer.answer", object="offer_id", model="orders.Offer")
def counter_offer(request: HttpRequest, offer_id: int, payload: CounterIn) -> OfferOut:
    """The site could do it at another date, another price or both: a coordinator decides."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    services.counter_offer(
        actor=actor,
        offer=offer,
        proposed_end=payload.proposed_end,
        proposed_price=payload.proposed_price,
        comment=payload.comment,
    )
    return _offer_out(actor, offer)


@router.post(
    "/offers/{offer_id}/accept-counter",
    response={200: OfferOut, **ERRORS},
    summary="Accept a counter-proposal",
)
@access("network", perm="order.manage", object="offer_id", model="orders.Offer")
def accept_counter(request: HttpRequest, offer_id: int) -> OfferOut:
    """Coordinator: agree to the site's date or price; the work is the site's."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    require(actor, "order.manage")
    services.accept_counter(actor=actor, offer=offer)
    return _offer_out(actor, offer)


@router.post(
    "/offers/{offer_id}/refuse-counter",
    response={200: OfferOut, **ERRORS},
    summary="Refuse a counter-proposal",
)
@access("network", perm="order.manage", object="offer_id", model="orders.Offer")
def refuse_counter(request: HttpRequest, offer_id: int) -> OfferOut:
    """Coordinator: refuse the site's proposal; the work goes to the next candidate."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    require(actor, "order.manage")
    services.reject_counter(actor=actor, offer=offer)
    return _offer_out(actor, offer)


@router.post(
    "/offers/{offer_id}/withdraw", response={200: OfferOut, **ERRORS}, summary="Withdraw an offer"
)
@access("network", perm="order.manage", object="offer_id", model="orders.Offer")
def withdraw_offer(request: HttpRequest, offer_id: int) -> OfferOut:
    """Coordinator: take back an offer still waiting for an answer (or countered)."""
    actor = require_authenticated(request)
    offer = _offer(actor, offer_id)
    require(actor, "order.manage")
    services.withdraw_offer(actor=actor, offer=offer)
    return _offer_out(actor, offer)
