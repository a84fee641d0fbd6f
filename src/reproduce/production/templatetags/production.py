"""Template helpers of the shop floor: quantities, and the live progress boxes that the
order, work-order and plan pages include (``{% load production %}{% order_progress order %}``).

Each box renders the current progress at once (the page works without JavaScript) and carries
its polling hook (``data-poll-url`` + ``data-poll-etag``, read by ``production/poll.js``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse

from reproduce.orders.models import Order, WorkOrder
from reproduce.production import selectors

register = template.Library()


@register.filter
def qty(value: Any) -> str:
    """A quantity without trailing zeros: 4.500 → 4.5, 100.000 → 100."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return format(number.normalize(), "f")


@register.filter
def duration_minutes(minutes: Any) -> str:
    """Minutes as h:mm (1:05 is an hour and five minutes)."""
    total = int(minutes or 0)
    return f"{total // 60}:{total % 60:02d}"


def _salt(context: Any) -> str:
    from reproduce.production.views import _salt as salt

    return salt(context["request"])


@register.inclusion_tag("production/_progress.html", takes_context=True)
def order_progress(context: Any, order: Order) -> dict[str, Any]:
    """The live progress of every work order of ``order`` (the caller may see the order)."""
    from reproduce.production.views import order_progress_context

    request = context["request"]
    return {
        **order_progress_context(request.actor, order),
        "poll_url": reverse("production:order_progress", args=[order.pk]),
        "etag": selectors.order_etag(order, _salt(context)),
        "heading_id": f"live-{order.pk}",
    }


@register.inclusion_tag("production/_progress.html", takes_context=True)
def work_order_progress(context: Any, work_order: WorkOrder) -> dict[str, Any]:
    """The live progress of one work order (the caller may see it)."""
    rows = WorkOrder.objects.visible_to(context["request"].actor).filter(pk=work_order.pk)
    wo = rows.select_related("run", "site", "order").first()
    if wo is None:
        return {"rows": []}
    return {
        "rows": [selectors.progress_of(wo)],
        "openable": {wo.pk},
        "poll_url": reverse("production:work_progress", args=[wo.pk]),
        "etag": selectors.work_etag(wo, _salt(context)),
        "heading_id": f"live-wo-{wo.pk}",
    }


@register.inclusion_tag("production/_progress.html", takes_context=True)
def floor_progress(context: Any) -> dict[str, Any]:
    """Work running or paused now across the network (for the coordinator's plan page)."""
    from reproduce.production.views import floor_progress_context

    actor = context["request"].actor
    return {
        **floor_progress_context(actor),
        "poll_url": reverse("production:floor_progress"),
        "etag": selectors.floor_etag(actor, _salt(context)),
        "heading_id": "live-floor",
        "floor": True,
    }
