"""England's calendar, computed in code: bank holidays, a typical school-holiday pattern, working days.

Bank holidays follow the rules of the Banking and Financial Dealings Act 1971 as applied in England and
Wales (New Year's Day, Good Friday, Easter Monday, first and last Mondays of May, last Monday of August,
Christmas and Boxing Day, with substitute days when they fall at a weekend), with the one-off changes
listed in ``SPECIAL`` (each announced by royal proclamation).

School holidays differ by council and by school. The pattern here is a *typical* English one, stated as
rules so that it can be computed for any year: six weeks of summer holiday from the fourth Monday of July
(the last full week of term ends before it), two weeks at Christmas from the Monday of the week with 25 December, two weeks at Easter around Easter Sunday, and one-week half terms in the week of
the last Monday of October, the third Monday of February and the spring bank holiday. It is a modelling
assumption, good to a few days, and is labelled so wherever it is used.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import pandas as pd

#: One-off changes to England's bank holidays: (moved from, moved to or added).
SPECIAL: dict[int, dict] = {
    2011: {"add": [date(2011, 4, 29)]},  # wedding of Prince William and Catherine Middleton
    2012: {"move": {date(2012, 5, 28): date(2012, 6, 4)}, "add": [date(2012, 6, 5)]},  # Diamond Jubilee
    2020: {"move": {date(2020, 5, 4): date(2020, 5, 8)}},  # VE Day 75th anniversary
    2022: {"move": {date(2022, 5, 30): date(2022, 6, 2)}, "add": [date(2022, 6, 3), date(2022, 9, 19)]},
    2023: {"add": [date(2023, 5, 8)]},  # coronation of King Charles III
}


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month, day = divmod(h + ll - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based; -1 = last) given weekday (Monday=0) of a month."""
    if n > 0:
        d = date(year, month, 1)
        d += timedelta(days=(weekday - d.weekday()) % 7)
        return d + timedelta(weeks=n - 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


@lru_cache(maxsize=None)
def bank_holidays(year: int) -> tuple[date, ...]:
    """England and Wales bank holidays in a calendar year."""
    days: list[date] = []
    ny = date(year, 1, 1)
    days.append(ny + timedelta(days={5: 2, 6: 1}.get(ny.weekday(), 0)))
    easter = easter_sunday(year)
    days += [easter - timedelta(days=2), easter + timedelta(days=1)]
    days += [_nth_weekday(year, 5, 0, 1), _nth_weekday(year, 5, 0, -1), _nth_weekday(year, 8, 0, -1)]
    xmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if xmas.weekday() == 5:  # Saturday: substitutes Monday 27 and Tuesday 28
        days += [date(year, 12, 27), date(year, 12, 28)]
    elif xmas.weekday() == 6:  # Sunday: Boxing Day Monday, substitute Tuesday 27
        days += [boxing, date(year, 12, 27)]
    elif xmas.weekday() == 4:  # Friday: Boxing Day Saturday, substitute Monday 28
        days += [xmas, date(year, 12, 28)]
    else:
        days += [xmas, boxing]
    special = SPECIAL.get(year, {})
    days = [special.get("move", {}).get(d, d) for d in days]
    days += special.get("add", [])
    return tuple(sorted(set(days)))


@lru_cache(maxsize=None)
def school_holidays(year: int) -> tuple[tuple[date, date], ...]:
    """Typical English school holiday periods (inclusive) that start in a calendar year (modelled)."""
    periods = []
    feb = _nth_weekday(year, 2, 0, 3)
    periods.append((feb, feb + timedelta(days=4)))
    easter = easter_sunday(year)
    periods.append((easter - timedelta(days=9), easter + timedelta(days=8)))  # Fri before Good Friday week .. Mon+7
    spring = _nth_weekday(year, 5, 0, -1)
    if year in SPECIAL and "move" in SPECIAL[year]:
        spring = next((to for frm, to in SPECIAL[year]["move"].items() if frm.month == 5 and frm.day > 24), spring)
        spring -= timedelta(days=spring.weekday())
    periods.append((spring, spring + timedelta(days=4)))
    summer = _nth_weekday(year, 7, 0, 4)
    periods.append((summer, summer + timedelta(weeks=6) - timedelta(days=3)))
    october = _nth_weekday(year, 10, 0, -1)
    periods.append((october, october + timedelta(days=4)))
    xmas = date(year, 12, 25)
    start = xmas - timedelta(days=xmas.weekday())  # Monday of the week with Christmas Day
    periods.append((start, start + timedelta(days=13)))
    return tuple(periods)


def _weekdays(start: date, end: date) -> list[date]:
    return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1)) if d.weekday() < 5]


def month_calendar(first: str, last: str) -> pd.DataFrame:
    """Per month (PeriodIndex, freq M): weekdays, bank holidays, working days, school-holiday share.

    ``school_holiday_share`` is the share of the month's working days inside a (typical, modelled)
    school holiday.
    """
    return _month_calendar(first, last).copy()


@lru_cache(maxsize=None)
def _month_calendar(first: str, last: str) -> pd.DataFrame:
    """:func:`month_calendar`, computed once per span (callers get copies)."""
    months = pd.period_range(first, last, freq="M")
    rows = []
    hol_sets: dict[int, set[date]] = {}
    school_sets: dict[int, set[date]] = {}
    for m in months:
        y = m.year
        for yy in (y - 1, y):
            if yy not in hol_sets:
                hol_sets[yy] = set(bank_holidays(yy))
                school_sets[yy] = {d for s, e in school_holidays(yy) for d in _weekdays(s, e)}
        start = date(y, m.month, 1)
        end = date(y + (m.month == 12), m.month % 12 + 1, 1) - timedelta(days=1)
        wd = _weekdays(start, end)
        bh = [d for d in wd if d in hol_sets[y]]
        working = [d for d in wd if d not in hol_sets[y]]
        school = [d for d in working if d in school_sets[y] or d in school_sets[y - 1]]
        rows.append(
            dict(
                month=m,
                weekdays=len(wd),
                bank_holidays=len(bh),
                working_days=len(working),
                school_holiday_share=len(school) / len(working) if working else 0.0,
            )
        )
    return pd.DataFrame(rows).set_index("month")
