"""Background work of dispatch (django.tasks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from reproduce.orders import services
from reproduce.orders.models import Offer, OfferState


@task()
def expire_offer(offer_id: int) -> int:
    """Enqueued for each offer's deadline: expire what is overdue (this offer and any other
    one a stopped worker missed) and offer the work to the next candidate."""
    return services.expire_overdue_offers(timezone.now())


def _site_managers(organization_id: int) -> list[Any]:
    from reproduce.accounts.models import Membership

    return [
        m.user
        for m in Membership.objects.unscoped("who answers offers of one organisation")
        .filter(organization_id=organization_id, role__in=["owner", "manager"])
        .select_related("user")
    ]


def _coordinators() -> list[Any]:
    from reproduce.accounts.models import NetworkRole

    return [r.user for r in NetworkRole.objects.filter(role="coordinator").select_related("user")]


def _mail(users: list[Any], template: str, context: dict[str, Any], path: str) -> int:
    """One e-mail per person, in their language."""
    sent = 0
    for user in users:
        language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            link = settings.SITE_URL.rstrip("/") + reverse(path)
            data = {**context, "link": link, "user": user}
            subject = render_to_string(f"orders/email/{template}_subject.txt", data).strip()
            body = render_to_string(f"orders/email/{template}_body.txt", data)
        sent += send_mail(subject, body, None, [user.email])
    return sent


@task()
def notify_offer(offer_id: int) -> int:
    """Tell the site's managers that work is offered to them, with the answer deadline."""
    offer = (
        Offer.objects.unscoped("background job: one offer by id")
        .select_related("site", "work_order__order", "work_order__operation")
        .get(pk=offer_id)
    )
    if offer.state != OfferState.OPEN:
        return 0
    return _mail(_site_managers(offer.organization_id), "offer", {"offer": offer}, "orders:inbox")


@task()
def notify_coordinators(offer_id: int, event: str) -> int:
    """A counter-proposal to decide, or a work order no site took."""
    offer = (
        Offer.objects.unscoped("background job: one offer by id")
        .select_related("site", "work_order__order")
        .get(pk=offer_id)
    )
    return _mail(_coordinators(), event, {"offer": offer}, "orders:dispatch")
