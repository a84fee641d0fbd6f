"""Background work of dispatch (django.tasks)."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from reproduce.orders import services


@task()
def expire_offer(offer_id: int) -> int:
    """Enqueued for each offer's deadline: expire what is overdue (this offer and any other
    one a stopped worker missed) and offer the work to the next candidate."""
    return services.expire_overdue_offers(timezone.now())
