"""The generated permission matrix.

Every URL route and every API operation × every role × {own, foreign, shared, missing}
object. Expectations come from each route's declared :class:`Access` policy:

* a foreign or missing object answers 404 (anonymous visitors of non-public routes are sent
  to sign in: 302 for pages, 401 for the API);
* a shared object can be read, not changed;
* a member acting without the permission gets 403;
* no response ever contains the canary string of an organisation whose private data the
  caller may not see.

A new route without a policy fails ``test_every_route_declares_an_access_policy``; a route
with an object parameter the matrix cannot fill fails ``test_every_object_parameter_is_known``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from reproduce.core.models import AuditEvent
from reproduce.core.permissions import NETWORK_PERMISSIONS, ORG_PERMISSIONS, Access
from reproduce.core.routes import THIRD_PARTY_POLICIES

ROLES = [
    "anonymous",
    "outsider",
    "viewer",
    "operator",
    "manager",
    "owner",
    "coordinator",
    "programme_officer",
    "reviewer",
]
KINDS = ["own", "foreign", "shared", "missing"]
LANG = "fr"
MISSING_ID = 987654321


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # with <kw> placeholders, e.g. /fr/sites/<slug>/
    params: tuple[str, ...]
    policy: Access | None
    methods: tuple[str, ...]
    is_api: bool
    third_party: bool = False
    localized: bool = True  # under the /fr/, /nl/, /en/ prefixes


# ---------------------------------------------------------------- collecting the routes


def _policy_for_view(callback: Any, name: str, template: str) -> tuple[Access | None, bool]:
    """The route's policy, and whether it is a third-party route (declared in core.routes)."""
    if template.startswith("/admin/"):
        return THIRD_PARTY_POLICIES["django.contrib.admin"], True
    func = getattr(callback, "view_class", None) or callback
    policy = getattr(func, "access_policy", None) or getattr(callback, "access_policy", None)
    if policy is not None:
        return policy, False
    module = getattr(func, "__module__", "") or ""
    for prefix, third in THIRD_PARTY_POLICIES.items():
        if module.startswith(prefix) or name == prefix:
            return third, True
    return None, False


def _walk(resolvers: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolvers:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern.startswith("api/"):
                continue  # API operations are collected from the Ninja routers below
            found += _walk(entry.url_patterns, prefix + pattern)
        else:
            found.append((prefix + pattern, entry))
    return found


def _template(raw: str) -> tuple[str, tuple[str, ...]]:
    raw = raw.replace("^", "").replace("$", "").replace("\\Z", "")
    raw = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", raw)  # regex groups → <name>
    raw = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", raw)  # <slug:slug> → <slug>
    raw = raw.replace("\\.", ".").replace("\\", "")
    params = tuple(re.findall(r"<(\w+)>", raw))
    return "/" + raw, params


def django_routes() -> list[Route]:
    routes = []
    for raw, pattern in _walk(get_resolver().url_patterns):
        template, params = _template(raw)
        localized = template.startswith("/fr/")
        if localized:
            template = template[3:]
        name = pattern.name or pattern.lookup_str
        policy, third_party = _policy_for_view(pattern.callback, name, template)
        methods = policy.http_methods if policy is not None and not third_party else ("GET",)
        routes.append(
            Route(
                name=name,
                template=template,
                params=params,
                policy=policy,
                methods=methods,
                is_api=False,
                third_party=third_party,
                localized=localized,
            )
        )
    return routes


def api_routes() -> list[Route]:
    from reproduce.api.urls import api

    routes = []
    api.urls  # noqa: B018 - builds the bound routers
    for bound in api._get_bound_routers():
        prefix = bound.prefix
        for path, path_view in bound.path_operations.items():
            for op in path_view.operations:
                full = "/api/v1/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                template = re.sub(r"\{(?:\w+:)?(\w+)\}", r"<\1>", full)
                policy = getattr(op.view_func, "access_policy", None)
                routes.append(
                    Route(
                        name=f"api:{op.view_func.__name__}",
                        template=template,
                        params=tuple(re.findall(r"<(\w+)>", template)),
                        policy=policy,
                        methods=tuple(op.methods),
                        is_api=True,
                    )
                )
    return routes


ALL_ROUTES = django_routes() + api_routes()


def test_every_route_declares_an_access_policy():
    missing = [f"{r.name} {r.template}" for r in ALL_ROUTES if r.policy is None]
    assert not missing, (
        "declare @access(...) on these views (or a THIRD_PARTY_POLICIES entry):\n"
        + "\n".join(missing)
    )


def test_matrix_covers_the_api_and_the_pages():
    assert sum(r.is_api for r in ALL_ROUTES) >= 8
    assert sum(not r.is_api for r in ALL_ROUTES) >= 8


# ---------------------------------------------------------------- the objects of each kind

# For each model used as a route object: the own / foreign / shared object, and who the
# shared one is shared with: "public" (everyone may read it) or "a" (organisation A only).
OBJECTS = {
    "network.Site": lambda n: {
        "own": n.a.unlisted_site,
        "foreign": n.b.unlisted_site,
        "shared": n.b.listed_site,
        "shared_with": "public",
    },
    "network.Machine": lambda n: {
        "own": n.a.machine,
        "foreign": n.b.machine,
        "shared": n.c.machine,
        "shared_with": "a",
    },
    "accounts.Organization": lambda n: {
        "own": n.a.org,
        "foreign": n.b.org,
        "shared": n.c.org,
        "shared_with": "public",
    },
}
# Designs library: A's private draft, B's private draft, and B's released design shared by
# name with A — for the design itself and for everything that hangs from its version.
for _model, _key in [
    ("designs.Design", "design"),
    ("designs.DesignVersion", "version"),
    ("designs.DesignFile", "file"),
    ("designs.BomLine", "line"),
    ("designs.Operation", "operation"),
    ("designs.SopStep", "step"),
    ("designs.QcCriterion", "criterion"),
    ("designs.BuildReport", "report"),
]:
    OBJECTS[_model] = lambda n, key=_key: {
        "own": n.a.designs[key],
        "foreign": n.b.designs[key],
        "shared": n.b.shared_designs[key],
        "shared_with": "a",
    }
# Orders and dispatch: A's order (as a customer) with its work order offered to A's site,
# that offer and a booking of A's machine; B's alike. Nothing of B's is shared with A
# ("none": the shared column answers like a foreign object), but network coordinators read
# every one of them (NETWORK_READERS).
for _model, _key in [
    ("orders.Order", "order"),
    ("orders.WorkOrder", "work_order"),
    ("orders.Offer", "offer"),
    ("planning.Booking", "booking"),
]:
    OBJECTS[_model] = lambda n, key=_key: {
        "own": n.a.orders[key],
        "foreign": n.b.orders[key],
        "shared": n.b.orders[key],
        "shared_with": "none",
    }
# A plan belongs to the whole network: only network roles holding the route's permission
# open it, whatever the column.
OBJECTS["planning.PlanRun"] = lambda n: {
    "own": n.plan,
    "foreign": n.plan,
    "shared": n.plan,
    "shared_with": "none",
}
# A calendar feed is read by whoever holds its secret address (calendar apps do not sign in).
OBJECTS["planning.CalendarFeed"] = lambda n: {
    "own": n.a.orders["feed"],
    "foreign": n.b.orders["feed"],
    "shared": n.b.orders["feed"],
    "shared_with": "none",
}
# Stock: A's and B's locations, lots, receipts, transfers (to C), reservations and pools.
# B's pooled lot is shared with A (A is a member of the pool): A reads it, changes nothing.
for _model, _key, _shared in [
    ("inventory.Location", "location", None),
    ("inventory.Receipt", "receipt", None),
    ("inventory.Transfer", "transfer", None),
    ("inventory.Reservation", "reservation", None),
    ("inventory.StockPool", "pool", "shared_pool"),
    ("inventory.Lot", "lot", "shared_lot"),
]:
    OBJECTS[_model] = lambda n, key=_key, shared=_shared: {
        "own": n.a.stock[key],
        "foreign": n.b.stock[key],
        "shared": n.b.stock[shared or key],
        "shared_with": "a" if shared else "none",
    }
# A lot passport is public only when its owner published it: of the three lots only B's
# pooled lot is published; every other answers 404 to everyone, its owner included (the
# owner previews it on the passport settings page).
PUBLISHED_ONLY = {"inventory.Lot"}
# The accompaniment programme (reproduce/programme/tests/matrix.py): "own" records are those
# of A's viewer as an applicant and participant; "foreign" ones B's viewer's; the "shared"
# application is C's owner's, on which the reviewer declared a conflict of interest. A draft
# call and an unpublished event are the "foreign" call and event.
for _model, _key, _sub in [
    ("programme.Call", "calls", None),
    ("programme.Application", "applications", None),
    ("programme.ApplicationDocument", "documents", None),
    ("programme.ReviewAssignment", "assignments", None),
    ("programme.InterviewSlot", "slots", None),
    ("programme.Event", "events", None),
    ("programme.Registration", "registrations", None),
    ("programme.Cohort", "cohorts", "cohort"),
    ("programme.Session", "cohorts", "session"),
    ("programme.Participant", "cohorts", "participant"),
    ("programme.Grant", "cohorts", "grant"),
    ("programme.GrantReceipt", "cohorts", "receipt"),
]:
    OBJECTS[_model] = lambda n, key=_key, sub=_sub: (
        {
            "own": n.programme[key]["own"][sub],
            "foreign": n.programme[key]["foreign"][sub],
            "shared": n.programme[key]["foreign"][sub],
            "shared_with": "none",
        }
        if sub
        else {**n.programme[key], "shared_with": "none"}
    )
# Who may open each kind of programme record, by role: programme officers read every one;
# a reviewer the application assigned and not in conflict (and their own assignment); the
# applicant (A's viewer) their own records through the routes made for the applicant.
PROGRAMME_READERS: dict[str, dict[str, set[str]]] = {
    "programme.Call": {"own": {"*"}, "shared": {"*"}, "foreign": {"programme_officer"}},
    "programme.Event": {"own": {"*"}, "shared": {"*"}, "foreign": {"programme_officer"}},
    "programme.Application": {"own": {"programme_officer", "reviewer"}},
    "programme.ReviewAssignment": {"own": {"programme_officer", "reviewer"}},
}
# Routes for the applicant or participant: only the person concerned (A's viewer) opens the
# own record; a few also let officers in (a document, an interview invitation, a receipt).
PERSONAL_ROUTES: dict[str, dict[str, set[str]]] = {
    "application": {"own": {"viewer"}},
    "application_withdraw": {"own": {"viewer"}},
    "interview_booking": {"own": {"viewer"}},
    "my_document": {"own": {"viewer"}},
    "my_cohort": {"own": {"viewer"}},
    "my_convention": {"own": {"viewer"}},
    "my_de_minimis": {"own": {"viewer"}},
    "my_grant_request": {"own": {"viewer"}},
    "application_document": {
        "own": {"viewer", "programme_officer", "reviewer"},
        "foreign": {"programme_officer"},
        "shared": {"programme_officer"},
    },
    "interview_ics": {
        "own": {"viewer", "programme_officer"},
        "foreign": {"programme_officer"},
        "shared": {"programme_officer"},
    },
    "grant_receipt_add": {
        "own": {"viewer", "programme_officer"},
        "foreign": {"programme_officer"},
        "shared": {"programme_officer"},
    },
    "receipt_download": {
        "own": {"viewer", "programme_officer"},
        "foreign": {"programme_officer"},
        "shared": {"programme_officer"},
    },
    # Applying: any signed-in person to a published call; a draft call is not there.
    "apply": {
        "own": {"*"},
        "shared": {"*"},
        "foreign": {"programme_officer"},
    },
}
# Public forms anyone may send without signing in (an event registration, its cancellation).
# Pages that go straight to the only record there is (one cohort: its page).
STRAIGHT_TO_THE_ONE = {"/programme/my/cohorts/"}
PUBLIC_WRITES = {"/programme/events/<slug>/", "/programme/events/cancel/<token>/"}
TOKEN_OBJECTS = {"planning.CalendarFeed", "programme.Registration"}
NETWORK_READERS = {
    "orders.Order": {"coordinator"},
    "orders.WorkOrder": {"coordinator"},
    "orders.Offer": {"coordinator"},
    "planning.Booking": {"coordinator"},
    "planning.PlanRun": {"coordinator"},
    "inventory.Location": {"coordinator"},
    "inventory.Receipt": {"coordinator"},
    "inventory.Transfer": {"coordinator"},
    "inventory.Reservation": {"coordinator"},
    "inventory.StockPool": {"coordinator"},
    "inventory.Lot": {"coordinator"},
}
SHARED_WITH = {
    "network.Site": "public",
    "network.Machine": "a",
    "accounts.Organization": "public",
    **{model: "a" for model in OBJECTS if model.startswith("designs.")},
    **dict.fromkeys(NETWORK_READERS, "none"),
    "inventory.StockPool": "a",
    "inventory.Lot": "a",
}
EXTRA_OBJECTS: dict[str, Any] = {}  # filled by later apps' fixtures through register_matrix_object


def _object_value(obj: Any, param: str) -> str:
    if param == "token":
        return str(obj.token)
    if param == "slug" or param.endswith("_slug"):
        return str(obj.slug)
    if param == "code" or param.endswith("_code"):
        return str(obj.code)
    if param == "gtin":
        return str(obj.gtin or "0")  # no GTIN: the address matches no lot → 404
    return str(obj.pk)


def _missing_value(param: str) -> str:
    if param == "code" or param.endswith("_code"):
        return "NOSUCHLOT"
    return "no-such-object" if (param == "slug" or param.endswith("_slug")) else str(MISSING_ID)


def test_every_object_parameter_is_known():
    unknown = []
    for r in ALL_ROUTES:
        if r.policy is None:
            continue
        if (
            r.params
            and not r.third_party
            and (r.policy.object is None or r.policy.model not in OBJECTS)
        ):
            unknown.append(f"{r.name} {r.template} params={r.params} policy={r.policy}")
    assert not unknown, "routes whose object the matrix cannot build:\n" + "\n".join(unknown)


def _is_third_party(route: Route) -> bool:
    return route.third_party


# ---------------------------------------------------------------- expectations


def _role_org_role(role: str) -> str | None:
    return role if role in ORG_PERMISSIONS else None


def _has(role: str, perm: str | None) -> bool:
    if perm is None:
        return True
    org_role = _role_org_role(role)
    if org_role and perm in ORG_PERMISSIONS[org_role]:
        return True
    return perm in NETWORK_PERMISSIONS.get(role, frozenset())


def _login_answer(route: Route) -> set[int]:
    return {401} if route.is_api else {302}


def expected(route: Route, role: str, kind: str | None, method: str) -> set[int]:
    allowed = _expected(route, role, kind, method)
    if route.is_api and method != "GET":
        allowed |= {422}  # the matrix sends an empty body: refusing it before acting is fine
        if allowed & {200, 201, 204}:
            # … so is work accepted for the background (a plan), or refused for the object's
            # state (a draft to obsolete)
            allowed |= {202, 409}
    if not route.is_api and method == "POST" and 200 in allowed:
        allowed |= {302}  # a form may redirect (e.g. back to where it came from)
        if kind is None:
            allowed |= {400, 404}  # an empty submission naming nothing may be refused
    return allowed


def _ok(writes: bool) -> set[int]:
    return {200, 201, 204} if writes else {200}


def _programme_expected(route: Route, role: str, kind: str, writes: bool) -> set[int] | None:
    """Expectations for programme records (None: the general rules apply)."""
    p = route.policy
    assert p is not None
    if p.level == "network" and not _has(role, p.perm):
        return {403, 404}  # the role is checked before the object is looked up
    if kind == "missing":
        return {404}
    if route.template.startswith("/programme/") and route.name in PERSONAL_ROUTES:
        readers = PERSONAL_ROUTES[route.name].get(kind, set())
        if not ("*" in readers or role in readers):
            return {404}
        # Applying again to a call one already applied to opens that application.
        return _ok(writes) | ({302} if route.name == "apply" else set())
    readers = PROGRAMME_READERS.get(p.model or "", {}).get(kind, {"programme_officer"})
    sees = "*" in readers or role in readers or role == "programme_officer"
    if p.level == "network":
        return _ok(writes) if sees else {404}
    if p.level == "public":
        return _ok(writes) if sees else {404}
    return None


def _expected(route: Route, role: str, kind: str | None, method: str) -> set[int]:
    p = route.policy
    assert p is not None
    member = role in ORG_PERMISSIONS
    writes = p.writes or method in ("POST", "PATCH", "PUT", "DELETE")
    if role == "anonymous" and (
        p.level != "public" or (writes and route.template not in PUBLIC_WRITES)
    ):
        return _login_answer(route)
    if (
        kind is not None
        and (p.model or "").startswith("programme.")
        and p.model not in TOKEN_OBJECTS
    ):
        found = _programme_expected(route, role, kind, writes)
        if found is not None:
            return found
    if kind is None:
        if p.level in ("public", "authenticated"):
            if route.template in STRAIGHT_TO_THE_ONE and _has(role, p.perm):
                return {200, 302}
            return {200} if _has(role, p.perm) else {403}
        if p.level == "network":
            return {200} if _has(role, p.perm) else {403}
        # member level without an object: acts on the active organisation
        if not member:
            return {403, 404}
        return {200, 201} if _has(role, p.perm) else {403}
    if kind == "missing":
        return {404}
    if p.model in TOKEN_OBJECTS:
        return {200}  # the secret in the address is the key, whoever asks
    if p.level == "public" and not writes and p.model in PUBLISHED_ONLY:
        return {200} if kind == "shared" else {404}
    if p.level == "network":
        # The network role is checked before the object is looked up (403 whatever the
        # object); looking it up first answers 404 for what the role cannot see: both refuse.
        if not _has(role, p.perm):
            return {403, 404}
        if role in NETWORK_READERS.get(p.model or "", set()):
            return {200, 201, 204} if writes else {200}
        return {404}
    if role in NETWORK_READERS.get(p.model or "", set()):
        if writes:
            return {200, 201, 204} if _has(role, p.perm) else {403}
        return {200} if _has(role, p.perm) else {403}
    if kind == "foreign" or (kind == "shared" and SHARED_WITH.get(p.model or "") == "none"):
        return {404}
    if kind == "shared":
        if writes and not p.on_visible:
            return {404}
        if not (SHARED_WITH.get(p.model or "") == "public" or member):
            return {404}
        if writes:
            return {200, 201, 204} if _has(role, p.perm) else {403}
        return {200}
    if not member:  # "own" is organisation A's private object
        return {404}
    if writes:
        return {200, 201, 204} if _has(role, p.perm) else {403}
    return {200} if _has(role, p.perm) else {403}


# ---------------------------------------------------------------- running it


def _user_for(network: Any, role: str) -> Any:
    if role == "anonymous":
        return None
    if role == "outsider":
        return network.outsider
    if role in ORG_PERMISSIONS:
        return getattr(network.a, role)
    return {
        "coordinator": network.coordinator,
        "programme_officer": network.officer,
        "reviewer": network.reviewer,
    }[role]


def _forbidden_canaries(network: Any, role: str) -> list[str]:
    """Canaries the role must never see: B's and C's always (C shares only machines, which
    carry no canary), and A's unless the role is a member of A."""
    canaries = network.b.private_canaries + network.c.private_canaries
    if role not in ORG_PERMISSIONS:
        canaries += network.a.private_canaries
    # Applications: A's viewer applied; the officer reads all, the reviewer A's (assigned)
    # but not C's (conflict of interest).
    prog = network.programme["canaries"]
    if role != "programme_officer":
        canaries += [prog["b"], prog["c"]]
        if role not in ("viewer", "reviewer"):
            canaries += [prog["a"]]
    # Orders and stock: coordinators read every organisation's; members of A only A's.
    if role != "coordinator":
        canaries += [network.b.order_canary, network.b.stock_canary]
        if role not in ORG_PERMISSIONS:
            canaries += [network.a.order_canary, network.a.stock_canary]
    return canaries


def _url(route: Route, network: Any, kind: str | None) -> str:
    url = f"/{LANG}{route.template}" if route.localized and not route.is_api else route.template
    if kind is None:
        return url
    objects = (
        OBJECTS[route.policy.model](network)
        if route.policy and route.policy.model in OBJECTS
        else {}
    )
    for param in route.params:
        value = _missing_value(param) if kind == "missing" else _object_value(objects[kind], param)
        url = url.replace(f"<{param}>", value)
    return url


MATRIX_ROUTES = [r for r in ALL_ROUTES if r.policy is not None and not _is_third_party(r)]


@pytest.fixture(scope="module")
def matrix_media(tmp_path_factory: Any) -> str:
    return str(tmp_path_factory.mktemp("matrix-media"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, matrix_media: str) -> None:
    # One media folder for the module: the shared network's files live there.
    settings.MEDIA_ROOT = matrix_media


@pytest.fixture(scope="module")
def matrix_network(django_db_setup: Any, django_db_blocker: Any, matrix_media: str) -> Any:
    """The network, built once for all routes of this module, in a transaction rolled back at
    the end. Each route's test runs in its own savepoint inside it (pytest-django's ``db``), and
    every request is rolled back too, so each route finds the same objects."""
    from django.test import override_settings

    from conftest import build_network

    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=matrix_media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_network()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", MATRIX_ROUTES, ids=lambda r: f"{','.join(r.methods)} {r.template}"
)
def test_route_matrix(route: Route, matrix_network: Any, client_for: Any) -> None:
    network = matrix_network
    failures = []
    kinds = KINDS if route.params else [None]
    for role in ROLES:
        client = client_for(_user_for(network, role))
        forbidden = _forbidden_canaries(network, role)
        for kind in kinds:
            url = _url(route, network, kind)
            for method in route.methods:
                before = AuditEvent.objects.count()
                with transaction.atomic():
                    if method == "GET":
                        response = client.get(url)
                    elif route.is_api:
                        response = client.generic(
                            method, url, data="{}", content_type="application/json"
                        )
                    else:
                        response = client.post(url, {})
                    changed = AuditEvent.objects.count() != before
                    transaction.set_rollback(True)  # the next role finds the same objects
                allowed = expected(route, role, kind, method)
                if response.status_code not in allowed:
                    failures.append(
                        f"{role:<18} {kind or '-':<8} {method} {url} → "
                        f"{response.status_code}, expected {sorted(allowed)}"
                    )
                raw = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                body = raw.decode(errors="replace")
                leaked = [c for c in forbidden if c in body]
                if leaked:
                    failures.append(f"{role:<18} {kind or '-':<8} {method} {url} leaks {leaked}")
                if response.status_code >= 400 and changed:
                    failures.append(f"{role} {kind} {method} {url} was refused but changed data")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ALL_ROUTES if r.policy is not None and _is_third_party(r) and not r.params],
    ids=lambda r: r.name,
)
def test_third_party_pages_leak_no_canary(
    route: Route, matrix_network: Any, client_for: Any
) -> None:
    network = matrix_network
    for role in ("anonymous", "viewer", "outsider"):
        response = client_for(_user_for(network, role)).get(_url(route, network, None))
        assert response.status_code < 500, (role, route.template, response.status_code)
        body = response.content.decode(errors="replace")
        assert not [c for c in _forbidden_canaries(network, role) if c in body], (
            role,
            route.template,
        )
