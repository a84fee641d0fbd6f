"""Personal access tokens: shown once, stored hashed, revocable (the API then answers 401)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reproduce.accounts.models import ApiToken
from reproduce.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _raw_token(body: str) -> str:
    match = re.search(r'id="new-token"[^>]*value="(rp_[\w-]+)"', body)
    assert match, "the new token is shown"
    return match.group(1)


def test_create_use_and_revoke_a_token(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    response = client.post(
        "/fr/me/tokens/", {"action": "create", "name": "Spreadsheet", "access": "write"}
    )
    assert response.status_code == 302 and response["Location"] == "/fr/me/tokens/"
    page = client.get("/fr/me/tokens/")
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    raw = _raw_token(page.content.decode())
    token = ApiToken.objects.get(user=network.a.manager)
    assert token.token_hash == ApiToken.hash_token(raw) and raw not in token.token_hash
    assert token.scopes == ["read", "write"]
    assert raw not in client.get("/fr/me/tokens/").content.decode()  # shown once only
    assert AuditEvent.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()

    api = client_for(None)
    assert api.get("/api/v1/sites", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    assert (
        client.post("/fr/me/tokens/", {"action": "revoke", "object_id": token.pk}).status_code
        == 302
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get("/api/v1/sites", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_read_only_token_with_expiry(network: Any, client_for: Any) -> None:
    client = client_for(network.a.viewer)
    client.post(
        "/fr/me/tokens/",
        {"action": "create", "name": "Reader", "access": "read", "expires_on": "2999-12-31"},
    )
    token = ApiToken.objects.get(user=network.a.viewer)
    assert (
        token.scopes == ["read"] and token.expires_at is not None and token.expires_at.year == 2999
    )


def test_bad_input_is_explained_and_kept(network: Any, client_for: Any) -> None:
    response = client_for(network.a.viewer).post(
        "/en/me/tokens/",
        {"action": "create", "name": "Old", "access": "read", "expires_on": "2001-01-01"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_expires_on_error"' in body and 'value="Old"' in body
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked(network: Any, client_for: Any) -> None:
    client_for(network.b.owner).post(
        "/fr/me/tokens/", {"action": "create", "name": "B", "access": "read"}
    )
    token = ApiToken.objects.get(user=network.b.owner)
    response = client_for(network.a.owner).post(
        "/fr/me/tokens/", {"action": "revoke", "object_id": token.pk}
    )
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "B" not in [t.name for t in ApiToken.objects.filter(user=network.a.owner)]
