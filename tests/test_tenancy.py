"""Every model of ours says whose data it holds, and scoped models refuse unscoped queries."""

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from reproduce.core.tenancy import ScopedManager, UnscopedQueryError


def our_models():
    """Every model of every ``reproduce.*`` app (a new app is checked without being listed)."""
    return [m for m in apps.get_models() if m._meta.app_config.name.startswith("reproduce.")]


def test_every_model_is_scoped_or_declared_global():
    undeclared = [
        m.__name__
        for m in our_models()
        if getattr(m, "tenancy", None) not in {"organization", "global", "programme"}
    ]
    assert not undeclared, (
        f"declare tenancy = 'organization', 'global' or 'programme' on: {undeclared}"
    )


@pytest.mark.parametrize(
    "model",
    [m for m in our_models() if getattr(m, "tenancy", "") == "programme"],
    ids=lambda m: m.__name__,
)
def test_programme_models_use_the_scoped_manager(model):
    assert isinstance(model._default_manager, ScopedManager), model


@pytest.mark.parametrize(
    "model",
    [m for m in our_models() if getattr(m, "tenancy", "") == "organization"],
    ids=lambda m: m.__name__,
)
def test_scoped_models_use_the_scoped_manager_and_reach_an_organization(model):
    assert isinstance(model._default_manager, ScopedManager), model
    path = model.organization_path.split("__")
    current = model
    for part in path:
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # pragma: no cover - the assertion explains
            pytest.fail(
                f"{model.__name__}.organization_path {model.organization_path!r} "
                f"is broken at {part!r}"
            )
        current = field.related_model
    assert current._meta.label == "accounts.Organization"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation", ["list", "count", "exists", "get", "update", "delete", "first"]
)
def test_unscoped_queries_are_refused(operation):
    from reproduce.network.models import Site

    qs = Site.objects.filter(name="x")
    calls = {
        "list": lambda: list(qs),
        "count": qs.count,
        "exists": qs.exists,
        "get": lambda: qs.get(pk=1),
        "update": lambda: qs.update(name="y"),
        "delete": qs.delete,
        "first": qs.first,
    }
    with pytest.raises(UnscopedQueryError):
        calls[operation]()


@pytest.mark.django_db
def test_related_managers_of_a_scoped_object_are_allowed(network):
    from reproduce.network.models import Site

    site = Site.objects.owned_by(network.a.org).get(pk=network.a.listed_site.pk)
    assert [m.pk for m in site.machines.all()] == [network.a.machine.pk]


@pytest.mark.django_db
def test_scopes_filter_rows(network):
    from reproduce.core.actor import actor_for_user
    from reproduce.network.models import Site

    actor = actor_for_user(network.a.viewer)
    visible = set(Site.objects.visible_to(actor).values_list("slug", flat=True))
    assert network.a.unlisted_site.slug in visible
    assert network.b.unlisted_site.slug not in visible
    assert network.b.listed_site.slug in visible
    assert set(Site.objects.owned_by(network.b.org).values_list("pk", flat=True)) == {
        network.b.listed_site.pk,
        network.b.unlisted_site.pk,
    }
