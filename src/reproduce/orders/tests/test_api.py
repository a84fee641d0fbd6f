"""The REST API of orders and dispatch, as a client sees it: the order's journey from the
customer's draft to a site's acceptance, the refusals and their codes, who sees what."""

import json
from typing import Any

import pytest
from django.test import Client

from reproduce.designs.models import DesignShare
from reproduce.orders.models import Offer, OfferState, WorkOrder
from reproduce.orders.tests.conftest import in_days

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _post(client: Client, url: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(url, json.dumps(data or {}), content_type=JSON, headers=headers)


def _order_data(world: Any, **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"version": world.stool.pk, "quantity": 2}],
        "requested_date": in_days(30).isoformat(),
        **extra,
    }


def _released(world: Any, client_for: Any) -> tuple[int, list[dict[str, Any]]]:
    """An order of the customer, placed and released: its id and the work orders created."""
    created = _post(client_for(world.buyer), "/api/v1/orders", _order_data(world, submit=True))
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    released = _post(client_for(world.coordinator), f"/api/v1/orders/{order_id}/release")
    assert released.status_code == 200, released.content
    return order_id, released.json()["work_orders"]


def _cut(work: list[dict[str, Any]]) -> int:
    return next(wo["id"] for wo in work if wo["name"] == "Cut the plywood")


def test_an_order_goes_from_draft_to_an_accepted_offer(world, client_for):
    buyer, coordinator = client_for(world.buyer), client_for(world.coordinator)
    created = _post(buyer, "/api/v1/orders", _order_data(world, notes="Back door"))
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["state"], order["customer"]["slug"]) == ("draft", world.customer.slug)
    assert order["lines"][0]["version"]["id"] == world.stool.pk
    submitted = _post(buyer, f"/api/v1/orders/{order['id']}/submit")
    assert submitted.json()["state"] == "submitted"

    released = _post(coordinator, f"/api/v1/orders/{order['id']}/release").json()
    names = [wo["name"] for wo in released["work_orders"]]
    assert names == ["Cut the plywood", "Assemble", "Pack", "Print the connector"]
    assert [mo["version"]["id"] for mo in released["order"]["manufacturing_orders"]] == [
        world.stool.pk,
        world.connector.pk,
    ]
    cut = _cut(released["work_orders"])

    candidates = coordinator.get(f"/api/v1/work-orders/{cut}/candidates")
    assert candidates.status_code == 200
    ranked = [c["site"]["id"] for c in candidates.json()]
    assert ranked[:2] == [world.x.site.pk, world.y.site.pk]  # both laser-cut; X is cheaper
    assert world.z.site.pk not in ranked  # a 3D printer cannot cut plywood
    assert candidates.json()[0]["reasons"]

    offered = _post(
        coordinator,
        f"/api/v1/work-orders/{cut}/offers",
        {"site_id": world.x.site.pk, "answer_within_hours": 24},
    )
    assert offered.status_code == 201, offered.content
    offer = offered.json()
    assert (offer["state"], offer["site"]["id"]) == ("open", world.x.site.pk)

    site = client_for(world.x.manager)
    inbox = site.get("/api/v1/offers").json()
    assert [o["id"] for o in inbox["items"]] == [offer["id"]]
    accepted = _post(site, f"/api/v1/offers/{offer['id']}/accept", {"comment": "Monday"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    work = site.get(f"/api/v1/work-orders/{cut}").json()
    assert (work["state"], work["site"]["id"]) == ("accepted", world.x.site.pk)
    # Accepted work shares the design with the site's organisation.
    assert DesignShare.objects.unscoped("test").filter(organization=world.x.org).exists()
    detail = buyer.get(f"/api/v1/orders/{order['id']}").json()
    states = {
        wo["name"]: wo["state"] for mo in detail["manufacturing_orders"] for wo in mo["work_orders"]
    }
    assert states["Cut the plywood"] == "accepted"


def test_a_second_site_accepting_the_same_work_gets_409(world, client_for):
    _order_id, work = _released(world, client_for)
    cut = _cut(work)
    coordinator = client_for(world.coordinator)
    offers = {}
    for lab in (world.x, world.y):
        answer = _post(coordinator, f"/api/v1/work-orders/{cut}/offers", {"site_id": lab.site.pk})
        offers[lab.org.slug] = answer.json()["id"]
    first = _post(client_for(world.x.manager), f"/api/v1/offers/{offers['labx']}/accept")
    assert first.status_code == 200

    late = _post(client_for(world.y.manager), f"/api/v1/offers/{offers['laby']}/accept")
    assert (late.status_code, late.json()["code"]) == (409, "offer_closed")  # withdrawn
    # Y read its offer before X's acceptance was committed (the race): still refused.
    Offer.objects.unscoped("test: the state Y read").filter(pk=offers["laby"]).update(
        state=OfferState.OPEN
    )
    raced = _post(client_for(world.y.manager), f"/api/v1/offers/{offers['laby']}/accept")
    assert raced.status_code == 409
    assert raced.json()["code"] == "already_assigned"
    assert set(raced.json()) == {"code", "message", "details"}
    assert WorkOrder.objects.unscoped("test").get(pk=cut).site_id == world.x.site.pk
    # The site that lost the work does not learn which workshop took it.
    lost = client_for(world.y.manager).get(f"/api/v1/offers/{offers['laby']}").json()
    assert (lost["work_order"]["state"], lost["work_order"]["site"]) == ("accepted", None)


def test_another_customer_s_order_answers_404(world, client_for):
    created = _post(client_for(world.buyer), "/api/v1/orders", _order_data(world))
    order_id = created.json()["id"]
    for user in (world.other_buyer, world.x.manager):
        client = client_for(user)
        assert client.get(f"/api/v1/orders/{order_id}").status_code == 404
        assert _post(client, f"/api/v1/orders/{order_id}/submit").status_code == 404
        assert client.get("/api/v1/orders").json()["count"] == 0
    assert client_for(world.coordinator).get("/api/v1/orders").json()["count"] == 1


def test_a_customer_cannot_release_nor_a_site_read_candidates(world, client_for):
    created = _post(client_for(world.buyer), "/api/v1/orders", _order_data(world, submit=True))
    order_id = created.json()["id"]
    refused = _post(client_for(world.buyer), f"/api/v1/orders/{order_id}/release")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    _order_id, work = _released(world, client_for)
    assert client_for(world.x.manager).get(
        f"/api/v1/work-orders/{_cut(work)}/candidates"
    ).status_code in (403, 404)


def test_a_site_sees_only_its_own_offers_of_a_work_order(world, client_for):
    _order_id, work = _released(world, client_for)
    cut = _cut(work)
    coordinator = client_for(world.coordinator)
    for lab in (world.x, world.y):
        _post(coordinator, f"/api/v1/work-orders/{cut}/offers", {"site_id": lab.site.pk})
    seen = client_for(world.x.manager).get(f"/api/v1/work-orders/{cut}").json()
    assert [o["site"]["id"] for o in seen["offers"]] == [world.x.site.pk]
    assert len(coordinator.get(f"/api/v1/work-orders/{cut}").json()["offers"]) == 2
    listed = client_for(world.z.manager).get("/api/v1/work-orders").json()
    assert listed["count"] == 0  # nothing was offered to Z
    assert client_for(world.z.manager).get(f"/api/v1/work-orders/{cut}").status_code == 404


def test_a_quote_is_asked_priced_and_accepted(world, client_for):
    buyer, coordinator = client_for(world.buyer), client_for(world.coordinator)
    order = _post(buyer, "/api/v1/orders", _order_data(world, quote=True)).json()
    assert order["state"] == "quote_requested"
    early = _post(buyer, f"/api/v1/orders/{order['id']}/accept-quote")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    quoted = _post(
        coordinator,
        f"/api/v1/orders/{order['id']}/quote",
        {"amount": "480.00", "valid_until": in_days(10).isoformat(), "note": "Delivery incl."},
    )
    assert quoted.status_code == 200, quoted.content
    assert quoted.json()["quote"] == {
        "amount": "480.00",
        "valid_until": in_days(10).isoformat(),
        "note": "Delivery incl.",
    }
    accepted = _post(buyer, f"/api/v1/orders/{order['id']}/accept-quote")
    assert accepted.json()["state"] == "submitted"


def test_orders_refuse_bad_requests_with_codes(world, client_for):
    buyer = client_for(world.buyer)
    both = _post(buyer, "/api/v1/orders", _order_data(world, submit=True, quote=True))
    assert (both.status_code, both.json()["code"]) == (422, "validation_error")
    past = _post(buyer, "/api/v1/orders", {**_order_data(world), "requested_date": "2000-01-01"})
    assert (past.status_code, past.json()["code"]) == (422, "date_in_past")
    unknown = _post(
        buyer, "/api/v1/orders", {**_order_data(world), "lines": [{"version": 0, "quantity": 1}]}
    )
    assert unknown.json()["code"] == "unknown_version"
    foreign = _post(
        buyer, "/api/v1/orders", _order_data(world, customer_id=world.other_customer.pk)
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, "validation_error")
    assert "customer_id" in foreign.json()["details"]
    option = _post(
        buyer,
        "/api/v1/orders",
        {
            **_order_data(world),
            "lines": [
                {"version": world.stool.pk, "quantity": 1, "configuration": {"extra_legs": 9}}
            ],
        },
    )
    assert (option.status_code, option.json()["code"]) == (422, "invalid_option")


def test_a_coordinator_acts_for_the_customer_only_through_on_behalf(world, client_for):
    coordinator = client_for(world.coordinator)
    created = _post(
        coordinator, "/api/v1/orders", _order_data(world, customer_id=world.customer.pk)
    )
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    assert created.json()["customer"]["id"] == world.customer.pk
    assert _post(coordinator, f"/api/v1/orders/{order_id}/submit").status_code == 403
    done = _post(coordinator, f"/api/v1/orders/{order_id}/on-behalf", {"action": "submit"})
    assert done.json()["state"] == "submitted"
    _post(coordinator, f"/api/v1/orders/{order_id}/release")
    refused = _post(client_for(world.buyer), f"/api/v1/orders/{order_id}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_transition")
    cancelled = _post(
        coordinator, f"/api/v1/orders/{order_id}/on-behalf", {"action": "cancel", "reason": "Dup"}
    )
    assert (cancelled.json()["state"], cancelled.json()["cancel_reason"]) == ("cancelled", "Dup")


def test_dispatch_declines_and_counter_proposals(world, client_for):
    order_id, _work = _released(world, client_for)
    coordinator = client_for(world.coordinator)
    made = _post(coordinator, f"/api/v1/orders/{order_id}/dispatch")
    assert made.status_code == 200
    first = next(o for o in made.json() if o["work_order"]["name"] == "Cut the plywood")
    assert first["site"]["id"] == world.x.site.pk

    x = client_for(world.x.manager)
    vague = _post(x, f"/api/v1/offers/{first['id']}/decline", {"reason": "other"})
    assert (vague.status_code, vague.json()["code"]) == (422, "invalid_reason")
    declined = _post(x, f"/api/v1/offers/{first['id']}/decline", {"reason": "no_capacity"})
    assert declined.json()["state"] == "declined"
    # The work went to the next candidate on its own.
    second = client_for(world.y.manager).get("/api/v1/offers").json()["items"][0]
    assert second["work_order"]["name"] == "Cut the plywood"
    operator = _post(client_for(world.y.operator), f"/api/v1/offers/{second['id']}/accept")
    assert operator.status_code == 403  # an operator does not answer for the workshop

    countered = _post(
        client_for(world.y.manager),
        f"/api/v1/offers/{second['id']}/counter",
        {"proposed_price": "90.00", "comment": "Plywood is dear"},
    )
    assert countered.json()["state"] == "countered"
    taken = _post(coordinator, f"/api/v1/offers/{second['id']}/accept-counter")
    assert taken.json()["state"] == "accepted"
    wo = coordinator.get(f"/api/v1/work-orders/{second['work_order']['id']}").json()
    assert (wo["site"]["id"], wo["price"]) == (world.y.site.pk, "90.00")


def test_the_coordinator_assigns_directly_with_a_reason(world, client_for):
    _order_id, work = _released(world, client_for)
    coordinator = client_for(world.coordinator)
    url = f"/api/v1/work-orders/{_cut(work)}/assign"
    bare = _post(coordinator, url, {"site_id": world.y.site.pk, "reason": ""})
    assert bare.status_code == 422
    assigned = _post(coordinator, url, {"site_id": world.y.site.pk, "reason": "Agreed by phone"})
    assert assigned.status_code == 200, assigned.content
    assert (assigned.json()["state"], assigned.json()["note"]) == ("accepted", "Agreed by phone")
    again = _post(coordinator, url, {"site_id": world.x.site.pk, "reason": "Changed my mind"})
    assert (again.status_code, again.json()["code"]) == (409, "already_assigned")


def test_creating_an_order_twice_with_one_key_creates_one(world, client_for):
    buyer = client_for(world.buyer)
    first = _post(buyer, "/api/v1/orders", _order_data(world), **{"Idempotency-Key": "k-1"})
    again = _post(buyer, "/api/v1/orders", _order_data(world), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert buyer.get("/api/v1/orders").json()["count"] == 1


def test_the_openapi_describes_orders_and_dispatch(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/submit",
        "/api/v1/orders/{order_id}/request-quote",
        "/api/v1/orders/{order_id}/quote",
        "/api/v1/orders/{order_id}/accept-quote",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/orders/{order_id}/on-behalf",
        "/api/v1/orders/{order_id}/release",
        "/api/v1/orders/{order_id}/dispatch",
        "/api/v1/work-orders",
        "/api/v1/work-orders/{work_order_id}",
        "/api/v1/work-orders/{work_order_id}/candidates",
        "/api/v1/work-orders/{work_order_id}/offers",
        "/api/v1/work-orders/{work_order_id}/assign",
        "/api/v1/offers",
        "/api/v1/offers/{offer_id}",
        "/api/v1/offers/{offer_id}/accept",
        "/api/v1/offers/{offer_id}/decline",
        "/api/v1/offers/{offer_id}/counter",
        "/api/v1/offers/{offer_id}/accept-counter",
        "/api/v1/offers/{offer_id}/refuse-counter",
        "/api/v1/offers/{offer_id}/withdraw",
    ]:
        assert path in schema["paths"], path
    order_in = schema["components"]["schemas"]["OrderCreateIn"]["properties"]
    assert order_in["customer_id"]["description"]
