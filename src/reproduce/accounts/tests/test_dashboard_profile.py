"""The workspace (dashboard) and the profile page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from reproduce.accounts import services
from reproduce.accounts.models import User
from reproduce.core.actor import actor_for_user

pytestmark = pytest.mark.django_db


def test_dashboard_of_a_manager_lists_sites_machines_and_invitations(
    network: Any, client_for: Any
) -> None:
    services.invite_member(
        actor=actor_for_user(network.a.owner),
        organization=network.a.org,
        email="pending@example.test",
        role="viewer",
    )
    body = client_for(network.a.manager).get("/en/dashboard/").content.decode()
    assert body.count("<h1") == 1
    assert "Listed orga" in body and "Hidden site CANARY-A-7f3" in body
    assert "1 machine" in body and "Laser orga" in body
    assert f"/en/manage/sites/{network.a.listed_site.slug}/edit/" in body
    assert f"/en/manage/machines/{network.a.machine.pk}/edit/" in body
    assert "pending@example.test" in body
    for url in (
        "/en/manage/sharing/",
        "/en/manage/sites/new/",
        "/en/manage/skills/",
        "/en/me/tokens/",
        f"/en/organizations/{network.a.org.slug}/members/",
    ):
        assert url in body
    assert "Org ORGB" not in body and "Listed orgb" not in body


def test_dashboard_of_an_operator_offers_downtime_not_editing(
    network: Any, client_for: Any
) -> None:
    body = client_for(network.a.operator).get("/en/dashboard/").content.decode()
    assert f"/en/manage/machines/{network.a.machine.pk}/unavailability/" in body
    assert f"/en/manage/machines/{network.a.machine.pk}/edit/" not in body
    assert "/en/manage/sharing/" not in body


def test_dashboard_query_count_does_not_grow_with_sites(
    network: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from decimal import Decimal

    from reproduce.network import services as network_services
    from reproduce.network.models import Process

    actor = actor_for_user(network.a.owner)
    laser = Process.objects.get(code="laser-cutting")
    for i in range(6):
        site = network_services.create_site(
            actor=actor,
            organization=network.a.org,
            values={
                "name": f"Extra {i}",
                "street": "Rue 1",
                "postcode": "1000",
                "latitude": Decimal("50.85"),
                "longitude": Decimal("4.35"),
            },
        )
        network_services.create_machine(
            actor=actor, site=site, process=laser, values={"name": f"M{i}"}
        )
    client = client_for(network.a.owner)
    client.get("/fr/dashboard/")
    with django_assert_max_num_queries(12):
        response = client.get("/fr/dashboard/")
    assert "Extra 5" in response.content.decode()


def test_dashboard_without_organisation_invites_to_create_one_and_shows_my_invitations(
    network: Any, client_for: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    invitation = services.invite_member(
        actor=actor_for_user(network.b.owner),
        organization=network.b.org,
        email=network.outsider.email.upper(),
        role="operator",
    )
    client = client_for(network.outsider)
    body = client.get("/en/dashboard/").content.decode()
    assert "/en/organizations/new/" in body
    assert "Org ORGB" in body and "invites you" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/invitations/accept/", {"action": "resend_to_me", "object_id": invitation.pk}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == [network.outsider.email]
    # Someone else's invitation cannot be re-sent by a third person.
    stranger = User.objects.create_user(email="stranger@example.test", password="pw-Test-12345")
    assert (
        client_for(stranger)
        .post("/en/invitations/accept/", {"action": "resend_to_me", "object_id": invitation.pk})
        .status_code
        == 404
    )


def test_profile_saves_name_and_language(network: Any, client_for: Any) -> None:
    client = client_for(network.a.viewer)
    page = client.get("/fr/me/")
    assert page.status_code == 200 and 'name="preferred_language"' in page.content.decode()
    response = client.post(
        "/fr/me/", {"first_name": "Amina", "last_name": "Belkacem", "preferred_language": "nl"}
    )
    assert response.status_code == 302 and response["Location"] == "/nl/me/"
    network.a.viewer.refresh_from_db()
    assert (network.a.viewer.first_name, network.a.viewer.preferred_language) == ("Amina", "nl")


def test_pages_need_signing_in(client_for: Any, db: Any) -> None:
    for url in (
        "/fr/me/",
        "/fr/me/tokens/",
        "/fr/organizations/",
        "/fr/organizations/new/",
        "/fr/dashboard/",
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
