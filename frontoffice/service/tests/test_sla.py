"""SLA clock arithmetic: business time across nights, weekends, holidays and daylight saving time."""

import functools
import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from frontoffice.service.models import BusinessCalendar, Holiday, WorkingHours
from frontoffice.service.sla import (
    Calendar,
    add_business_time,
    business_time_between,
    calendar_cache_clear,
    calendar_for,
    calendar_from_model,
    is_business_moment,
    next_business_moment,
    remaining_business_time,
    resume_due,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOUR = timedelta(hours=1)

OFFICE = Calendar(tz=STOCKHOLM, periods={day: ((time(8), time(17)),) for day in range(5)})
LUNCH = Calendar(tz=STOCKHOLM, periods={day: ((time(8), time(12)), (time(13), time(17))) for day in range(5)})
ALWAYS = Calendar(tz=STOCKHOLM, periods={day: ((time(0), time.max),) for day in range(7)})
HOLIDAYS_2026 = frozenset(
    {
        date(2026, 6, 19),  # Midsummer Eve, a Friday
        date(2026, 12, 24),  # Christmas Eve, a Thursday
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 31),  # New Year's Eve
        date(2027, 1, 1),  # New Year's Day
    }
)
SWEDISH_OFFICE = Calendar(tz=STOCKHOLM, periods=OFFICE.periods, holidays=HOLIDAYS_2026)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


# --- Examples ----------------------------------------------------------------------------------------------


def test_within_a_day():
    assert add_business_time(local(2026, 3, 2, 9), 3 * HOUR, OFFICE) == local(2026, 3, 2, 12)
    assert business_time_between(local(2026, 3, 2, 9), local(2026, 3, 2, 12, 30), OFFICE) == 3.5 * HOUR


def test_result_is_in_utc():
    due = add_business_time(local(2026, 3, 2, 9), HOUR, OFFICE)

    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_across_a_weekend():
    friday_afternoon = local(2026, 3, 6, 16)

    assert add_business_time(friday_afternoon, 2 * HOUR, OFFICE) == local(2026, 3, 9, 9)
    assert business_time_between(friday_afternoon, local(2026, 3, 9, 9), OFFICE) == 2 * HOUR


def test_a_budget_running_out_at_closing_is_due_at_the_next_opening():
    assert add_business_time(local(2026, 3, 6, 16), HOUR, OFFICE) == local(2026, 3, 9, 8)
    assert add_business_time(local(2026, 3, 2, 11), HOUR, LUNCH) == local(2026, 3, 2, 13)


def test_lunch_break_is_skipped():
    assert add_business_time(local(2026, 3, 2, 11, 30), HOUR, LUNCH) == local(2026, 3, 2, 13, 30)
    assert business_time_between(local(2026, 3, 2, 8), local(2026, 3, 3, 8), LUNCH) == 8 * HOUR


def test_midsummer_eve_is_skipped():
    thursday_afternoon = local(2026, 6, 18, 16)

    assert add_business_time(thursday_afternoon, 2 * HOUR, SWEDISH_OFFICE) == local(2026, 6, 22, 9)
    assert add_business_time(thursday_afternoon, 2 * HOUR, OFFICE) == local(2026, 6, 19, 9)
    assert business_time_between(local(2026, 6, 15), local(2026, 6, 22), SWEDISH_OFFICE) == 36 * HOUR


def test_christmas_and_new_year_are_skipped():
    assert add_business_time(local(2026, 12, 23, 16), 2 * HOUR, SWEDISH_OFFICE) == local(2026, 12, 28, 9)
    assert add_business_time(local(2026, 12, 30, 12), 9 * HOUR, SWEDISH_OFFICE) == local(2027, 1, 4, 12)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (local(2026, 3, 3, 2), local(2026, 3, 3, 9)),  # night
        (local(2026, 3, 3, 18), local(2026, 3, 4, 9)),  # evening
        (local(2026, 3, 3, 17), local(2026, 3, 4, 9)),  # closing time itself is outside
        (local(2026, 3, 7, 10), local(2026, 3, 9, 9)),  # Saturday
        (local(2026, 3, 8, 23, 59), local(2026, 3, 9, 9)),  # Sunday night
    ],
)
def test_starting_outside_working_hours(start, due):
    assert add_business_time(start, HOUR, OFFICE) == due
    assert business_time_between(start, due, OFFICE) == HOUR


def test_spring_forward_day_has_23_hours():
    saturday_noon = local(2026, 3, 28, 12)  # the clocks go 02:00 -> 03:00 on Sunday 29 March

    assert add_business_time(saturday_noon, 24 * HOUR, ALWAYS) == local(2026, 3, 29, 13)
    assert business_time_between(local(2026, 3, 29), local(2026, 3, 30), ALWAYS) == 23 * HOUR


def test_fall_back_day_has_25_hours():
    saturday_noon = local(2026, 10, 24, 12)  # the clocks go 03:00 -> 02:00 on Sunday 25 October

    assert add_business_time(saturday_noon, 24 * HOUR, ALWAYS) == local(2026, 10, 25, 11)
    assert business_time_between(local(2026, 10, 25), local(2026, 10, 26), ALWAYS) == 25 * HOUR


def test_office_hours_keep_their_wall_clock_across_the_change():
    due = add_business_time(local(2026, 3, 27, 16), 2 * HOUR, OFFICE)

    assert due == local(2026, 3, 30, 9)
    assert due == datetime(2026, 3, 30, 7, tzinfo=UTC)  # summer time: UTC+2
    assert business_time_between(local(2026, 3, 23), local(2026, 3, 30), OFFICE) == 45 * HOUR


def test_a_period_in_the_skipped_hour_opens_when_the_clock_jumps():
    # 02:00-03:00 does not exist on 29 March 2026: 02:30-03:30 runs 03:00-03:30, 02:15-02:45 not at all.
    partly_skipped = Calendar(tz=STOCKHOLM, periods={6: ((time(2, 30), time(3, 30)),)})
    wholly_skipped = Calendar(tz=STOCKHOLM, periods={6: ((time(2, 15), time(2, 45)),)})

    assert business_time_between(local(2026, 3, 29), local(2026, 3, 30), partly_skipped) == timedelta(minutes=30)
    assert next_business_moment(local(2026, 3, 29), partly_skipped) == local(2026, 3, 29, 3)
    assert business_time_between(local(2026, 3, 29), local(2026, 3, 30), wholly_skipped) == timedelta(0)
    assert next_business_moment(local(2026, 3, 29), wholly_skipped) == local(2026, 4, 5, 2, 15)


def test_a_period_in_the_repeated_hour_follows_its_first_pass():
    # 02:00-03:00 happens twice on 25 October 2026: a period spanning it gets both passes, one inside it the first.
    spanning = Calendar(tz=STOCKHOLM, periods={6: ((time(1), time(4)),)})
    inside = Calendar(tz=STOCKHOLM, periods={6: ((time(2, 15), time(2, 45)),)})
    first_pass = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 summer time
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 winter time

    assert business_time_between(local(2026, 10, 25), local(2026, 10, 26), spanning) == 4 * HOUR
    assert business_time_between(local(2026, 10, 25), local(2026, 10, 26), inside) == timedelta(minutes=30)
    assert is_business_moment(first_pass, inside)
    assert not is_business_moment(second_pass, inside)
    assert is_business_moment(second_pass, spanning)


def test_many_weeks():
    monday = local(2026, 1, 5, 8)

    assert add_business_time(monday, 52 * 45 * HOUR, OFFICE) == local(2027, 1, 4, 8)
    assert business_time_between(monday, local(2027, 1, 4, 8), OFFICE) == 52 * 45 * HOUR


def test_ten_thousand_hours_are_quick_and_exact():
    start = local(2026, 3, 4, 10, 17, 3, 123456)
    amount = 10_000 * HOUR + timedelta(microseconds=7)

    began = wall_clock.perf_counter()
    due = add_business_time(start, amount, SWEDISH_OFFICE)
    elapsed = business_time_between(start, due, SWEDISH_OFFICE)
    seconds = wall_clock.perf_counter() - began

    assert elapsed == amount
    assert is_business_moment(due, SWEDISH_OFFICE)
    assert seconds < 1


def test_zero_amount_returns_the_start_unchanged():
    saturday = local(2026, 3, 7, 10)

    assert add_business_time(saturday, timedelta(0), OFFICE) == saturday
    assert add_business_time(saturday, timedelta(0), Calendar(tz=STOCKHOLM, periods={})) == saturday


def test_calendar_without_working_hours_raises():
    empty = Calendar(tz=STOCKHOLM, periods={})

    with pytest.raises(ValueError, match="calendar has no working hours"):
        add_business_time(local(2026, 3, 2, 9), HOUR, empty)
    with pytest.raises(ValueError, match="calendar has no working hours"):
        next_business_moment(local(2026, 3, 2, 9), empty)
    assert business_time_between(local(2026, 1, 1), local(2030, 1, 1), empty) == timedelta(0)
    assert not is_business_moment(local(2026, 3, 2, 9), empty)


def test_calendar_that_is_always_on_holiday_raises():
    mondays = {date(2026, 1, 5) + timedelta(weeks=week) for week in range(4 * 53)}
    never = Calendar(tz=STOCKHOLM, periods={0: ((time(8), time(17)),)}, holidays=frozenset(mondays))

    with pytest.raises(ValueError, match="no working time"):
        add_business_time(local(2026, 1, 1), HOUR, never)
    with pytest.raises(ValueError, match="no working time"):
        next_business_moment(local(2026, 1, 1), never)


def test_negative_amounts_and_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(local(2026, 3, 2, 9), -HOUR, OFFICE)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 3, 2, 9), HOUR, OFFICE)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(local(2026, 3, 2, 9), datetime(2026, 3, 2, 10), OFFICE)


def test_business_time_between_is_zero_when_end_is_not_after_start():
    assert business_time_between(local(2026, 3, 2, 12), local(2026, 3, 2, 10), OFFICE) == timedelta(0)
    assert business_time_between(local(2026, 3, 2, 12), local(2026, 3, 2, 12), OFFICE) == timedelta(0)


def test_periods_are_half_open():
    assert is_business_moment(local(2026, 3, 2, 8), OFFICE)
    assert is_business_moment(local(2026, 3, 2, 16, 59, 59, 999999), OFFICE)
    assert not is_business_moment(local(2026, 3, 2, 17), OFFICE)
    assert not is_business_moment(local(2026, 3, 2, 7, 59, 59, 999999), OFFICE)
    assert not is_business_moment(local(2026, 6, 19, 10), SWEDISH_OFFICE)


def test_next_business_moment():
    inside = local(2026, 3, 2, 10, 30)

    assert next_business_moment(inside, OFFICE) == inside
    assert next_business_moment(local(2026, 3, 6, 17), OFFICE) == local(2026, 3, 9, 8)
    assert next_business_moment(local(2026, 3, 2, 12, 5), LUNCH) == local(2026, 3, 2, 13)
    assert next_business_moment(local(2026, 12, 23, 18), SWEDISH_OFFICE) == local(2026, 12, 28, 8)


def test_pause_and_resume():
    due = local(2026, 3, 9, 10)  # Monday
    paused_at = local(2026, 3, 6, 16)  # Friday

    remaining = remaining_business_time(paused_at, due, OFFICE)

    assert remaining == 3 * HOUR
    assert resume_due(local(2026, 3, 10, 15), remaining, OFFICE) == local(2026, 3, 11, 9)
    assert remaining_business_time(local(2026, 3, 9, 11), due, OFFICE) == timedelta(0)


def test_calendar_sorts_and_merges_its_periods():
    calendar = Calendar(
        tz="Europe/Stockholm",
        periods={0: [(time(13), time(17)), (time(8), time(12)), (time(11), time(13))], 1: [], 2: [(time(9), time(10))]},
        holidays=[date(2026, 6, 19)],
    )

    assert calendar.tz == STOCKHOLM
    assert calendar.periods == {0: ((time(8), time(17)),), 2: ((time(9), time(10)),)}
    assert calendar.holidays == frozenset({date(2026, 6, 19)})


@pytest.mark.parametrize(
    "periods",
    [{0: [(time(17), time(8))]}, {0: [(time(8), time(8))]}, {7: [(time(8), time(17))]}],
)
def test_calendar_refuses_impossible_periods(periods):
    with pytest.raises(ValueError):
        Calendar(tz=STOCKHOLM, periods=periods)


# --- Properties --------------------------------------------------------------------------------------------

# Clock changes in 2026 and the local hours around them: Stockholm (02:00-03:00), Santiago (at midnight) and
# Lord Howe (half an hour, 02:00-02:30).
SANTIAGO, LORD_HOWE = ZoneInfo("America/Santiago"), ZoneInfo("Australia/Lord_Howe")
CHANGES = [
    (STOCKHOLM, datetime(2026, 3, 29, 1, tzinfo=UTC), (1, 2, 3, 4)),
    (STOCKHOLM, datetime(2026, 10, 25, 1, tzinfo=UTC), (1, 2, 3, 4)),
    (SANTIAGO, datetime(2026, 4, 5, 3, tzinfo=UTC), (22, 23, 0, 1)),
    (SANTIAGO, datetime(2026, 9, 6, 4, tzinfo=UTC), (22, 23, 0, 1)),
    (LORD_HOWE, datetime(2026, 4, 4, 15, tzinfo=UTC), (1, 2, 3)),
    (LORD_HOWE, datetime(2026, 10, 3, 15, 30, tzinfo=UTC), (1, 2, 3)),
]


@functools.cache
def clock_times(hours: tuple[int, ...]) -> st.SearchStrategy[time]:
    return st.builds(time, st.sampled_from(hours), st.sampled_from([0, 10, 15, 30, 45, 50]), st.sampled_from([0, 17]))


@functools.cache
def closing_times(hours: tuple[int, ...]) -> st.SearchStrategy[time]:
    return st.one_of(clock_times(hours), st.just(time.max))


@st.composite
def days(draw, hours: tuple[int, ...], *, max_periods: int = 3) -> list[tuple[time, time]]:
    """A day's periods (overlapping ones allowed: the calendar merges them), at whole hours or odd minutes."""
    periods = []
    for _ in range(draw(st.integers(1, max_periods))):
        opens, closes = sorted([draw(clock_times(hours)), draw(closing_times(hours))])
        periods.append((opens, closes if closes > opens else time.max))
    return periods


ALL_DAY = days(tuple(range(24)))


@st.composite
def calendars(draw, *, zones: list[ZoneInfo]) -> Calendar:
    week = draw(st.dictionaries(st.integers(0, 6), ALL_DAY, min_size=1))
    holidays = draw(st.frozensets(st.dates(date(2025, 12, 1), date(2027, 3, 1)), max_size=20))
    return Calendar(tz=draw(st.sampled_from(zones)), periods=week, holidays=holidays)


@st.composite
def clock_change_cases(draw) -> tuple[Calendar, datetime]:
    """A calendar working in the hours around a clock change, also on its day, and a moment close to the change."""
    zone, change, hours = draw(st.sampled_from(CHANGES))
    weekdays_of_change = {(change + shift).astimezone(zone).weekday() for shift in (-HOUR, HOUR)}
    week = {weekday: draw(days(hours, max_periods=2)) for weekday in weekdays_of_change}
    return Calendar(tz=zone, periods=week), change + draw(st.timedeltas(-3 * HOUR, 3 * HOUR))


any_calendar = st.one_of(
    st.sampled_from([OFFICE, LUNCH, ALWAYS, SWEDISH_OFFICE]),
    calendars(zones=[STOCKHOLM, SANTIAGO, LORD_HOWE, ZoneInfo("UTC")]),
)
any_moment = st.one_of(
    st.datetimes(datetime(2025, 12, 1), datetime(2027, 3, 1)).map(lambda moment: moment.replace(tzinfo=UTC)),
    st.builds(
        lambda change, shift: change[1] + shift,
        st.sampled_from(CHANGES),
        st.timedeltas(-timedelta(days=3), timedelta(days=3)),
    ),
)
cases = st.one_of(st.tuples(any_calendar, any_moment), clock_change_cases())
amounts = st.one_of(
    st.timedeltas(timedelta(0), 60 * HOUR),
    st.integers(0, 60 * 4).map(lambda quarters: quarters * timedelta(minutes=15)),
)
spans = st.one_of(st.timedeltas(timedelta(0), timedelta(days=6)), st.timedeltas(timedelta(0), 6 * HOUR))


@given(case=cases, amount=amounts)
def test_business_time_until_the_due_moment_is_the_amount(case, amount):
    cal, start = case

    assert business_time_between(start, add_business_time(start, amount, cal), cal) == amount


@given(case=cases, amount=amounts)
def test_a_positive_amount_ends_on_a_business_moment(case, amount):
    cal, start = case
    assume(amount > timedelta(0))

    assert is_business_moment(add_business_time(start, amount, cal), cal)


@given(case=cases, length=spans)
def test_adding_the_business_time_to_a_business_moment_reaches_it(case, length):
    cal, start = case
    end = next_business_moment(start + length, cal)
    elapsed = business_time_between(start, end, cal)
    assume(elapsed > timedelta(0) or start == end)  # a zero amount stays at start, which may be outside hours

    assert add_business_time(start, elapsed, cal) == end


@given(case=cases, first=amounts, second=amounts)
def test_more_time_is_never_due_earlier(case, first, second):
    cal, start = case
    shorter, longer = sorted([first, second])

    assert add_business_time(start, shorter, cal) <= add_business_time(start, longer, cal)


@given(case=cases, first=amounts, second=amounts)
def test_adding_in_two_steps_is_adding_once(case, first, second):
    cal, start = case

    assert add_business_time(add_business_time(start, first, cal), second, cal) == add_business_time(
        start, first + second, cal
    )


@given(case=cases, first=spans, second=spans)
def test_business_time_is_at_most_the_time_and_adds_up(case, first, second):
    cal, start = case
    middle, end = start + first, start + first + second
    whole = business_time_between(start, end, cal)

    assert timedelta(0) <= whole <= end - start
    assert whole == business_time_between(start, middle, cal) + business_time_between(middle, end, cal)


def wall_clock_says_working(moment: datetime, cal: Calendar) -> bool:
    wall = moment.astimezone(cal.tz)
    shown = wall.replace(tzinfo=None).time()
    return wall.date() not in cal.holidays and any(
        opens <= shown and (closes == time.max or shown < closes)
        for opens, closes in cal.periods.get(wall.weekday(), ())
    )


@given(case=cases)
def test_the_calendar_works_when_its_wall_clock_shows_a_working_time(case):
    # Outside the second pass of a repeated hour (which follows the first-pass rule), the arithmetic agrees with
    # reading the local wall clock against the weekly periods.
    cal, moment = case
    assume(moment.astimezone(cal.tz).fold == 0)
    expected = wall_clock_says_working(moment, cal)

    assert is_business_moment(moment, cal) == expected
    assert (next_business_moment(moment, cal) == moment) == expected


@given(case=clock_change_cases())
def test_around_clock_changes_the_calendar_works_when_its_wall_clock_shows_a_working_time(case):
    cal, moment = case
    assume(moment.astimezone(cal.tz).fold == 0)

    assert is_business_moment(moment, cal) == wall_clock_says_working(moment, cal)


# --- From the database -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_from_the_database(django_assert_num_queries):
    calendar = BusinessCalendar.objects.create(name="Support Sweden", time_zone="Europe/Stockholm")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, opens=time(13), closes=time(17))
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, opens=time(8), closes=time(12))
    Holiday.objects.create(calendar=calendar, date=date(2026, 6, 19), name="Midsummer Eve")
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Christmas Eve")
    expected = Calendar(tz=STOCKHOLM, periods=LUNCH.periods, holidays={date(2026, 6, 19), date(2026, 12, 24)})
    calendar_cache_clear()

    prefetched = BusinessCalendar.objects.prefetch_related("working_hours", "holidays").get(pk=calendar.pk)
    with django_assert_num_queries(0):
        assert calendar_from_model(prefetched) == expected
    with django_assert_num_queries(2):
        assert calendar_for(calendar.pk) == expected
    with django_assert_num_queries(0):
        loaded = calendar_for(calendar.pk)
    assert add_business_time(local(2026, 6, 18, 16), 2 * HOUR, loaded) == local(2026, 6, 22, 9)

    Holiday.objects.filter(calendar=calendar).delete()
    calendar_cache_clear()
    with django_assert_num_queries(2):
        assert calendar_for(calendar.pk).holidays == frozenset()
    with pytest.raises(BusinessCalendar.DoesNotExist):
        calendar_for(calendar.pk + 1000)
    calendar_cache_clear()
