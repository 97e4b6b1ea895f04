"""CMS CY2026 RPM billing rules at every boundary (../shared/clinical/thresholds.md)."""

import datetime as dt

import pytest

from rpm import billing
from rpm.billing import Period, management_codes, outlook, period_containing, periods_ending_in, supply_codes


@pytest.mark.parametrize(("days", "codes", "blocked"), [
    (0, [], [billing.FEWER_THAN_2_DAYS]),
    (1, [], [billing.FEWER_THAN_2_DAYS]),
    (2, ["99445"], []),
    (15, ["99445"], []),
    (16, ["99454"], []),
    (30, ["99454"], []),
])
def test_device_supply_by_data_days(days, codes, blocked):
    outcome = supply_codes(data_days=days, first_billable_period=False, other_practitioner=False)
    assert (outcome.codes, outcome.blocked) == (codes, blocked)


@pytest.mark.parametrize(("days", "codes"), [(1, []), (2, ["99453", "99445"]), (16, ["99453", "99454"])])
def test_set_up_goes_with_either_supply_code_in_the_first_billable_period(days, codes):
    assert supply_codes(data_days=days, first_billable_period=True, other_practitioner=False).codes == codes


def test_a_second_practitioner_in_the_same_period_blocks_supply_and_set_up():
    outcome = supply_codes(data_days=20, first_billable_period=True, other_practitioner=True)
    assert (outcome.codes, outcome.blocked) == ([], [billing.OTHER_PRACTITIONER])


@pytest.mark.parametrize(("minutes", "with_call", "without_call"), [
    (0, ([], []), ([], [])),
    (9, ([], [billing.UNDER_10_MINUTES]), ([], [billing.UNDER_10_MINUTES])),
    (10, (["99470"], []), ([], [billing.NO_INTERACTIVE])),
    (19, (["99470"], []), ([], [billing.NO_INTERACTIVE])),
    (20, (["99457"], []), ([], [billing.NO_INTERACTIVE])),
    (39, (["99457"], []), ([], [billing.NO_INTERACTIVE])),
    (40, (["99457", "99458"], []), ([], [billing.NO_INTERACTIVE])),
    (41, (["99457", "99458"], []), ([], [billing.NO_INTERACTIVE])),
    (60, (["99457", "99458", "99458"], []), ([], [billing.NO_INTERACTIVE])),
])
def test_management_by_minutes_with_and_without_an_interactive_communication(minutes, with_call, without_call):
    called = management_codes(minutes=minutes, interactive_communication=True)
    silent = management_codes(minutes=minutes, interactive_communication=False)
    assert (called.codes, called.blocked) == with_call
    assert (silent.codes, silent.blocked) == without_call


def test_periods_are_30_days_from_the_episode_start():
    start = dt.date(2026, 1, 10)
    assert period_containing(episode_start=start, day=dt.date(2026, 1, 9)) is None
    assert period_containing(episode_start=start, day=start) == Period(0, start)
    assert period_containing(episode_start=start, day=dt.date(2026, 2, 8)) == Period(0, start)
    assert period_containing(episode_start=start, day=dt.date(2026, 2, 9)) == Period(1, dt.date(2026, 2, 9))


def test_a_period_across_a_month_end_is_reported_in_the_month_it_ends():
    start = dt.date(2026, 11, 20)  # 20 Nov to 19 Dec
    assert periods_ending_in(episode_start=start, year=2026, month=11) == []
    assert [(p.start, p.end) for p in periods_ending_in(episode_start=start, year=2026, month=12)] == [
        (dt.date(2026, 11, 20), dt.date(2026, 12, 19))]


def test_a_31_day_month_can_close_two_periods():
    periods = periods_ending_in(episode_start=dt.date(2025, 12, 3), year=2026, month=1)
    assert [p.end for p in periods] == [dt.date(2026, 1, 1), dt.date(2026, 1, 31)]


def test_outlook_counts_today_as_left_until_it_has_data():
    period = Period(0, dt.date(2026, 5, 1))
    days = {dt.date(2026, 5, d) for d in range(1, 11)}
    ahead = outlook(period=period, data_days=days, today=dt.date(2026, 5, 26))  # 26-30 May left
    assert (ahead.data_days, ahead.days_left, ahead.needed_full, ahead.slack) == (10, 5, 6, -1)
    done_today = outlook(period=period, data_days=days | {dt.date(2026, 5, 26)}, today=dt.date(2026, 5, 26))
    assert (done_today.data_days, done_today.days_left) == (11, 4)
