"""Two people booking the same machine slot at the same instant (PostgreSQL: real concurrent
transactions; the machine row lock makes the second see the first booking)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from threading import Barrier
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from reproduce.planning import bookings
from reproduce.planning.models import Booking

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent writers need PostgreSQL"
    ),
]


def _next_weekday(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_two_members_booking_the_same_slot_get_one_booking(world):
    machine = world.x.machine
    start, end = _next_weekday(10), _next_weekday(12)
    barrier = Barrier(2)

    def book(user: Any) -> str:
        try:
            barrier.wait()
            bookings.book_machine(
                actor=world.actor(user), machine=machine, starts_at=start, ends_at=end
            )
            return "ok"
        except bookings.BookingError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(book, [world.x.operator, world.y.operator]))
    assert results == ["ok", "slot_taken"]
    assert Booking.objects.unscoped("t").filter(machine=machine).count() == 1
