"""Views for people and organisations: profile, organisations, members, invitations, API tokens.

Views validate with forms and call ``accounts.services``; they never write themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from reproduce.accounts import services
from reproduce.accounts.forms import (
    ApiTokenForm,
    InvitationForm,
    InvitationTokenForm,
    MemberRoleForm,
    ObjectIdForm,
    OrganizationForm,
    ProfileForm,
    add_service_errors,
)
from reproduce.accounts.models import ApiToken, Invitation, Membership, Organization, User
from reproduce.core.actor import request_actor
from reproduce.core.middleware import ACTIVE_ORG_SESSION_KEY
from reproduce.core.permissions import ORG_PERMISSIONS, access, has_perm, require

NEW_TOKEN_SESSION_KEY = "new_api_token"  # noqa: S105 (a session key, not a secret)


def organization_for_action(actor: Any, slug: str, perm: str) -> Organization:
    """One of the actor's organisations: another organisation answers 404, a missing role 403."""
    organization = Organization.objects.filter(
        slug=slug, is_active=True, pk__in=list(actor.organization_ids)
    ).first()
    if organization is None:
        raise Http404
    require(actor, perm, organization.pk)
    return organization


def _first_error(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# ---------------------------------------------------------------- profile


@access("authenticated")
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    if request.method == "POST" and form.is_valid():
        user = services.update_profile(actor=request_actor(request), values=form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect(f"/{user.preferred_language}/me/")
    return render(request, "accounts/profile.html", {"form": form})


# ---------------------------------------------------------------- organisations


def _my_memberships(request: HttpRequest) -> list[Membership]:
    actor = request_actor(request)
    return list(
        Membership.objects.owned_by(list(actor.organization_ids))
        .filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )


@access("authenticated")
@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    """My organisations, my role in each, and the switcher for browsers without JavaScript."""
    memberships = _my_memberships(request)
    rows = [
        {
            "membership": m,
            "organization": m.organization,
            "can_edit": "organization.edit" in ORG_PERMISSIONS[m.role],
            "can_invite": "organization.invite" in ORG_PERMISSIONS[m.role],
        }
        for m in memberships
    ]
    return render(request, "accounts/organization_list.html", {"rows": rows})


@access("authenticated")
@login_required
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Choose which of my organisations I act for (GET lists them)."""
    if request.method != "POST":
        return organization_list(request)
    try:
        org_id = int(request.POST.get("organization", ""))
    except ValueError as exc:
        raise Http404 from exc
    if org_id not in request_actor(request).organization_ids:
        raise Http404
    request.session[ACTIVE_ORG_SESSION_KEY] = org_id
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@access("authenticated")
@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None, instance=Organization())
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.create_organization(
                actor=request_actor(request), values=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[ACTIVE_ORG_SESSION_KEY] = organization.pk
            messages.success(
                request,
                _("%(name)s is registered; you are its owner.") % {"name": organization.name},
            )
            return redirect("web:dashboard")
    return render(request, "accounts/organization_form.html", {"form": form, "organization": None})


@access("member", perm="organization.edit", object="org_slug", model="accounts.Organization")
@login_required
def organization_edit(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    organization = organization_for_action(actor, org_slug, "organization.edit")
    form = OrganizationForm(request.POST or None, instance=copy.copy(organization))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                actor=actor, organization=organization, values=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation was saved."))
            return redirect("accounts:organization_edit", org_slug=organization.slug)
    return render(
        request, "accounts/organization_form.html", {"form": form, "organization": organization}
    )


# ---------------------------------------------------------------- members and invitations


def _invitee_language(email: str) -> str:
    """Write to a person in their own language when they already have an account."""
    known = (
        User.objects.filter(email__iexact=email)
        .values_list("preferred_language", flat=True)
        .first()
    )
    return known or (get_language() or "fr")[:2]


def _child_id(request: HttpRequest) -> int:
    form = ObjectIdForm(request.POST)
    if not form.is_valid():
        raise Http404
    return int(form.cleaned_data["object_id"])


def _invite(
    request: HttpRequest, organization: Organization, ctx: dict[str, Any]
) -> HttpResponse | None:
    form = InvitationForm(request.POST, can_make_owner=ctx["can_manage_roles"])
    ctx["invite_form"] = form
    if not form.is_valid():
        return None
    email = form.cleaned_data["email"]
    try:
        services.invite_member(
            actor=request_actor(request),
            organization=organization,
            email=email,
            role=form.cleaned_data["role"],
            language=_invitee_language(email),
        )
    except ValidationError as exc:
        form.add_error("email", exc)
        return None
    messages.success(request, _("An invitation was sent to %(email)s.") % {"email": email})
    return redirect("accounts:members", org_slug=organization.slug)


def _own_invitation(request: HttpRequest, organization: Organization) -> Invitation:
    return get_object_or_404(Invitation.objects.owned_by(organization), pk=_child_id(request))


def _own_membership(organization: Organization, membership_id: Any) -> Membership:
    return get_object_or_404(
        Membership.objects.owned_by(organization).select_related("user"), pk=membership_id
    )


def _revoke(
    request: HttpRequest, organization: Organization, ctx: dict[str, Any]
) -> HttpResponse | None:
    invitation = _own_invitation(request, organization)
    services.revoke_invitation(actor=request_actor(request), invitation=invitation)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return None


def _resend(
    request: HttpRequest, organization: Organization, ctx: dict[str, Any]
) -> HttpResponse | None:
    invitation = _own_invitation(request, organization)
    services.resend_invitation(
        actor=request_actor(request),
        invitation=invitation,
        language=_invitee_language(invitation.email),
    )
    messages.success(
        request, _("A new invitation link was sent to %(email)s.") % {"email": invitation.email}
    )
    return None


def _change_role(
    request: HttpRequest, organization: Organization, ctx: dict[str, Any]
) -> HttpResponse | None:
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        raise Http404
    membership = _own_membership(organization, form.cleaned_data["membership"])
    services.change_member_role(
        actor=request_actor(request), membership=membership, role=form.cleaned_data["role"]
    )
    messages.success(
        request,
        _("%(person)s is now %(role)s.")
        % {"person": membership.user, "role": membership.get_role_display()},
    )
    return None


def _remove(
    request: HttpRequest, organization: Organization, ctx: dict[str, Any]
) -> HttpResponse | None:
    membership = _own_membership(organization, _child_id(request))
    services.remove_member(actor=request_actor(request), membership=membership)
    messages.success(
        request, _("%(person)s was removed from the organisation.") % {"person": membership.user}
    )
    return None


MEMBER_ACTIONS: dict[
    str, Callable[[HttpRequest, Organization, dict[str, Any]], HttpResponse | None]
] = {
    "invite": _invite,
    "revoke": _revoke,
    "resend": _resend,
    "change_role": _change_role,
    "remove": _remove,
}


@access("member", perm="organization.invite", object="org_slug", model="accounts.Organization")
@login_required
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Members and their roles, pending invitations, and the invitation form (managers+)."""
    actor = request_actor(request)
    organization = organization_for_action(actor, org_slug, "organization.invite")
    can_manage_roles = has_perm(actor, "organization.manage_roles", organization.pk)
    ctx: dict[str, Any] = {
        "organization": organization,
        "can_manage_roles": can_manage_roles,
        "invite_form": InvitationForm(can_make_owner=can_manage_roles),
    }
    if request.method == "POST":
        action = request.POST.get("action") or "invite"  # the page's main form
        handler = MEMBER_ACTIONS.get(action)
        if handler is None:
            raise Http404
        try:
            response = handler(request, organization, ctx)
        except ValidationError as exc:
            messages.error(request, _first_error(exc))
            response = redirect("accounts:members", org_slug=organization.slug)
        if response is not None:
            return response
        if action != "invite":
            return redirect("accounts:members", org_slug=organization.slug)
    ctx["memberships"] = list(
        Membership.objects.owned_by(organization)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    ctx["invitations"] = list(
        Invitation.objects.owned_by(organization)
        .filter(status=Invitation.Status.PENDING)
        .select_related("invited_by")
        .order_by("-created_at")
    )
    ctx["role_choices"] = MemberRoleForm.base_fields["role"].choices  # type: ignore[attr-defined]
    return render(request, "accounts/members.html", ctx)


def _accept_url(raw_token: str) -> str:
    return f"{reverse('accounts:invitation_accept')}?{urlencode({'token': raw_token})}"


PROBLEM_STATUS = {
    "unknown": 404,
    "expired": 410,
    "revoked": 410,
    "used": 410,
    "already_member": 200,
}


@access("public")
@never_cache
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """The link of an invitation e-mail (``?token=…``): shows the invitation, then joins.

    Signed-out visitors see whom it is from and are asked to sign in or create an account
    first; the link comes back here afterwards.
    """
    actor = request_actor(request)
    if request.method == "POST" and request.POST.get("action") == "resend_to_me":
        return _resend_to_me(request)
    source = request.POST if request.method == "POST" else request.GET
    form = InvitationTokenForm(source if "token" in source else None)
    if not form.is_valid():
        return render(
            request, "accounts/invitation_accept.html", {"form": form, "invitation": None}
        )
    raw = form.cleaned_data["token"]
    if request.method == "POST":
        if not actor.is_authenticated:
            return redirect_to_login(_accept_url(raw))
        try:
            membership = services.accept_invitation(actor=actor, raw_token=raw)
        except services.InvitationError as exc:
            return _invitation_page(request, raw, problem=exc.code)
        request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
        messages.success(
            request, _("Welcome to %(organization)s!") % {"organization": membership.organization}
        )
        return redirect("web:dashboard")
    return _invitation_page(request, raw)


def _resend_to_me(request: HttpRequest) -> HttpResponse:
    """From the dashboard: the invitee asks for the link again (it goes to their own address)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("web:dashboard"))
    invitation = get_object_or_404(
        Invitation.objects.unscoped("the signed-in person's own invitations")
        .select_related("organization")
        .filter(email__iexact=getattr(request.user, "email", "")),
        pk=_child_id(request),
    )
    try:
        services.resend_invitation_to_invitee(
            actor=request_actor(request),
            invitation=invitation,
            language=(get_language() or "fr")[:2],
        )
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    else:
        messages.success(
            request,
            _("We sent the invitation link again to %(email)s.") % {"email": invitation.email},
        )
    return redirect("web:dashboard")


def _invitation_page(request: HttpRequest, raw: str, problem: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    invitation = services.find_invitation(raw)
    problem = problem or services.invitation_problem(invitation, actor.user)
    next_url = _accept_url(raw)
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation if problem != "unknown" else None,
            "token": raw,
            "problem": problem,
            "problem_message": services.INVITATION_PROBLEMS[problem] if problem else "",
            "next_query": urlencode({"next": next_url}),
            "other_email": bool(
                invitation
                and actor.is_authenticated
                and invitation.email.lower() != actor.user.email.lower()
            ),
        },
        status=PROBLEM_STATUS.get(problem or "", 200),
    )


# ---------------------------------------------------------------- API tokens


def _revoke_token(request: HttpRequest) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user.pk), pk=_child_id(request))
    services.revoke_api_token(actor=request_actor(request), token=token)
    messages.success(
        request, _("The token “%(name)s” was revoked; it no longer works.") % {"name": token.name}
    )
    return redirect("accounts:api_tokens")


@access("authenticated")
@login_required
@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """My personal access tokens for the API: create (the secret is shown once), revoke."""
    form = ApiTokenForm()
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            return _revoke_token(request)
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, raw = services.create_api_token(
                    actor=request_actor(request),
                    name=form.cleaned_data["name"],
                    scopes=form.scopes,
                    expires_at=form.expires_at,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # Kept in the session only until the next page shows it (PRG), then dropped.
                request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
                return redirect("accounts:api_tokens")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    tokens = list(
        ApiToken.objects.filter(user=request.user.pk).order_by("revoked_at", "-created_at")
    )
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "api_docs_url": reverse("api:openapi-view"),
        },
    )
