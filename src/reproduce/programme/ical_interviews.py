"""The iCalendar invitation of a booked interview (attached to the e-mail and downloadable).

Written like the planning feeds (``reproduce.planning.ical``): the ``icalendar`` library, a
UID stable for the slot (its secret token), so that importing the invitation twice updates the
same event in the applicant's calendar instead of adding a second one.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from reproduce.programme.models import InterviewSlot


def _domain() -> str:
    return settings.SITE_URL.split("//")[-1].split("/")[0] or "reproduce"


def slot_calendar(slot: InterviewSlot) -> bytes:
    """One VEVENT for ``slot`` (its call's title in the active language)."""
    cal = Calendar()
    cal.add("prodid", "-//ReProduce//programme interviews//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"interview-{slot.token}@{_domain()}")
    event.add("summary", _("Interview: %(call)s") % {"call": slot.call.text("title")})
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("dtstamp", timezone.now())
    if slot.meeting_url:
        event.add("url", slot.meeting_url)
        event.add("location", slot.meeting_url)
    event.add(
        "description",
        _("Online interview with the ReProduce programme team.")
        + (f"\n{slot.meeting_url}" if slot.meeting_url else ""),
    )
    cal.add_component(event)
    return cal.to_ical()  # type: ignore[no-any-return]


def filename(slot: InterviewSlot) -> str:
    return f"interview-{slot.starts_at:%Y%m%d-%H%M}.ics"
