"""The REST API's shared behaviour: tokens and scopes, pagination, errors, idempotency, limits."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reproduce.accounts.models import ApiToken
from reproduce.core.models import AuditEvent
from reproduce.network.models import Machine, Site

pytestmark = pytest.mark.django_db


def _token(user, scopes=("read", "write"), **extra) -> str:
    raw, prefix, digest = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name="test", prefix=prefix, token_hash=digest, scopes=list(scopes), **extra
    )
    return raw


def _api(token: str | None = None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(**headers)


SITE_BODY = {
    "organization": "orga",
    "name": "Atelier du Canal",
    "street": "Quai du Hainaut 41",
    "postcode": "1080",
    "latitude": "50.85300",
    "longitude": "4.33800",
    "services": ["sewing"],
}


def test_openapi_description_lists_the_required_operations():
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/sites",
        "/api/v1/machines",
        "/api/v1/processes",
        "/api/v1/materials",
        "/api/v1/search/capabilities",
        "/api/v1/okw/facilities",
        "/api/v1/okw/import",
    ]:
        assert path in paths, path


def test_lists_are_paginated_with_items_and_count(network):
    first = Client().get("/api/v1/processes?limit=5&offset=0").json()
    second = Client().get("/api/v1/processes?limit=5&offset=5").json()
    assert first["count"] == second["count"] >= 25
    assert len(first["items"]) == 5
    assert {p["code"] for p in first["items"]}.isdisjoint({p["code"] for p in second["items"]})


def test_errors_have_stable_codes(network):
    assert Client().get("/api/v1/sites/nope").json()["code"] == "not_found"
    assert Client().get("/api/v1/processes?limit=100000").json()["code"] == "invalid_request"
    bad = _api("rp_not-a-token").get("/api/v1/sites")
    assert bad.status_code == 401 and bad.json()["code"] == "unauthenticated"


def test_error_messages_follow_the_callers_language(network):
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/api/v1/sites/nope").json()["message"]
    nl = Client(HTTP_ACCEPT_LANGUAGE="nl").get("/api/v1/sites/nope").json()["message"]
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/sites/nope").json()["message"]
    assert en == "Not found."
    assert len({fr, nl, en}) == 3


def test_read_token_cannot_write_and_write_token_can(network):
    read = _token(network.a.manager, scopes=("read",))
    refused = _api(read).post(
        "/api/v1/sites", json.dumps(SITE_BODY), content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    write = _token(network.a.manager)
    created = _api(write).post(
        "/api/v1/sites", json.dumps(SITE_BODY), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["services"] == ["sewing"]
    assert created.json()["commune"]["nis_code"] == "21012"


def test_revoked_and_expired_tokens_are_refused(network):
    raw = _token(network.a.viewer)
    assert _api(raw).get("/api/v1/sites").status_code == 200
    ApiToken.objects.filter(user=network.a.viewer).update(revoked_at=timezone.now())
    assert _api(raw).get("/api/v1/sites").status_code == 401
    expired = _token(network.a.viewer, expires_at=timezone.now() - timedelta(days=1))
    assert _api(expired).get("/api/v1/sites").status_code == 401


def test_idempotency_key_replays_the_first_response(network):
    client = _api(_token(network.a.manager))
    headers = {"HTTP_IDEMPOTENCY_KEY": "site-create-1"}
    first = client.post(
        "/api/v1/sites", json.dumps(SITE_BODY), content_type="application/json", **headers
    )
    second = client.post(
        "/api/v1/sites", json.dumps(SITE_BODY), content_type="application/json", **headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Site.objects.unscoped("test").filter(name="Atelier du Canal").count() == 1
    other = dict(SITE_BODY, name="Autre atelier")
    reused = client.post(
        "/api/v1/sites", json.dumps(other), content_type="application/json", **headers
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


def test_failed_request_does_not_burn_the_idempotency_key(network):
    client = _api(_token(network.a.manager))
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}
    bad = dict(SITE_BODY, latitude="48.85", longitude="2.35")  # Paris
    refused = client.post(
        "/api/v1/sites", json.dumps(bad), content_type="application/json", **headers
    )
    assert refused.status_code == 422
    assert "latitude" in refused.json()["details"]
    ok = client.post(
        "/api/v1/sites",
        json.dumps(bad | {"latitude": "50.853", "longitude": "4.338"}),
        content_type="application/json",
        **headers,
    )
    # Same key, different body after a failure: the failure was not recorded, so it proceeds.
    assert ok.status_code == 201


def test_forged_organisation_in_body_is_refused_and_nothing_changes(network):
    client = _api(_token(network.a.manager))
    before = AuditEvent.objects.count()
    forged = client.post(
        "/api/v1/sites",
        json.dumps(dict(SITE_BODY, organization="orgb")),
        content_type="application/json",
    )
    assert forged.status_code == 422
    assert forged.json()["details"]["organization"]
    assert AuditEvent.objects.count() == before


def test_moving_a_machine_to_a_foreign_site_is_refused(network):
    client = _api(_token(network.a.manager))
    response = client.patch(
        f"/api/v1/machines/{network.a.machine.pk}",
        json.dumps({"site": network.b.listed_site.slug}),
        content_type="application/json",
    )
    assert response.status_code == 422
    machine = Machine.objects.unscoped("test").get(pk=network.a.machine.pk)
    assert machine.site_id == network.a.listed_site.pk


def test_html_in_descriptions_is_sanitised(network):
    client = _api(_token(network.a.manager))
    body = dict(
        SITE_BODY,
        name="<b>Atelier</b><script>alert(1)</script>",
        description=(
            '<p onclick="x()">Bois <script>alert(1)</script><a href="javascript:x">lien</a></p>'
        ),
    )
    created = client.post("/api/v1/sites", json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    site = Site.objects.unscoped("test").get(pk=created.json()["id"])
    assert "<script" not in site.description and "onclick" not in site.description
    assert "javascript:" not in site.description
    assert site.name == "Atelier"


def test_oversized_request_is_refused_with_413(network, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = _api(_token(network.a.manager))
    body = dict(SITE_BODY, description="x" * 5000)
    response = client.post("/api/v1/sites", json.dumps(body), content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"


def test_invalid_enterprise_number_is_explained(network):
    from django.core.exceptions import ValidationError

    from reproduce.accounts.models import Organization

    org = Organization(name="X", slug="x", kind="sme", enterprise_number="0403.170.702")
    with pytest.raises(ValidationError) as error:
        org.full_clean()
    assert "enterprise_number" in error.value.message_dict


def test_api_list_query_count_does_not_grow_with_rows(network, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/sites").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/machines").status_code == 200
