"""Sharing choices per data group, and skills declared by members and validated by managers."""

from __future__ import annotations

from typing import Any

import pytest

from reproduce.core.models import AuditEvent
from reproduce.network.models import Process, SharingPolicy, Skill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sharing_data(**groups: tuple[str, list[int]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for group in ("contacts", "prices", "capacity", "machines"):
        audience, named = groups.get(group, ("network", []))
        data[f"{group}-audience"] = audience
        data[f"{group}-shared_with"] = named
    return data


def _names(response: Any) -> list[str]:
    return [f["properties"]["name"] for f in response.json()["features"]]


def test_making_machines_public_shows_them_to_visitors(network: Any, client_for: Any) -> None:
    anonymous = client_for(None)
    assert "Listed orga" not in _names(anonymous.get("/fr/map/sites.geojson?q=laser+orga"))
    client = client_for(network.a.manager)
    page = client.get("/fr/manage/sharing/")
    assert page.status_code == 200 and "Org ORGB" in page.content.decode()
    response = client.post("/fr/manage/sharing/", _sharing_data(machines=("public", [])))
    assert response.status_code == 302
    policy = SharingPolicy.objects.owned_by(network.a.org).get(group="machines")
    assert policy.audience == "public" and not policy.shared_with.exists()
    assert "Listed orga" in _names(anonymous.get("/fr/map/sites.geojson?q=laser+orga"))
    assert AuditEvent.objects.filter(
        action="sharing.set", organization_id_ref=network.a.org.pk
    ).exists()


def test_named_organisations(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    client.post(
        "/fr/manage/sharing/", _sharing_data(prices=("named", [network.b.org.pk, network.c.org.pk]))
    )
    policy = SharingPolicy.objects.owned_by(network.a.org).get(group="prices")
    assert policy.audience == "named"
    assert {o.pk for o in policy.shared_with.all()} == {network.b.org.pk, network.c.org.pk}


def test_named_without_organisation_and_forged_ids_are_refused(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.manager)
    before = list(SharingPolicy.objects.owned_by(network.a.org).values_list("group", "audience"))
    empty = client.post("/en/manage/sharing/", _sharing_data(contacts=("named", [])))
    assert empty.status_code == 200 and "Name at least one organisation" in empty.content.decode()
    assert 'id="id_contacts-shared_with_error"' in empty.content.decode()
    own = client.post("/en/manage/sharing/", _sharing_data(contacts=("named", [network.a.org.pk])))
    assert own.status_code == 200 and "Select a valid choice" in own.content.decode()
    forged = client.post("/en/manage/sharing/", _sharing_data(contacts=("named", [987654])))
    assert forged.status_code == 200
    assert (
        list(SharingPolicy.objects.owned_by(network.a.org).values_list("group", "audience"))
        == before
    )


def test_sharing_page_is_for_managers(network: Any, client_for: Any) -> None:
    assert client_for(network.a.operator).get("/fr/manage/sharing/").status_code == 403
    assert (
        client_for(network.a.viewer).post("/fr/manage/sharing/", _sharing_data()).status_code == 403
    )
    assert client_for(network.outsider).get("/fr/manage/sharing/").status_code == 403
    assert client_for(network.coordinator).get("/fr/manage/sharing/").status_code == 403


def test_member_declares_a_skill_and_a_manager_validates_it(network: Any, client_for: Any) -> None:
    sewing = Process.objects.get(code="sewing")
    operator = client_for(network.a.operator)
    assert operator.get("/fr/manage/skills/").status_code == 200
    response = operator.post(
        "/fr/manage/skills/",
        {"action": "declare", "skill-process": sewing.pk, "skill-level": "expert"},
    )
    assert response.status_code == 302
    skill = Skill.objects.owned_by(network.a.org).get(user=network.a.operator)
    assert (skill.process, skill.level, skill.validated_at) == (sewing, "expert", None)
    # An operator cannot validate, even their own skill.
    assert (
        operator.post(
            "/fr/manage/skills/", {"action": "validate", "object_id": skill.pk}
        ).status_code
        == 403
    )
    manager = client_for(network.a.manager)
    assert "operator@orga.test" in manager.get("/fr/manage/skills/").content.decode()
    assert (
        manager.post(
            "/fr/manage/skills/", {"action": "validate", "object_id": skill.pk}
        ).status_code
        == 302
    )
    skill.refresh_from_db()
    assert skill.validated_by == network.a.manager and skill.validated_at is not None


def test_skills_of_another_organisation_cannot_be_validated(network: Any, client_for: Any) -> None:
    from reproduce.core.actor import actor_for_user
    from reproduce.network import services

    foreign = services.declare_skill(
        actor=actor_for_user(network.b.operator),
        organization=network.b.org,
        user=network.b.operator,
        process=Process.objects.get(code="sewing"),
        level="beginner",
    )
    response = client_for(network.a.manager).post(
        "/fr/manage/skills/", {"action": "validate", "object_id": foreign.pk}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.validated_at is None


def test_forged_process_and_non_members(network: Any, client_for: Any) -> None:
    response = client_for(network.a.viewer).post(
        "/en/manage/skills/",
        {"action": "declare", "skill-process": 987654, "skill-level": "expert"},
    )
    assert (
        response.status_code == 200 and 'id="id_skill-process_error"' in response.content.decode()
    )
    assert not Skill.objects.owned_by(network.a.org).filter(user=network.a.viewer).exists()
    assert client_for(network.outsider).get("/fr/manage/skills/").status_code == 403
