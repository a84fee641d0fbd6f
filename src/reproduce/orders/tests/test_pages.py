"""The pages of orders and dispatch: a customer orders through the form, the coordinator
releases and dispatches, a site answers in its inbox — and nobody sees another's order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reproduce.orders import services
from reproduce.orders.models import Offer, OfferState, Order, OrderState, WorkOrder
from reproduce.orders.services import LineInput
from reproduce.orders.tests.conftest import in_days


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _order(world: Any, quantity: int = 2) -> Order:
    return services.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, quantity, {})],
    )


def _released(world: Any) -> Order:
    order = _order(world)
    services.submit_order(actor=world.actor(world.buyer), order=order)
    services.release_order(actor=world.actor(world.coordinator), order=order)
    return order


def _order_data(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "customer": world.customer.pk,
        "version": world.stool.pk,
        "quantity": "3",
        "option_extra_legs": "1",
        "requested_date": in_days(20).isoformat(),
        "delivery_address": "Rue Ransfort 27, 1080 Molenbeek",
        "notes": "Ring twice",
        "form_token": "a" * 32,
        **extra,
    }


def test_the_customer_orders_through_the_form_and_sees_it(world, client_for):
    client = client_for(world.buyer)
    html = _html(client.get(reverse("orders:new") + f"?version={world.stool.pk}"))
    assert "Extra legs" in html  # the chosen version's options
    assert "Place the order" in html and "Ask for a quote" in html and "Save draft" in html
    # htmx asks only for the options of another version
    part = _html(
        client.get(reverse("orders:new") + f"?version={world.connector.pk}", HTTP_HX_REQUEST="true")
    )
    assert "has no options" in part and "<form" not in part

    response = client.post(reverse("orders:new"), _order_data(world, action="place"))
    assert response.status_code == 302
    order = Order.objects.unscoped("test").get()
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.state == OrderState.SUBMITTED
    assert order.lines.get().configuration == {"extra_legs": 1}
    # The same form sent twice creates one order.
    again = client.post(reverse("orders:new"), _order_data(world, action="place"))
    assert again.status_code == 302
    assert Order.objects.unscoped("test").count() == 1

    html = _html(client.get(response["Location"]))
    assert order.reference in html and "Extra legs: 1" in html and "Submitted" in html
    assert 'aria-current="step"' in html
    html = _html(client.get(reverse("orders:list")))
    assert order.reference in html and "New order" in html


def test_a_refused_order_keeps_what_was_typed(world, client_for):
    client = client_for(world.buyer)
    data = _order_data(world, action="draft", option_extra_legs="7", form_token="")
    html = _html(client.post(reverse("orders:new"), data))
    assert "Ring twice" in html and "Rue Ransfort 27" in html
    assert "errorlist" in html
    assert not Order.objects.unscoped("test").exists()


def test_another_customer_gets_404_and_a_coordinator_sees_it(world, client_for):
    order = _order(world)
    url = reverse("orders:detail", args=[order.pk])
    assert client_for(world.other_buyer).get(url).status_code == 404
    assert (
        client_for(world.other_buyer).post(reverse("orders:submit", args=[order.pk])).status_code
        == 404
    )
    assert order.reference not in _html(client_for(world.other_buyer).get(reverse("orders:list")))
    html = _html(client_for(world.coordinator).get(url))
    assert order.reference in html
    # The coordinator acts for the customer on the network-level route, not the customer's.
    assert (
        client_for(world.coordinator).post(reverse("orders:submit", args=[order.pk])).status_code
        == 403
    )
    assert reverse("orders:on_behalf", args=[order.pk]) in html


def test_quote_request_quote_and_acceptance(world, client_for):
    order = _order(world)
    buyer, coordinator = client_for(world.buyer), client_for(world.coordinator)
    assert buyer.post(reverse("orders:request_quote", args=[order.pk])).status_code == 302
    html = _html(coordinator.get(reverse("orders:detail", args=[order.pk])))
    assert "Send the quote" in html
    refused = coordinator.post(
        reverse("orders:quote", args=[order.pk]),
        {"quote-amount": "", "quote-valid_until": in_days(10).isoformat()},
    )
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    response = coordinator.post(
        reverse("orders:quote", args=[order.pk]),
        {"quote-amount": "240,50", "quote-valid_until": in_days(10).isoformat()},
    )
    assert response.status_code == 302
    html = _html(buyer.get(reverse("orders:detail", args=[order.pk])))
    assert "240,50" in html and "Accept the quote" in html
    buyer.post(reverse("orders:submit", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED


def test_the_coordinator_releases_and_dispatches_and_the_site_accepts(world, client_for):
    order = _order(world)
    services.submit_order(actor=world.actor(world.buyer), order=order)
    coordinator = client_for(world.coordinator)
    detail = reverse("orders:detail", args=[order.pk])
    assert "Release the order" in _html(coordinator.get(detail))
    assert (
        client_for(world.buyer).post(reverse("orders:release", args=[order.pk])).status_code == 403
    )

    response = coordinator.post(reverse("orders:release", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == detail
    html = _html(coordinator.get(detail))
    assert "Dispatch all" in html and "Cut the plywood" in html
    assert coordinator.post(reverse("orders:dispatch_all", args=[order.pk])).status_code == 302
    cut = WorkOrder.objects.unscoped("test").get(order=order, name="Cut the plywood")
    offer = Offer.objects.unscoped("test").get(work_order=cut, state=OfferState.OPEN)
    assert offer.site == world.x.site  # nearer and cheaper than y

    html = _html(coordinator.get(reverse("orders:work_order", args=[cut.pk])))
    assert (
        "Candidate sites" in html
        and "Lab LABX" in html
        and "Lab LABY" in html
        and "Withdraw" in html
    )
    html = _html(coordinator.get(reverse("orders:dispatch")))
    assert "Offers waiting for an answer" in html and cut.reference in html

    site = client_for(world.x.manager)
    html = _html(site.get(reverse("orders:inbox")))
    assert cut.reference in html and "Why you" in html and "Accept the work" in html
    html = _html(site.get(reverse("orders:work_order", args=[cut.pk])))
    assert "Candidate sites" not in html and "Lab LABY" not in html
    response = site.post(
        reverse("orders:accept", args=[offer.pk]),
        {f"offer-{offer.pk}-accept-machine": world.x.machine.pk},
    )
    assert response.status_code == 302 and response["Location"] == reverse("orders:inbox")
    cut.refresh_from_db()
    assert cut.state == "accepted" and cut.machine == world.x.machine
    html = _html(site.get(reverse("orders:inbox")))
    assert "Accepted work not finished" in html and cut.reference in html
    # The design is now shared with the site: its page is linked.
    html = _html(site.get(reverse("orders:work_order", args=[cut.pk])))
    assert reverse("designs:version", args=[world.stool.pk]) in html
    # Lab Y was not offered the work: 404.
    assert (
        client_for(world.y.manager).get(reverse("orders:work_order", args=[cut.pk])).status_code
        == 404
    )


def test_decline_other_without_comment_shows_the_error(world, client_for):
    order = _released(world)
    services.dispatch_order(actor=world.actor(world.coordinator), order=order)
    offer = Offer.objects.unscoped("test").get(
        site=world.x.site, state=OfferState.OPEN, work_order__name="Cut the plywood"
    )
    site = client_for(world.x.manager)
    url = reverse("orders:decline", args=[offer.pk])
    html = _html(site.post(url, {f"offer-{offer.pk}-decline-reason": "other"}))
    assert "Say why in the comment." in html
    offer.refresh_from_db()
    assert offer.state == OfferState.OPEN
    # An operator may read the inbox but not answer.
    assert client_for(world.x.operator).post(url, {}).status_code == 403
    response = site.post(
        url,
        {
            f"offer-{offer.pk}-decline-reason": "other",
            f"offer-{offer.pk}-decline-comment": "Closed for inventory",
        },
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.state == OfferState.DECLINED
    # The work went to the next candidate (lab Y).
    assert Offer.objects.unscoped("test").filter(site=world.y.site, state="open").exists()


def test_a_counter_after_the_deadline_shows_the_service_error(world, client_for):
    order = _released(world)
    services.dispatch_order(actor=world.actor(world.coordinator), order=order)
    offer = Offer.objects.unscoped("test").get(
        site=world.x.site, state=OfferState.OPEN, work_order__name="Cut the plywood"
    )
    Offer.objects.unscoped("test").filter(pk=offer.pk).update(
        deadline=timezone.now() - timedelta(hours=1)
    )
    response = client_for(world.x.manager).post(
        reverse("orders:counter", args=[offer.pk]),
        {f"offer-{offer.pk}-counter-proposed_price": "99"},
    )
    assert "has passed" in _html(response)


def test_counter_proposal_accepted_by_the_coordinator(world, client_for):
    order = _released(world)
    services.dispatch_order(actor=world.actor(world.coordinator), order=order)
    offer = Offer.objects.unscoped("test").get(
        site=world.x.site, state=OfferState.OPEN, work_order__name="Cut the plywood"
    )
    response = client_for(world.x.manager).post(
        reverse("orders:counter", args=[offer.pk]),
        {f"offer-{offer.pk}-counter-proposed_price": "99,50", "from": "work"},
    )
    assert response["Location"] == reverse("orders:work_order", args=[offer.work_order_id])
    coordinator = client_for(world.coordinator)
    html = _html(coordinator.get(reverse("orders:dispatch")))
    assert "Counter-proposals (1)" in html and "99,50" in html
    response = coordinator.post(
        reverse("orders:counter_accept", args=[offer.pk]), {"next": reverse("orders:dispatch")}
    )
    assert response["Location"] == reverse("orders:dispatch")
    offer.refresh_from_db()
    assert offer.state == OfferState.ACCEPTED


def test_the_list_and_inbox_query_counts_are_bounded(
    world, client_for, django_assert_max_num_queries
):
    for _ in range(3):
        order = _released(world)
        services.dispatch_order(actor=world.actor(world.coordinator), order=order)
    buyer, site = client_for(world.buyer), client_for(world.x.manager)
    buyer.get(reverse("orders:list"))  # warm the session and caches
    site.get(reverse("orders:inbox"))
    with django_assert_max_num_queries(12):
        html = _html(buyer.get(reverse("orders:list")))
    assert html.count("/orders/") >= 3
    with django_assert_max_num_queries(14):
        html = _html(site.get(reverse("orders:inbox")))
    open_offers = Offer.objects.unscoped("test").filter(site=world.x.site, state="open").count()
    assert open_offers >= 3 and html.count("Accept the work") == open_offers


def test_the_coordinator_orders_on_behalf_of_a_customer(world, client_for):
    coordinator = client_for(world.coordinator)
    assert coordinator.get(reverse("orders:new")).status_code == 403  # the customers' route
    assert client_for(world.buyer).get(reverse("orders:new_on_behalf")).status_code == 403
    html = _html(coordinator.get(reverse("orders:new_on_behalf")))
    assert "New order for a customer" in html and "Org cust" in html and "Org other" in html
    response = coordinator.post(
        reverse("orders:new_on_behalf"), _order_data(world, action="quote", form_token="b" * 32)
    )
    assert response.status_code == 302
    order = Order.objects.unscoped("test").get()
    assert order.customer == world.customer and order.state == OrderState.QUOTE_REQUESTED
    assert reverse("orders:new_on_behalf") in _html(coordinator.get(reverse("orders:list")))
    response = coordinator.post(
        reverse("orders:on_behalf", args=[order.pk]), {"action": "cancel", "cancel-reason": "Dup"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED and order.cancel_reason == "Dup"


def test_the_coordinator_withdraws_offers_again_and_assigns_directly(world, client_for):
    order = _released(world)
    services.dispatch_order(actor=world.actor(world.coordinator), order=order)
    cut = WorkOrder.objects.unscoped("test").get(order=order, name="Cut the plywood")
    to_x = Offer.objects.unscoped("test").get(work_order=cut, site=world.x.site)
    coordinator = client_for(world.coordinator)
    work = reverse("orders:work_order", args=[cut.pk])
    assert coordinator.post(reverse("orders:withdraw", args=[to_x.pk]))["Location"] == work
    response = coordinator.post(
        reverse("orders:offer", args=[cut.pk]),
        {
            "site": world.y.site.pk,
            f"site-{world.y.site.pk}-site": world.y.site.pk,
            f"site-{world.y.site.pk}-answer_within_hours": "6",
        },
    )
    assert response.status_code == 302
    to_y = Offer.objects.unscoped("test").get(work_order=cut, site=world.y.site)
    assert to_y.state == OfferState.OPEN
    assert timedelta(hours=5) < to_y.deadline - timezone.now() <= timedelta(hours=6)
    html = _html(coordinator.get(work))
    assert "Withdrawn" in html and "Answer within (hours)" in html
    # Assigning directly needs a reason; the refusal keeps the chosen site.
    html = _html(
        coordinator.post(reverse("orders:assign", args=[cut.pk]), {"assign-site": world.x.site.pk})
    )
    assert "errorlist" in html
    response = coordinator.post(
        reverse("orders:assign", args=[cut.pk]),
        {"assign-site": world.x.site.pk, "assign-reason": "Agreed by phone"},
    )
    assert response.status_code == 302
    cut.refresh_from_db()
    assert cut.site == world.x.site and cut.note == "Agreed by phone"
