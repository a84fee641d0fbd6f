"""Registering and editing organisations; the KBO/BCE and VAT numbers are checked by the model."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reproduce.accounts.models import Membership, Organization
from reproduce.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _org_data(**overrides: Any) -> dict[str, str]:
    data = {
        "name": "Atelier Zinneke",
        "legal_name": "Atelier Zinneke ASBL",
        "kind": "fablab",
        "enterprise_number": "0812.345.603",
        "vat_number": "",
        "description": "",
        "website": "",
        "email": "",
        "phone": "",
        "street": "",
        "postcode": "",
        "city": "Bruxelles",
    }
    data.update(overrides)
    return data


def test_creating_an_organisation_makes_me_its_owner_and_acts_for_it(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.outsider)
    response = client.post("/fr/organizations/new/", _org_data(enterprise_number="0812345603"))
    assert response.status_code == 302
    assert response["Location"] == "/fr/dashboard/"
    org = Organization.objects.get(name="Atelier Zinneke")
    assert org.enterprise_number == "0812.345.603"  # normalised by Organization.clean()
    assert Membership.objects.unscoped("test").get(organization=org).user == network.outsider
    assert Membership.objects.unscoped("test").get(organization=org).role == "owner"
    assert AuditEvent.objects.filter(action="organization.created", object_id=str(org.pk)).exists()
    dashboard = client.get("/fr/dashboard/")
    assert "Atelier Zinneke" in dashboard.content.decode()


def test_invalid_enterprise_number_is_explained_next_to_the_field(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.outsider)
    response = client.post("/en/organizations/new/", _org_data(enterprise_number="0812.345.604"))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "is not a valid Belgian enterprise number (KBO/BCE): the check digits do not match" in body
    )
    # The error is linked to its input for screen readers, and what was typed is kept.
    assert 'id="id_enterprise_number_error"' in body
    assert 'aria-describedby="id_enterprise_number_helptext id_enterprise_number_error"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="Atelier Zinneke"' in body
    assert not Organization.objects.filter(name="Atelier Zinneke").exists()


def test_enterprise_number_error_is_translated(network: Any, client_for: Any) -> None:
    response = client_for(network.outsider).post(
        "/fr/organizations/new/", _org_data(enterprise_number="12ab")
    )
    assert response.status_code == 200
    assert 'id="id_enterprise_number_error"' in response.content.decode()
    assert not Organization.objects.filter(name="Atelier Zinneke").exists()


def test_invalid_vat_number_is_refused(network: Any, client_for: Any) -> None:
    response = client_for(network.outsider).post(
        "/en/organizations/new/", _org_data(vat_number="BE0812345604")
    )
    assert response.status_code == 200
    assert 'id="id_vat_number_error"' in response.content.decode()
    assert "not a valid Belgian VAT number" in response.content.decode()


def test_an_enterprise_number_already_registered_is_refused_on_its_field(
    network: Any, client_for: Any
) -> None:
    Organization.objects.filter(pk=network.b.org.pk).update(enterprise_number="0812.345.603")
    response = client_for(network.outsider).post("/en/organizations/new/", _org_data())
    body = response.content.decode()
    assert response.status_code == 200
    assert "already registered with this enterprise number" in body
    assert 'id="id_enterprise_number_error"' in body
    assert Organization.objects.filter(enterprise_number="0812.345.603").count() == 1


def test_manager_edits_the_organisation(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    url = f"/fr/organizations/{network.a.org.slug}/edit/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _org_data(
            name="Org A renamed",
            vat_number="be 0812 345 603",
            description="<p>Hello <script>alert(1)</script><b>there</b></p>",
        ),
    )
    assert response.status_code == 302, re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', response.content.decode()
    )
    org = Organization.objects.get(pk=network.a.org.pk)
    assert org.name == "Org A renamed"
    assert org.vat_number == "BE0812345603"
    assert "<script" not in org.description and "<b>there</b>" in org.description
    event = AuditEvent.objects.filter(action="organization.updated").latest("sequence")
    assert event.changes["name"] == ["Org ORGA", "Org A renamed"]


def test_viewer_cannot_edit_and_foreign_organisation_is_not_found(
    network: Any, client_for: Any
) -> None:
    assert (
        client_for(network.a.viewer)
        .get(f"/fr/organizations/{network.a.org.slug}/edit/")
        .status_code
        == 403
    )
    response = client_for(network.a.viewer).post(
        f"/fr/organizations/{network.a.org.slug}/edit/", _org_data()
    )
    assert response.status_code == 403
    assert Organization.objects.get(pk=network.a.org.pk).name == "Org ORGA"
    assert (
        client_for(network.a.owner).get(f"/fr/organizations/{network.b.org.slug}/edit/").status_code
        == 404
    )


def test_my_organisations_lists_my_roles(network: Any, client_for: Any) -> None:
    Membership.objects.unscoped("test").create(
        user=network.a.viewer, organization=network.c.org, role="manager"
    )
    body = client_for(network.a.viewer).get("/en/organizations/").content.decode()
    assert "Org ORGA" in body and "Org ORGC" in body and "Org ORGB" not in body
    assert f"/en/organizations/{network.c.org.slug}/edit/" in body  # manager of C
    assert f"/en/organizations/{network.a.org.slug}/edit/" not in body  # viewer of A


def test_switching_to_another_of_my_organisations(network: Any, client_for: Any) -> None:
    Membership.objects.unscoped("test").create(
        user=network.a.viewer, organization=network.c.org, role="manager"
    )
    client = client_for(network.a.viewer)
    response = client.post(
        "/fr/me/switch/", {"organization": network.c.org.pk, "next": "/fr/dashboard/"}
    )
    assert response.status_code == 302
    assert "Org ORGC" in client.get("/fr/dashboard/").content.decode()
    assert client.post("/fr/me/switch/", {"organization": network.b.org.pk}).status_code == 404
