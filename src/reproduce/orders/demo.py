"""Demo orders: a MobiFab bench order and a BruCycle tote-bag order, released, dispatched
across the network's workshops (most offers accepted, one declined, a few waiting), a quote
request, and a published network plan. Loaded once (keyed on the orders' notes marker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from reproduce.accounts.models import NetworkRole, Organization
from reproduce.core.actor import Actor, actor_for_user
from reproduce.designs.models import DesignVersion, VersionState
from reproduce.network.demo import system_actor
from reproduce.orders import services
from reproduce.orders.models import Offer, OfferState, Order

MARKER = "[demo]"


@dataclass
class DemoOrders:
    orders: list[str] = field(default_factory=list)
    work_orders: int = 0
    plan: str = ""


def _released(slug: str) -> DesignVersion:
    return (
        DesignVersion.objects.unscoped("demo loader")
        .filter(design__slug=slug, state=VersionState.RELEASED)
        .select_related("design")
        .latest("released_at")
    )


def _coordinator() -> Actor:
    role = NetworkRole.objects.filter(role="coordinator").select_related("user").first()
    if role is None:
        return Actor(network_roles=frozenset({"coordinator"}))
    return actor_for_user(role.user)


def _order(customer: str, slug: str, quantity: int, days: int, config: dict, note: str) -> Order:
    org = Organization.objects.get(slug=customer)
    return services.create_order(
        actor=system_actor(org),
        customer=org,
        requested_date=timezone.localdate() + timedelta(days=days),
        lines=[services.LineInput(_released(slug), quantity, config)],
        notes=f"{note} {MARKER}",
        is_demo=True,
    )


def _answer_offers(order: Order, decline_first: bool) -> None:
    """Sites answer: the first offer is declined (no capacity) when asked, the last stays
    waiting, the others are accepted."""
    offers = list(
        Offer.objects.unscoped("demo loader")
        .filter(work_order__order=order, state=OfferState.OPEN)
        .select_related("site__organization", "work_order")
        .order_by("work_order__pk")
    )
    for i, offer in enumerate(offers):
        actor = system_actor(offer.site.organization)
        if i == 0 and decline_first:
            services.decline_offer(actor=actor, offer=offer, reason="no_capacity", comment="")
        elif i < len(offers) - 1:
            services.accept_offer(actor=actor, offer=offer)
    for offer in Offer.objects.unscoped("demo loader").filter(
        work_order__order=order, state=OfferState.OPEN
    )[1:]:
        services.accept_offer(actor=system_actor(offer.site.organization), offer=offer)


def load_demo_orders(*, plan_seconds: int = 10) -> DemoOrders:
    report = DemoOrders()
    if Order.objects.unscoped("demo loader").filter(notes__endswith=MARKER).exists():
        return report
    coordinator = _coordinator()
    bench = _order(
        "commune-forest",
        "mobifab-bench",
        4,
        35,
        {"extra_seat_modules": 1, "backrest": 1},
        "Bancs pour la place Saint-Denis : 4 bancs longs avec dossier.",
    )
    totes = _order(
        "encre-flagey",
        "brucycle-tote-bag",
        40,
        21,
        {},
        "Sacs pour la fête du quartier Flagey, logo sérigraphié à part.",
    )
    for order, decline in ((bench, True), (totes, False)):
        services.submit_order(actor=system_actor(order.customer), order=order)
        report.work_orders += len(services.release_order(actor=coordinator, order=order))
        services.dispatch_order(actor=coordinator, order=order)
        _answer_offers(order, decline)
        report.orders.append(order.reference)
    quote = _order(
        "greenfabric",
        "textile-shredder",
        1,
        60,
        {},
        "Une deuxième broyeuse pour l'atelier de Molenbeek : quel prix ?",
    )
    services.request_quote(actor=system_actor(quote.customer), order=quote)
    report.orders.append(quote.reference)
    report.plan = _plan(plan_seconds)
    return report


def _plan(seconds: int) -> str:
    from reproduce.planning import services as planning

    run = planning.request_plan(actor=None, reason="demo", time_limit=max(5, seconds))
    run = planning.run_plan(run.pk)
    return f"{run.state} {run.stats.get('work_orders', 0)} work orders"
