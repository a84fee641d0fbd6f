"""Orders: lifecycle, explosion into work orders, candidates, offers and their races."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from reproduce.designs.models import Design
from reproduce.orders import selectors, services
from reproduce.orders.models import (
    ManufacturingOrder,
    Offer,
    OfferState,
    Order,
    OrderState,
    WorkOrder,
    WorkOrderState,
)
from reproduce.orders.services import LineInput, OrderError
from reproduce.orders.tests.conftest import in_days


def _order(world: Any, quantity: int = 2, config: dict[str, Any] | None = None) -> Order:
    return services.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, quantity, config or {})],
    )


def _released(world: Any, **kw: Any) -> Order:
    order = _order(world, **kw)
    services.submit_order(actor=world.actor(world.buyer), order=order)
    services.release_order(actor=world.actor(world.coordinator), order=order)
    return order


def _work(order: Order, name: str) -> WorkOrder:
    return WorkOrder.objects.unscoped("test").get(order=order, name=name)


def test_a_customer_orders_and_the_coordinator_releases_one_work_order_per_operation(world):
    order = _released(world, quantity=2)
    assert order.reference.startswith(f"C-{timezone.localdate().year}-")
    mos = list(ManufacturingOrder.objects.unscoped("test").filter(order=order))
    assert [(mo.version_id, mo.quantity) for mo in mos] == [
        (world.stool.pk, 2),
        (world.connector.pk, 8),  # 4 per stool
    ]
    names = list(
        WorkOrder.objects.unscoped("test").filter(order=order).values_list("name", "minutes")
    )
    assert names == [
        ("Cut the plywood", 55),  # 15 + 20 × 2
        ("Assemble", 55),
        ("Pack", 55),
        ("Print the connector", 250),  # 10 + 30 × 8
    ]
    assemble = _work(order, "Assemble")
    assert {p.name for p in assemble.predecessors.all()} == {
        "Cut the plywood",
        "Print the connector",
    }
    assert _work(order, "Print the connector").due_at < _work(order, "Pack").due_at


def test_options_add_components_and_work(world):
    order = _released(world, quantity=1, config={"extra_legs": 2})
    connector_mo = ManufacturingOrder.objects.unscoped("test").get(
        order=order, version=world.connector
    )
    assert connector_mo.quantity == 4 + 2 * 2
    assert _work(order, "Cut the plywood").minutes == 15 + 20 * 1.5


def test_options_out_of_range_are_refused_with_a_clear_message(world):
    with pytest.raises(OrderError) as err:
        _order(world, config={"extra_legs": 5})
    assert "between 0 and 2" in err.value.messages[0]
    with pytest.raises(OrderError):
        _order(world, config={"colour": 1})
    assert not Order.objects.unscoped("test").exists()


def test_a_second_release_is_refused_and_writes_nothing(world):
    order = _released(world)
    count = WorkOrder.objects.unscoped("test").count()
    stale = Order.objects.unscoped("test").get(pk=order.pk)
    stale.state = OrderState.SUBMITTED  # what a second coordinator's page still shows
    with pytest.raises(OrderError) as err:
        services.release_order(actor=world.actor(world.coordinator), order=stale)
    assert err.value.code == "concurrent_change"
    assert WorkOrder.objects.unscoped("test").count() == count


def test_an_order_no_site_can_make_names_the_operation_and_why(world):
    from reproduce.designs import services as d
    from reproduce.network.models import Material, Process

    designer = world.actor(world.designer.memberships.first().user)
    design = d.create_design(
        actor=designer,
        organization=world.designer,
        values={"name": "Steel frame", "kind": "product", "license": "CERN-OHL-S-2.0"},
        number="1.0",
        visibility="network",
    )
    version = design.versions.get()
    d.add_operation(
        actor=designer,
        version=version,
        values={
            "name": "Weld the frame",
            "kind": "fabrication",
            "process": Process.objects.get(code="tig-welding"),
            "material": Material.objects.get(code="stainless-steel"),
        },
    )
    d.release_version(actor=designer, version=version)
    order = services.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(20),
        lines=[LineInput(version, 1)],
    )
    with pytest.raises(OrderError) as err:
        services.submit_order(actor=world.actor(world.buyer), order=order)
    assert err.value.code == "not_manufacturable"
    assert "Weld the frame" in err.value.messages[0]
    assert "no workshop of the network offers" in err.value.messages[0]
    order.refresh_from_db()
    assert order.state == OrderState.DRAFT


def test_candidates_are_the_capable_sites_with_reasons_best_first(world):
    order = _released(world)
    found = selectors.candidates(_work(order, "Cut the plywood"))
    assert [c.site for c in found] == [world.x.site, world.y.site]  # y is dearer
    assert any("Estimated price" in r for r in found[0].reasons)
    assert found[0].price == Decimal("36.67")  # 55 minutes at €40/h
    printing = selectors.candidates(_work(order, "Print the connector"))
    assert [c.site for c in printing] == [world.z.site]


def test_accepting_assigns_the_work_and_shares_the_design_with_that_site_only(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    coord = world.actor(world.coordinator)
    offer = services.offer_work_order(actor=coord, work_order=cut, site=world.x.site)
    assert (
        not Design.objects.visible_to(world.actor(world.x.manager))
        .filter(pk=world.stool.design_id, visibility="private")
        .exists()
    )
    services.accept_offer(actor=world.actor(world.x.manager), offer=offer)
    cut.refresh_from_db()
    assert (cut.state, cut.site) == (WorkOrderState.ACCEPTED, world.x.site)
    design = world.stool.design
    assert design.shares.filter(organization=world.x.org).exists()
    assert not design.shares.filter(organization=world.y.org).exists()


def test_two_sites_accepting_the_same_work_leave_one_winner(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    coord = world.actor(world.coordinator)
    first = services.offer_work_order(actor=coord, work_order=cut, site=world.x.site)
    second = services.offer_work_order(actor=coord, work_order=cut, site=world.y.site)
    services.accept_offer(actor=world.actor(world.y.manager), offer=second)
    first.refresh_from_db()
    assert first.state == OfferState.WITHDRAWN
    stale = Offer.objects.unscoped("test").get(pk=first.pk)
    stale.state = OfferState.OPEN  # the page x still shows
    with pytest.raises(OrderError) as err:
        services.accept_offer(actor=world.actor(world.x.manager), offer=stale)
    assert err.value.code == "already_assigned"
    cut.refresh_from_db()
    assert cut.site == world.y.site


def test_declining_offers_the_work_to_the_next_candidate_then_flags_it(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    coord = world.actor(world.coordinator)
    offer = services.offer_work_order(actor=coord, work_order=cut, site=world.x.site)
    services.decline_offer(
        actor=world.actor(world.x.manager), offer=offer, reason="no_capacity", comment=""
    )
    nxt = Offer.objects.unscoped("test").get(work_order=cut, state=OfferState.OPEN)
    assert nxt.site == world.y.site
    services.decline_offer(
        actor=world.actor(world.y.manager), offer=nxt, reason="deadline", comment=""
    )
    cut.refresh_from_db()
    assert cut.state == WorkOrderState.UNASSIGNED
    assert cut in selectors.dispatch_queue(coord)


def test_an_unanswered_offer_expires_and_goes_to_the_next_candidate(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    services.offer_work_order(
        actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
    )
    assert services.expire_overdue_offers(timezone.now() + timedelta(hours=49)) == 1
    states = dict(
        Offer.objects.unscoped("test").filter(work_order=cut).values_list("site_id", "state")
    )
    assert states == {world.x.site.pk: OfferState.EXPIRED, world.y.site.pk: OfferState.OPEN}


def test_a_counter_offer_after_the_deadline_is_refused(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    offer = services.offer_work_order(
        actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
    )
    Offer.objects.unscoped("test").filter(pk=offer.pk).update(
        deadline=timezone.now() - timedelta(minutes=1)
    )
    offer.refresh_from_db()
    with pytest.raises(OrderError) as err:
        services.counter_offer(
            actor=world.actor(world.x.manager),
            offer=offer,
            proposed_price=Decimal("30"),
        )
    assert err.value.code == "offer_expired"
    offer.refresh_from_db()
    assert offer.state == OfferState.OPEN


def test_a_counter_offer_accepted_by_the_coordinator_sets_the_agreed_date_and_price(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    coord = world.actor(world.coordinator)
    offer = services.offer_work_order(actor=coord, work_order=cut, site=world.x.site)
    when = timezone.now() + timedelta(days=10)
    services.counter_offer(
        actor=world.actor(world.x.manager),
        offer=offer,
        proposed_end=when,
        proposed_price=Decimal("50"),
    )
    services.accept_counter(actor=coord, offer=offer)
    cut.refresh_from_db()
    assert (cut.site, cut.price, cut.agreed_end) == (world.x.site, Decimal("50"), when)


def test_a_site_sees_only_the_work_offered_to_it_and_customers_only_their_orders(world):
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    services.offer_work_order(
        actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
    )
    assert list(WorkOrder.objects.visible_to(world.actor(world.x.operator))) == [cut]
    assert not WorkOrder.objects.visible_to(world.actor(world.y.manager)).exists()
    assert list(Order.objects.visible_to(world.actor(world.buyer))) == [order]
    assert not Order.objects.visible_to(world.actor(world.other_buyer)).exists()
    assert not Order.objects.visible_to(world.actor(world.x.manager)).exists()


def test_only_the_customer_or_a_coordinator_may_order_for_a_customer(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_order(
            actor=world.actor(world.other_buyer),
            customer=world.customer,
            requested_date=in_days(30),
            lines=[LineInput(world.stool, 1)],
        )
    order = services.create_order(
        actor=world.actor(world.coordinator),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, 1)],
    )
    assert order.customer == world.customer


def test_quote_flow(world):
    order = _order(world)
    buyer = world.actor(world.buyer)
    services.request_quote(actor=buyer, order=order)
    services.quote_order(
        actor=world.actor(world.coordinator),
        order=order,
        amount=Decimal("420"),
        valid_until=in_days(10),
    )
    services.submit_order(actor=buyer, order=order)
    assert order.state == OrderState.SUBMITTED
    assert Order.objects.unscoped("test").get(pk=order.pk).quote_amount == Decimal("420")


def test_a_required_certification_keeps_uncertified_sites_out(world):
    from reproduce.network import services as network

    op = world.stool.operations.get(name="Cut the plywood")
    type(op).objects.unscoped("test").filter(pk=op.pk).update(certification="EN 1090-2")
    with pytest.raises(OrderError) as err:
        _released(world)
    assert "certification EN 1090-2" in err.value.messages[0]
    network.update_site(
        actor=world.actor(world.y.manager),
        site=world.y.site,
        values={"certifications": "ISO 9001, en 1090-2"},
    )
    order = _released(world)
    found = selectors.candidates(_work(order, "Cut the plywood"))
    assert found[0].site == world.y.site
    assert found[1].asked == "uncertified"
    with pytest.raises(OrderError):
        services.offer_work_order(
            actor=world.actor(world.coordinator),
            work_order=_work(order, "Cut the plywood"),
            site=world.x.site,
        )


def test_sites_are_told_of_offers_and_coordinators_of_counter_proposals(
    world, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    order = _released(world)
    cut = _work(order, "Cut the plywood")
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_work_order(
            actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
        )
    assert [m.to for m in mailoutbox] == [[world.x.manager.email]]
    assert cut.reference in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.counter_offer(
            actor=world.actor(world.x.manager), offer=offer, proposed_price=Decimal("99")
        )
    assert mailoutbox[-1].to == [world.coordinator.email]
    assert "99" in mailoutbox[-1].body
