"""Errors answer in the reader's language, in the platform's layout, and change nothing."""

import pytest

from reproduce.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_not_found_page_is_translated(client):
    fr = client.get("/fr/sites/nowhere/")
    nl = client.get("/nl/sites/nowhere/")
    assert fr.status_code == nl.status_code == 404
    assert "Page introuvable" in fr.content.decode()
    assert "Pagina niet gevonden" in nl.content.decode()


def test_oversized_form_is_refused_with_a_clear_page_and_nothing_changes(
    network, client_for, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = AuditEvent.objects.count()
    response = client_for(network.a.manager).post(
        "/fr/manage/sites/new/", {"name": "Atelier", "description": "x" * 10_000}
    )
    assert response.status_code == 400
    assert "trop volumineuse" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_forbidden_action_is_a_translated_403(network, client_for):
    response = client_for(network.a.viewer).get(
        f"/nl/manage/sites/{network.a.listed_site.slug}/edit/"
    )
    assert response.status_code == 403
    assert "Toegang geweigerd" in response.content.decode()
