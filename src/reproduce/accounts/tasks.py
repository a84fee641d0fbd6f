"""Background work of the accounts app (django.tasks; enqueued after the transaction commits)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from reproduce.accounts.models import Invitation


def invitation_link(raw_token: str, language: str) -> str:
    with translation.override(language):
        path = reverse("accounts:invitation_accept")
    return f"{settings.SITE_URL.rstrip('/')}{path}?{urlencode({'token': raw_token})}"


@task()
def send_invitation(invitation_id: int, language: str) -> bool:
    """Mint the invitation's single-use link and e-mail it to the invitee.

    The token is created here, not when the invitation is made, so the raw secret never sits in
    the task queue; sending again replaces the link (the previous e-mail's link stops working).
    Returns False when the invitation was accepted or revoked in the meantime.
    """
    raw, token_hash = Invitation.new_token()
    invitations = Invitation.objects.unscoped("background job: one invitation by id")
    updated = invitations.filter(pk=invitation_id, status=Invitation.Status.PENDING).update(
        token_hash=token_hash
    )
    if not updated:
        return False
    invitation = invitations.select_related("organization", "invited_by").get(pk=invitation_id)
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organization": invitation.organization,
            "role": invitation.get_role_display(),
            "inviter": invitation.invited_by,
            "link": invitation_link(raw, language),
        }
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return True
