"""Members, roles and invitations: the e-mail goes through django.tasks after commit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from reproduce.accounts import services
from reproduce.accounts.models import Invitation, Membership, User
from reproduce.core.actor import actor_for_user
from reproduce.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _members_url(world: Any) -> str:
    return f"/fr/organizations/{world.org.slug}/members/"


def _link_in(message: Any) -> str:
    match = re.search(r"https?://\S+/invitations/accept/\?token=[\w-]+", message.body)
    assert match, message.body
    parts = urlsplit(match.group(0))
    return f"{parts.path}?{parts.query}"


def _invite(client: Any, world: Any, email: str, role: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(
            _members_url(world), {"action": "invite", "invite-email": email, "invite-role": role}
        )


def test_invitation_end_to_end(
    network: Any, client_for: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    manager = client_for(network.a.manager)
    response = _invite(
        manager, network.a, "New.Maker@Example.test", "operator", django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.maker@example.test"]
    assert "Org ORGA" in message.subject
    link = _link_in(message)
    assert link.startswith("/fr/invitations/accept/?token=")
    invitation = Invitation.objects.unscoped("test").get(email="new.maker@example.test")
    assert invitation.token_hash == Invitation.hash_token(
        link.split("token=")[1]
    )  # stored hashed only
    assert link.split("token=")[1] not in str(AuditEvent.objects.values_list("changes", flat=True))

    # Signed out: the page says who invites and sends to sign-in / sign-up with a way back.
    anonymous = client_for(None).get(link)
    assert anonymous.status_code == 200
    body = anonymous.content.decode()
    assert (
        "Org ORGA" in body
        and "/fr/accounts/signup/?next=" in body
        and "/fr/accounts/login/?next=" in body
    )
    assert (
        client_for(None)
        .post("/fr/invitations/accept/", {"token": link.split("token=")[1]})
        .status_code
        == 302
    )

    newcomer = User.objects.create_user(email="new.maker@example.test", password="pw-Test-12345")
    client = client_for(newcomer)
    assert client.get(link).status_code == 200
    accepted = client.post("/fr/invitations/accept/", {"token": link.split("token=")[1]})
    assert accepted.status_code == 302 and accepted["Location"] == "/fr/dashboard/"
    membership = Membership.objects.unscoped("test").get(user=newcomer)
    assert (membership.organization, membership.role) == (network.a.org, "operator")
    assert "Org ORGA" in client.get("/fr/dashboard/").content.decode()

    # The link works once.
    again = client_for(newcomer).post("/en/invitations/accept/", {"token": link.split("token=")[1]})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    other = User.objects.create_user(email="other@example.test", password="pw-Test-12345")
    third = client_for(other).post("/en/invitations/accept/", {"token": link.split("token=")[1]})
    assert third.status_code == 410
    assert not Membership.objects.unscoped("test").filter(user=other).exists()


def test_revoked_expired_and_unknown_links_are_explained(
    network: Any, client_for: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    manager = client_for(network.a.manager)
    _invite(manager, network.a, "late@example.test", "viewer", django_capture_on_commit_callbacks)
    _invite(
        manager, network.a, "withdrawn@example.test", "viewer", django_capture_on_commit_callbacks
    )
    late_link, withdrawn_link = _link_in(mail.outbox[0]), _link_in(mail.outbox[1])
    Invitation.objects.unscoped("test").filter(email="late@example.test").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    withdrawn = Invitation.objects.unscoped("test").get(email="withdrawn@example.test")
    assert (
        manager.post(
            _members_url(network.a), {"action": "revoke", "object_id": withdrawn.pk}
        ).status_code
        == 302
    )

    client = client_for(network.outsider)
    late = client.get(late_link.replace("/fr/", "/en/"))
    assert late.status_code == 410 and "has expired" in late.content.decode()
    gone = client.get(withdrawn_link.replace("/fr/", "/en/"))
    assert gone.status_code == 410 and "withdrawn" in gone.content.decode()
    unknown = client.get("/en/invitations/accept/?token=nope")
    assert unknown.status_code == 404 and "not valid" in unknown.content.decode()
    for link in (late_link, withdrawn_link):
        client.post("/en/invitations/accept/", {"token": link.split("token=")[1]})
    assert not Membership.objects.unscoped("test").filter(user=network.outsider).exists()


def test_sending_again_replaces_the_link(
    network: Any, client_for: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    manager = client_for(network.a.manager)
    _invite(manager, network.a, "twice@example.test", "viewer", django_capture_on_commit_callbacks)
    invitation = Invitation.objects.unscoped("test").get(email="twice@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(_members_url(network.a), {"action": "resend", "object_id": invitation.pk})
    first, second = _link_in(mail.outbox[0]), _link_in(mail.outbox[1])
    assert first != second
    assert client_for(network.outsider).get(first).status_code == 404
    assert client_for(network.outsider).get(second).status_code == 200


def test_the_invitation_form_keeps_input_and_refuses_duplicates(
    network: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    manager = client_for(network.a.manager)
    bad = manager.post(
        _members_url(network.a),
        {"action": "invite", "invite-email": "not-an-address", "invite-role": "viewer"},
    )
    assert bad.status_code == 200
    assert 'id="id_invite-email_error"' in bad.content.decode()
    assert 'value="not-an-address"' in bad.content.decode()
    member = manager.post(
        _members_url(network.a),
        {"action": "invite", "invite-email": network.a.viewer.email, "invite-role": "viewer"},
    )
    assert "déjà membre" in member.content.decode()  # the page answers in French
    assert not Invitation.objects.unscoped("test").exists()


def test_only_an_owner_invites_an_owner(
    network: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = client_for(network.a.manager).post(
        _members_url(network.a),
        {"action": "invite", "invite-email": "boss@example.test", "invite-role": "owner"},
    )
    assert response.status_code == 200
    assert 'id="id_invite-role_error"' in response.content.decode()
    assert not Invitation.objects.unscoped("test").exists()
    ok = client_for(network.a.owner).post(
        _members_url(network.a),
        {"action": "invite", "invite-email": "boss@example.test", "invite-role": "owner"},
    )
    assert ok.status_code == 302
    assert Invitation.objects.unscoped("test").get().role == "owner"


def test_members_page_is_for_managers_and_own_organisation(network: Any, client_for: Any) -> None:
    assert client_for(network.a.viewer).get(_members_url(network.a)).status_code == 403
    assert client_for(network.a.operator).get(_members_url(network.a)).status_code == 403
    assert client_for(network.a.manager).get(_members_url(network.b)).status_code == 404
    body = client_for(network.a.manager).get(_members_url(network.a)).content.decode()
    for role in ("owner", "manager", "operator", "viewer"):
        assert f"{role}@orga.test" in body
    assert "@orgb.test" not in body


def test_owner_changes_roles_but_the_last_owner_stays(network: Any, client_for: Any) -> None:
    viewer = Membership.objects.unscoped("test").get(user=network.a.viewer)
    owner_membership = Membership.objects.unscoped("test").get(user=network.a.owner)
    manager = client_for(network.a.manager)
    assert (
        manager.post(
            _members_url(network.a),
            {"action": "change_role", "membership": viewer.pk, "role": "manager"},
        ).status_code
        == 403
    )
    owner = client_for(network.a.owner)
    assert (
        owner.post(
            _members_url(network.a),
            {"action": "change_role", "membership": viewer.pk, "role": "manager"},
        ).status_code
        == 302
    )
    viewer.refresh_from_db()
    assert viewer.role == "manager"
    response = owner.post(
        _members_url(network.a),
        {"action": "change_role", "membership": owner_membership.pk, "role": "viewer"},
        follow=True,
    )
    owner_membership.refresh_from_db()
    assert owner_membership.role == "owner"
    assert (
        "at least one owner" in response.content.decode()
        or "au moins un" in response.content.decode()
    )
    foreign = Membership.objects.unscoped("test").get(user=network.b.viewer)
    assert (
        owner.post(
            _members_url(network.a),
            {"action": "change_role", "membership": foreign.pk, "role": "owner"},
        ).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.role == "viewer"


def test_owner_removes_a_member_not_the_last_owner(network: Any, client_for: Any) -> None:
    owner = client_for(network.a.owner)
    operator = Membership.objects.unscoped("test").get(user=network.a.operator)
    assert (
        owner.post(
            _members_url(network.a), {"action": "remove", "object_id": operator.pk}
        ).status_code
        == 302
    )
    assert not Membership.objects.unscoped("test").filter(pk=operator.pk).exists()
    own = Membership.objects.unscoped("test").get(user=network.a.owner)
    owner.post(_members_url(network.a), {"action": "remove", "object_id": own.pk})
    assert Membership.objects.unscoped("test").filter(pk=own.pk).exists()
    foreign = Membership.objects.unscoped("test").get(user=network.b.viewer)
    assert (
        owner.post(
            _members_url(network.a), {"action": "remove", "object_id": foreign.pk}
        ).status_code
        == 404
    )
    assert (
        client_for(network.a.manager)
        .post(_members_url(network.a), {"action": "remove", "object_id": own.pk})
        .status_code
        == 403
    )


def test_foreign_invitation_cannot_be_revoked(network: Any, client_for: Any) -> None:
    actor_b = actor_for_user(network.b.owner)
    invitation = services.invite_member(
        actor=actor_b, organization=network.b.org, email="x@example.test", role="viewer"
    )
    response = client_for(network.a.owner).post(
        _members_url(network.a), {"action": "revoke", "object_id": invitation.pk}
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_members_page_query_count_does_not_grow_with_members(
    network: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    actor = actor_for_user(network.a.owner)
    for i in range(12):
        user = User.objects.create_user(email=f"member{i}@orga.test", password="pw-Test-12345")
        Membership.objects.unscoped("test").create(
            user=user, organization=network.a.org, role="viewer"
        )
        services.invite_member(
            actor=actor, organization=network.a.org, email=f"guest{i}@example.test", role="viewer"
        )
    client = client_for(network.a.owner)
    client.get(_members_url(network.a))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(_members_url(network.a))
    assert response.status_code == 200
    assert (
        "member11@orga.test" in response.content.decode()
        and "guest11@example.test" in response.content.decode()
    )
