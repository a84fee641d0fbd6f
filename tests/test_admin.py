"""Platform administration: every admin page opens for a superuser; changes are audited."""

import pytest
from django.contrib import admin
from django.urls import reverse

from reproduce.accounts.models import User
from reproduce.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, network):
    user = User.objects.create_superuser(email="root@platform.test", password="x-Admin-2026")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_changelist_opens(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200


def test_a_change_made_in_the_admin_is_audited(superuser_client, network):
    site = network.a.listed_site
    url = reverse("admin:network_site_change", args=[site.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    before = AuditEvent.objects.count()
    form = page.context["adminform"].form
    payload = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    payload.update(name="Renamed by the administrator", processes=[], languages="[]")
    response = superuser_client.post(url, payload)
    assert response.status_code == 302, response.content[:2000]
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.last().action == "admin.changed"


def test_the_audit_log_cannot_be_edited_in_the_admin(superuser_client, network):
    event = AuditEvent.objects.first()
    url = reverse("admin:core_auditevent_change", args=[event.pk])
    response = superuser_client.post(url, {"action": "forged"})
    assert response.status_code == 403
