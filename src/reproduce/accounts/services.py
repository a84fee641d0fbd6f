"""Writes about people and organisations: one transaction and one audit event each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.models import ApiToken, Invitation, Membership, Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import OrgRole, require
from reproduce.core.sanitize import clean_html, plain_text

PROFILE_FIELDS = ["first_name", "last_name", "preferred_language"]
ORGANIZATION_FIELDS = [
    "name",
    "legal_name",
    "kind",
    "enterprise_number",
    "vat_number",
    "description",
    "website",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
]
INVITATION_VALIDITY = timedelta(days=14)


@transaction.atomic
def update_profile(*, actor: Actor, values: dict[str, Any]) -> Any:
    user = actor.user
    before = audit.snapshot(user, PROFILE_FIELDS)
    for key in PROFILE_FIELDS:
        if key in values:
            setattr(user, key, values[key])
    user.save(update_fields=PROFILE_FIELDS)
    audit.record(
        actor=actor,
        action="user.profile_updated",
        obj=user,
        changes=audit.diff(before, audit.snapshot(user, PROFILE_FIELDS)),
    )
    return user


# ---------------------------------------------------------------- organisations


def _require_signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Sign in first."))


def _unique_org_slug(name: str) -> str:
    base = slugify(name)[:70] or "organisation"
    candidate, n = base, 2
    while Organization.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _apply_organization_values(organization: Organization, values: dict[str, Any]) -> None:
    for key in ORGANIZATION_FIELDS:
        if key in values:
            setattr(organization, key, values[key] if values[key] is not None else "")
    organization.name = plain_text(organization.name)
    organization.legal_name = plain_text(organization.legal_name)
    organization.description = clean_html(organization.description)


@transaction.atomic
def create_organization(*, actor: Actor, values: dict[str, Any]) -> Organization:
    """Register a new member organisation; the person creating it becomes its owner."""
    _require_signed_in(actor)
    organization = Organization()
    _apply_organization_values(organization, values)
    organization.slug = _unique_org_slug(organization.name)
    organization.full_clean()  # normalises and checks the enterprise and VAT numbers
    organization.save()
    Membership(user=actor.user, organization=organization, role=OrgRole.OWNER).save()
    audit.record(
        actor=actor,
        action="organization.created",
        obj=organization,
        organization_id=organization.pk,
        changes=audit.snapshot(organization, ["name", "kind", "enterprise_number"]),
    )
    return organization


@transaction.atomic
def update_organization(
    *, actor: Actor, organization: Organization, values: dict[str, Any]
) -> Organization:
    """Change an organisation's details (owners and managers)."""
    require(actor, "organization.edit", organization.pk)
    before = audit.snapshot(organization, ORGANIZATION_FIELDS)
    _apply_organization_values(organization, values)
    organization.full_clean()
    organization.save()
    audit.record(
        actor=actor,
        action="organization.updated",
        obj=organization,
        organization_id=organization.pk,
        changes=audit.diff(before, audit.snapshot(organization, ORGANIZATION_FIELDS)),
    )
    return organization


# ---------------------------------------------------------------- members and invitations


def _require_role_grant(actor: Actor, organization_id: int, role: str) -> None:
    """Managers invite managers, operators and viewers; only an owner makes an owner."""
    require(actor, "organization.invite", organization_id)
    if role == OrgRole.OWNER:
        require(actor, "organization.manage_roles", organization_id)


def _schedule_invitation_email(invitation: Invitation, language: str) -> None:
    from reproduce.accounts.tasks import send_invitation

    transaction.on_commit(lambda: send_invitation.enqueue(invitation.pk, language))


@transaction.atomic
def invite_member(
    *, actor: Actor, organization: Organization, email: str, role: str, language: str = "fr"
) -> Invitation:
    """Invite a person by e-mail; the e-mail (with a single-use link) leaves after commit."""
    if role not in OrgRole.values:
        raise ValidationError(_("Unknown role."), code="invalid_role")
    _require_role_grant(actor, organization.pk, role)
    email = email.strip().lower()
    members = Membership.objects.owned_by(organization).filter(user__email__iexact=email)
    if members.exists():
        raise ValidationError(
            _("%(email)s is already a member of this organisation."),
            code="already_member",
            params={"email": email},
        )
    pending = Invitation.objects.owned_by(organization).filter(
        email__iexact=email, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    )
    if pending.exists():
        raise ValidationError(
            _("%(email)s already has a pending invitation: send it again from the list."),
            code="already_invited",
            params={"email": email},
        )
    # The stored hash belongs to a token nobody ever sees: the task mints the real one when it
    # sends the e-mail, so the raw token never rests in the task queue.
    _unused, token_hash = Invitation.new_token()
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=actor.user,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    invitation.save()
    audit.record(
        actor=actor,
        action="invitation.created",
        obj=invitation,
        organization_id=organization.pk,
        changes={"email": email, "role": role},
    )
    _schedule_invitation_email(invitation, language)
    return invitation


@transaction.atomic
def resend_invitation(*, actor: Actor, invitation: Invitation, language: str = "fr") -> Invitation:
    """Send a fresh link (the previous one stops working) and give the invitee 14 more days."""
    _require_role_grant(actor, invitation.organization_id, invitation.role)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("This invitation is no longer pending."), code="not_pending")
    invitation.expires_at = timezone.now() + INVITATION_VALIDITY
    invitation.save(update_fields=["expires_at"])
    audit.record(
        actor=actor,
        action="invitation.resent",
        obj=invitation,
        organization_id=invitation.organization_id,
        changes={"email": invitation.email},
    )
    _schedule_invitation_email(invitation, language)
    return invitation


@transaction.atomic
def resend_invitation_to_invitee(
    *, actor: Actor, invitation: Invitation, language: str = "fr"
) -> Invitation:
    """The invitee asks for a fresh link; it goes to the invitation's address, which proves the
    mailbox is theirs (accounts need not have a verified address)."""
    _require_signed_in(actor)
    if invitation.email.lower() != (actor.user.email or "").lower():
        raise PermissionDenied(_("This invitation was sent to someone else."))
    problem = invitation_problem(invitation, actor.user)
    if problem:
        _raise_problem(problem)
    audit.record(
        actor=actor,
        action="invitation.resent",
        obj=invitation,
        organization_id=invitation.organization_id,
        changes={"email": invitation.email, "asked_by": "invitee"},
    )
    _schedule_invitation_email(invitation, language)
    return invitation


def _claim_pending(invitation: Invitation, status: str) -> bool:
    """Move a pending invitation to ``status``; False if someone else moved it first."""
    updated = (
        Invitation.objects.unscoped("conditional update of one known invitation")
        .filter(pk=invitation.pk, status=Invitation.Status.PENDING)
        .update(status=status)
    )
    if updated:
        invitation.status = status
    return updated == 1


@transaction.atomic
def revoke_invitation(*, actor: Actor, invitation: Invitation) -> Invitation:
    _require_role_grant(actor, invitation.organization_id, invitation.role)
    if not _claim_pending(invitation, Invitation.Status.REVOKED):
        raise ValidationError(_("This invitation is no longer pending."), code="not_pending")
    audit.record(
        actor=actor,
        action="invitation.revoked",
        obj=invitation,
        organization_id=invitation.organization_id,
        changes={"email": invitation.email},
    )
    return invitation


class InvitationError(ValidationError):
    """Why an invitation link cannot be used (``code``: unknown, expired, revoked, used…)."""


INVITATION_PROBLEMS = {
    "unknown": _("This invitation link is not valid. Check that you copied the whole link."),
    "expired": _("This invitation has expired. Ask the organisation to send you a new one."),
    "revoked": _("This invitation was withdrawn by the organisation."),
    "used": _("This invitation has already been used."),
    "already_member": _("You are already a member of this organisation."),
}


def find_invitation(raw_token: str) -> Invitation | None:
    """The invitation a raw token names (the token holder may read it), or None."""
    if not raw_token:
        return None
    return (
        Invitation.objects.unscoped("the holder of the secret token may read its invitation")
        .select_related("organization")
        .filter(token_hash=Invitation.hash_token(raw_token))
        .first()
    )


def invitation_problem(invitation: Invitation | None, user: Any = None) -> str | None:
    """The code of what prevents accepting ``invitation`` (by ``user``), or None if it can be."""
    if invitation is None or not invitation.organization.is_active:
        return "unknown"
    if invitation.status == Invitation.Status.ACCEPTED:
        return "used"
    if invitation.status == Invitation.Status.REVOKED:
        return "revoked"
    if invitation.is_expired:
        return "expired"
    if (
        user is not None
        and Membership.objects.owned_by(invitation.organization_id).filter(user=user).exists()
    ):
        return "already_member"
    return None


def _raise_problem(code: str) -> None:
    raise InvitationError(INVITATION_PROBLEMS[code], code=code)


@transaction.atomic
def accept_invitation(*, actor: Actor, raw_token: str) -> Membership:
    """The signed-in holder of an invitation link joins the organisation with its role (once)."""
    _require_signed_in(actor)
    invitation = find_invitation(raw_token)
    problem = invitation_problem(invitation, actor.user)
    if problem:
        _raise_problem(problem)
    assert invitation is not None
    if not _claim_pending(invitation, Invitation.Status.ACCEPTED):
        _raise_problem("used")  # accepted (or revoked) by a concurrent request
    membership = Membership(
        user=actor.user, organization=invitation.organization, role=invitation.role
    )
    membership.save()
    audit.record(
        actor=actor,
        action="membership.created",
        obj=membership,
        organization_id=invitation.organization_id,
        changes={"user": actor.user_id, "role": invitation.role, "invitation": invitation.pk},
    )
    return membership


def _owner_count(organization_id: int) -> int:
    return int(Membership.objects.owned_by(organization_id).filter(role=OrgRole.OWNER).count())


def _keep_an_owner(membership: Membership) -> None:
    if membership.role == OrgRole.OWNER and _owner_count(membership.organization_id) <= 1:
        raise ValidationError(
            _("An organisation must keep at least one owner: make someone else owner first."),
            code="last_owner",
        )


@transaction.atomic
def change_member_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    """Give a member another role (owners only); the last owner cannot step down."""
    require(actor, "organization.manage_roles", membership.organization_id)
    if role not in OrgRole.values:
        raise ValidationError(_("Unknown role."), code="invalid_role")
    if role == membership.role:
        return membership
    _keep_an_owner(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        actor=actor,
        action="membership.role_changed",
        obj=membership,
        organization_id=membership.organization_id,
        changes={"user": membership.user_id, "role": [before, role]},
    )
    return membership


@transaction.atomic
def remove_member(*, actor: Actor, membership: Membership) -> None:
    """Remove a person from the organisation (owners only); the last owner stays."""
    require(actor, "organization.manage_roles", membership.organization_id)
    _keep_an_owner(membership)
    audit.record(
        actor=actor,
        action="membership.removed",
        obj=membership,
        organization_id=membership.organization_id,
        changes={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()


# ---------------------------------------------------------------- API tokens


@transaction.atomic
def create_api_token(
    *, actor: Actor, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A personal access token; returns it with the raw secret, which is shown once only."""
    _require_signed_in(actor)
    if not actor.allows_scope("write"):
        raise PermissionDenied(_("A read-only token cannot create tokens."))
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if not scopes or unknown:
        raise ValidationError(_("Choose what the token may do."), code="invalid_scopes")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry date must be in the future."), code="expired")
    raw, prefix, token_hash = ApiToken.generate()
    token = ApiToken(
        user=actor.user,
        name=plain_text(name),
        prefix=prefix,
        token_hash=token_hash,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    audit.record(
        actor=actor,
        action="api_token.created",
        obj=token,
        changes={
            "name": token.name,
            "prefix": prefix,
            "scopes": token.scopes,
            "expires_at": expires_at,
        },
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Stop a token from working, at once and for good."""
    _require_signed_in(actor)
    if token.user_id != actor.user_id:
        raise PermissionDenied(_("This is not your token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="api_token.revoked",
            obj=token,
            changes={"name": token.name, "prefix": token.prefix},
        )
    return token
