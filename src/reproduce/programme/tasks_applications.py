"""Background work of applying (django.tasks): the confirmation e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from reproduce.programme.models import Application, ApplicationState


@task()
def send_application_confirmation(application_id: int) -> int:
    """Tell the applicant their application was received, in the language they applied in."""
    application = (
        Application.objects.unscoped("background job: one application by id")
        .select_related("call", "applicant")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.state != ApplicationState.SUBMITTED:
        return 0
    recipient = application.email or getattr(application.applicant, "email", "")
    if not recipient:
        return 0
    language = application.language or settings.LANGUAGE_CODE
    with translation.override(language):
        link = settings.SITE_URL.rstrip("/") + reverse(
            "programme:application", args=[application.pk]
        )
        data = {
            "application": application,
            "call": application.call,
            "title": application.call.text("title"),
            "link": link,
        }
        subject = render_to_string("programme/email/application_submitted_subject.txt", data)
        body = render_to_string("programme/email/application_submitted_body.txt", data)
    return send_mail(" ".join(subject.split()), body, None, [recipient])
