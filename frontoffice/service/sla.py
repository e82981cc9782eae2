"""SLA clock arithmetic: how much business time lies between two moments, and when a budget of it runs out.

Business time is the time a `BusinessCalendar` works: its weekly periods in local wall-clock time in the
calendar's zone, minus its holidays (whole local days). Everything here is pure and needs no database except
`calendar_for`, which loads a calendar once and keeps it in memory for a minute.

Rules every function follows:

- A period is half-open, [opens, closes): 17:00 is not a business moment of a day that closes at 17:00.
  A period closing at `time.max` (23:59:59.999999) runs to midnight, so 00:00–time.max is a whole day.
- Arithmetic is done on real elapsed time (UTC). The calendar is read day by day in local time and each
  period becomes the UTC interval from the first instant the local clock shows its opening to the first
  instant it shows its closing. So across daylight saving time a whole day of a 24/7 calendar holds 23 or
  25 hours.
- A wall time that does not exist (the hour skipped in spring) is read as the instant the clock jumps past
  it: a period 02:30–03:30 on that night runs 03:00–03:30. A wall time that occurs twice (the hour repeated
  in autumn) is read at its first occurrence, as zoneinfo does with fold=0: a period 02:15–02:45 that night
  runs once, on the first pass, while 01:00–04:00 runs through both passes (four real hours).
- `add_business_time(start, amount)` with a positive amount returns the business moment at which exactly
  `amount` has run since `start`: a budget that runs out as a period closes is due when the next period opens
  (Friday 16:00 + 1 h in a 08:00–17:00 week is due Monday 08:00), so no breach is counted while nobody works.
  A zero amount returns `start` itself.
"""

import threading
import time as monotonic_clock
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q

from frontoffice.service.models import BusinessCalendar, WorkingHours

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_MIDNIGHT = time(0)
# A budget that finds no working time for this many days in a row is treated as never running out.
_MAX_IDLE_DAYS = 3 * 366
_CACHE_SECONDS = 60.0

Period = tuple[time, time]


@dataclass(frozen=True)
class Calendar:
    """A business calendar ready for arithmetic: weekday (0 = Monday) -> sorted, merged local periods.

    Built directly or from the model; periods are validated, sorted and merged (overlapping or touching
    periods become one) when the object is made, and weekdays without periods are left out.
    """

    tz: ZoneInfo
    periods: dict[int, tuple[Period, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        tz = ZoneInfo(self.tz) if isinstance(self.tz, str) else self.tz
        periods: dict[int, tuple[Period, ...]] = {}
        for weekday, day_periods in self.periods.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            merged = _merge(day_periods)
            if merged:
                periods[weekday] = merged
        object.__setattr__(self, "tz", tz)
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "holidays", frozenset(self.holidays))


def _merge(day_periods: Iterable[Period]) -> tuple[Period, ...]:
    merged: list[Period] = []
    for opens, closes in sorted(day_periods):
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("periods are local wall-clock times and must not carry a time zone")
        if not opens < closes:
            raise ValueError(f"a period must open before it closes ({opens}–{closes})")
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def _build(time_zone: str, hours: Iterable[tuple[int, time, time]], holidays: Iterable[date]) -> Calendar:
    periods: dict[int, list[Period]] = {}
    for weekday, opens, closes in hours:
        periods.setdefault(weekday, []).append((opens, closes))
    return Calendar(tz=ZoneInfo(time_zone), periods=periods, holidays=frozenset(holidays))


def calendar_from_model(calendar: BusinessCalendar) -> Calendar:
    """The arithmetic form of a calendar row; uses `working_hours.all()` and `holidays.all()`, so prefetch them."""
    return _build(
        calendar.time_zone,
        ((hours.weekday, hours.opens, hours.closes) for hours in calendar.working_hours.all()),
        (holiday.date for holiday in calendar.holidays.all()),
    )


_cache: dict[int, tuple[float, Calendar]] = {}
_cache_lock = threading.Lock()


def calendar_for(calendar_id: int) -> Calendar:
    """The calendar with this id, loaded with two queries and kept in this process for a minute.

    An edited calendar takes effect everywhere within that minute. Raises BusinessCalendar.DoesNotExist.
    """
    now = monotonic_clock.monotonic()
    with _cache_lock:
        cached = _cache.get(calendar_id)
    if cached is not None and cached[0] > now:
        return cached[1]

    row = (
        BusinessCalendar.objects.filter(pk=calendar_id)
        .annotate(holiday_dates=ArrayAgg("holidays__date", filter=Q(holidays__isnull=False)))
        .values("time_zone", "holiday_dates")
        .get()
    )
    hours = WorkingHours.objects.filter(calendar_id=calendar_id).values_list("weekday", "opens", "closes")
    calendar = _build(row["time_zone"], hours, row["holiday_dates"] or ())
    with _cache_lock:
        _cache[calendar_id] = (now + _CACHE_SECONDS, calendar)
    return calendar


def calendar_cache_clear() -> None:
    """Forget every calendar `calendar_for` holds (tests, or right after a calendar was edited)."""
    with _cache_lock:
        _cache.clear()


# --- Reading the calendar in real time ---------------------------------------------------------------------


def _first_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in `tz` shows the naive wall time `local` or later."""
    instant = local.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first occurrence of a repeated time
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant
    # `local` was skipped (the clock jumped over it): find the jump. fold=1 reads it with the offset after the
    # jump, which lands before the jump; fold=0 with the offset before it, which lands at or after the jump.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = instant
    while after - before > _ONE_MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).replace(tzinfo=None) >= local:
            after = middle
        else:
            before = middle
    return after


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return _first_instant(datetime.combine(day, _MIDNIGHT), tz)


def _day_intervals(day: date, day_start: datetime, day_end: datetime, cal: Calendar) -> list[tuple[datetime, datetime]]:
    """The UTC intervals the calendar works on a local day that runs from day_start to day_end (UTC)."""
    if day in cal.holidays:
        return []
    day_periods = cal.periods.get(day.weekday())
    if not day_periods:
        return []
    intervals = []
    for opens, closes in day_periods:
        begin = day_start if opens == _MIDNIGHT else _first_instant(datetime.combine(day, opens), cal.tz)
        end = day_end if closes == time.max else _first_instant(datetime.combine(day, closes), cal.tz)
        if end > begin:  # a period lying wholly in a skipped hour is empty
            intervals.append((begin, end))
    return intervals


def _intervals_after(
    moment: datetime, cal: Calendar, *, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's working intervals that end after `moment` (UTC), in order.

    With `until`, stops before the first local day starting at or after it. Without, raises ValueError once
    no working time was found for _MAX_IDLE_DAYS days in a row.
    """
    # The local day `moment` falls on starts at or before it: its start is the first instant showing 00:00.
    day = moment.astimezone(cal.tz).date()
    day_start = _local_start(day, cal.tz)
    idle_days = 0
    while until is None or day_start < until:
        next_day = day + _ONE_DAY
        day_end = _local_start(next_day, cal.tz)
        if day_end > moment:
            intervals = _day_intervals(day, day_start, day_end, cal)
            for begin, end in intervals:
                if end > moment:
                    yield begin, end
            if intervals:
                idle_days = 0
            else:
                idle_days += 1
                if until is None and idle_days > _MAX_IDLE_DAYS:
                    raise ValueError(f"calendar has no working time in the {_MAX_IDLE_DAYS} days after {day}")
        day, day_start = next_day, day_end


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("SLA arithmetic needs aware datetimes")
    return moment.astimezone(UTC)


def _require_working_hours(cal: Calendar) -> None:
    if not cal.periods:
        raise ValueError("calendar has no working hours")


# --- The public arithmetic ---------------------------------------------------------------------------------


def add_business_time(start: datetime, amount: timedelta, cal: Calendar) -> datetime:
    """The moment (UTC) when `amount` of business time has run after `start`; `start` itself for a zero amount.

    A positive amount always ends on a business moment: when it runs out as a period closes, the result is
    the opening of the next period. Raises ValueError for a negative amount, a calendar without working
    hours, or one without any working time for three years.
    """
    start = _as_utc(start)
    if amount < _ZERO:
        raise ValueError("amount must not be negative")
    if amount == _ZERO:
        return start
    _require_working_hours(cal)
    remaining = amount
    for begin, end in _intervals_after(start, cal):
        begin = max(begin, start)
        if remaining < end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: _intervals_after never ends without `until`")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, cal: Calendar) -> timedelta:
    """The business time in [start, end); zero when end is not after start."""
    start, end = _as_utc(start), _as_utc(end)
    total = _ZERO
    if end <= start:
        return total
    for begin, finish in _intervals_after(start, cal, until=end):
        if begin >= end:
            break
        total += min(finish, end) - max(begin, start)
    return total


def is_business_moment(moment: datetime, cal: Calendar) -> bool:
    """Whether the calendar works at this moment (periods are half-open: closing time is outside)."""
    moment = _as_utc(moment)
    for begin, _end in _intervals_after(moment, cal, until=moment + _ONE_MICROSECOND):
        return begin <= moment
    return False


def next_business_moment(moment: datetime, cal: Calendar) -> datetime:
    """`moment` (in UTC) if the calendar works then, else the next opening. Raises ValueError like add_business_time."""
    moment = _as_utc(moment)
    _require_working_hours(cal)
    for begin, _end in _intervals_after(moment, cal):
        return max(begin, moment)
    raise AssertionError("unreachable: _intervals_after never ends without `until`")  # pragma: no cover


def remaining_business_time(now: datetime, due: datetime, cal: Calendar) -> timedelta:
    """What is left of an SLA budget when its clock pauses now: zero if it is already due."""
    return business_time_between(now, due, cal)


def resume_due(now: datetime, remaining: timedelta, cal: Calendar) -> datetime:
    """The new due moment when a paused clock with `remaining` business time left starts again now."""
    return add_business_time(now, remaining, cal)
