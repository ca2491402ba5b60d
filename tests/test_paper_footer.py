"""The committee paper's footer prints a date that belongs to the edition (the meeting, or the newest publication
the edition reads), never the day it was printed: the same edition printed on two days is the same paper."""

from datetime import date

from cscbook.report import papercover


class _Day(date):
    """A day the paper is printed on (synthetic), given by the test."""
    day_given = date(2026, 12, 4)

    @classmethod
    def today(cls):
        return cls.day_given


def _footer_on(day, meta, monkeypatch):
    _Day.day_given = day
    monkeypatch.setattr(papercover, "date", _Day)
    return papercover._footer(meta)


def test_the_same_edition_printed_on_two_days_has_the_same_footer(monkeypatch):
    meta = {"council": "Buckinghamshire", "quarter": "2026Q1", "meeting_date": papercover.MEETING_TO_BE_SET,
            "data_published": "2026-03-19"}
    first = _footer_on(date(2026, 12, 4), meta, monkeypatch)
    second = _footer_on(date(2027, 1, 15), meta, monkeypatch)
    assert first == second
    assert "2026-12-04" not in first and "2027-01-15" not in second
    assert "data published by 19 March 2026" in first


def test_the_footer_names_the_meeting_when_one_is_set(monkeypatch):
    meta = {"council": "Buckinghamshire", "quarter": "2026Q1", "meeting_date": papercover.meeting_date_text("2026-07-14"),
            "data_published": "2026-03-19"}
    footer = _footer_on(date(2026, 12, 4), meta, monkeypatch)
    assert "meeting 14 July 2026" in footer and "2026-12-04" not in footer


def test_the_default_edition_footer_date_is_its_newest_publication(monkeypatch):
    from cscbook.build.context import make_edition
    from cscbook.data.edition import latest_quarter
    from cscbook.report.notebook import download_note

    ed = make_edition("825", str(latest_quarter()))
    published = download_note(ed)["published"]
    assert published and date.fromisoformat(published) <= ed.quarter.end
    meta = {"council": ed.council.name, "quarter": str(ed.quarter), "meeting_date": papercover.MEETING_TO_BE_SET,
            "data_published": published}
    footer = _footer_on(date(2030, 1, 1), meta, monkeypatch)
    day = date.fromisoformat(published)
    assert f"data published by {day.day} {day:%B %Y}" in footer and "2030" not in footer

