"""The de minimis arithmetic (pure): the worst three-year window containing a new aid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reproduce.programme.services.cohorts import (
    DE_MINIMIS_CEILING,
    Aid,
    de_minimis_peak,
    three_years_before,
)

START = date(2022, 1, 1)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(200000), places=2)
days = st.integers(min_value=0, max_value=6 * 365)
aids = st.lists(
    st.builds(lambda d, a: Aid(START + timedelta(days=d), a), days, amounts), max_size=6
)


def _brute_force(others: list[Aid], new: Aid) -> Decimal:
    """Every window end from the new aid's day to just under three years later."""
    best = Decimal(0)
    end = new.on
    while three_years_before(end) < new.on:
        start = three_years_before(end)
        total = new.amount + sum((a.amount for a in others if start < a.on <= end), Decimal(0))
        best = max(best, total)
        end += timedelta(days=1)
    return best


@settings(max_examples=60, deadline=None)
@given(aids, days, amounts)
def test_the_peak_is_the_worst_window(others: list[Aid], day: int, amount: Decimal) -> None:
    new = Aid(START + timedelta(days=day), amount)
    figures = de_minimis_peak(others, new)
    assert figures.total == _brute_force(others, new)
    assert figures.window_start <= new.on <= figures.window_end
    assert three_years_before(figures.window_end) + timedelta(days=1) == figures.window_start


@given(aids, days, amounts, amounts)
def test_more_aid_never_lowers_the_peak(
    others: list[Aid], day: int, amount: Decimal, extra: Decimal
) -> None:
    new = Aid(START + timedelta(days=day), amount)
    more = [*others, Aid(new.on, extra)]
    assert de_minimis_peak(more, new).total >= de_minimis_peak(others, new).total


def test_edges() -> None:
    new = Aid(date(2026, 3, 1), Decimal(1000))
    old = Aid(date(2023, 3, 1), Decimal(299500))  # exactly three years before: out
    assert de_minimis_peak([old], new).total == 1000
    young = Aid(date(2023, 3, 2), Decimal(299500))  # one day younger: in
    figures = de_minimis_peak([young], new)
    assert figures.total == Decimal(300500) and figures.exceeded
    assert (figures.window_start, figures.window_end) == (date(2023, 3, 2), date(2026, 3, 1))
    # An aid after the new one, within three years, shares a window with it.
    later = Aid(date(2029, 2, 28), Decimal(299000))
    assert de_minimis_peak([later], new).total == Decimal(300000)
    assert not de_minimis_peak([later], new).exceeded
    assert de_minimis_peak([Aid(date(2029, 3, 1), Decimal(299001))], new).total == 1000


def test_leap_day_and_warning() -> None:
    assert three_years_before(date(2028, 2, 29)) == date(2025, 2, 28)
    earlier = [Aid(date(2025, 1, 1), Decimal(269000))]
    figures = de_minimis_peak(earlier, Aid(date(2025, 6, 1), Decimal(1000)))
    assert figures.near and not figures.exceeded  # 90 % exactly
    assert figures.room == Decimal(30000)
    assert figures.ceiling == DE_MINIMIS_CEILING
