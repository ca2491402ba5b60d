"""Each rule that affects the monthly series, with a failing example beside a passing one (SYNTHETIC dates)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cscbook.data import cinrules as R

CTX = R.ReturnContext(2024, date(2024, 3, 31))


def d(tag, text, line=1):
    return R.Date(tag, R.parse_day(text), line, text)


def episode(*dates, groups=()):
    return R.Episode(10, list(dates), list(groups))


def reasons(hits):
    return [(h.reason, h.code, h.element) for h in hits]


def test_missing_or_unparseable_dates_8600():
    assert R.missing_or_unparseable_dates(episode(d("CINreferralDate", "2023-05-01")), CTX) == []
    assert reasons(R.missing_or_unparseable_dates(episode(), CTX)) == [("date_missing", "8600", "CINreferralDate")]
    bad = R.missing_or_unparseable_dates(episode(d("CINreferralDate", "2023-02-30"), d("CPPstartDate", "soon")), CTX)
    assert reasons(bad) == [("date_missing", "8600", "CINreferralDate"), ("date_missing", None, "CPPstartDate")]
    assert all("2023-02-30" not in h.message for h in bad) and bad[0].raw == "2023-02-30"


def test_dates_after_the_reference_date():
    ok = episode(d("CINreferralDate", "2024-03-31"), d("CPPstartDate", "2024-03-31"))
    assert R.dates_after_reference(ok, CTX) == []
    late = episode(d("CINreferralDate", "2024-04-01"), d("CINclosureDate", "2024-05-01"), d("CPPstartDate", "2024-04-02"))
    assert reasons(R.dates_after_reference(late, CTX)) == [
        ("after_reference", "8600", "CINreferralDate"), ("after_reference", "8620", "CINclosureDate"),
        ("after_reference", "8720", "CPPstartDate")]
    in_year = R.ReturnContext(2024, date(2023, 7, 21))  # an in-year extract: its own reference date is the limit
    assert reasons(R.dates_after_reference(episode(d("CINreferralDate", "2023-07-22")), in_year)) == [
        ("after_reference", "8600", "CINreferralDate")]


def test_a_closure_before_the_collection_year_8620():
    assert R.closure_before_year(episode(d("CINclosureDate", "2023-04-01")), CTX) == []
    assert reasons(R.closure_before_year(episode(d("CINclosureDate", "2023-03-31")), CTX)) == [
        ("closure_before_year", "8620", "CINclosureDate")]


def test_date_order():
    good = episode(d("CINreferralDate", "2023-05-01"), d("AssessmentActualStartDate", "2023-05-01"),
                   d("CINclosureDate", "2023-09-01"))
    assert R.date_order(good, CTX) == []
    before_referral = episode(d("CINreferralDate", "2023-05-10"), d("AssessmentActualStartDate", "2023-05-01"),
                              d("S47ActualStartDate", "2023-05-02"), d("DateOfInitialCPC", "2023-05-03"),
                              d("CPPstartDate", "2023-05-03"), d("CINclosureDate", "2023-05-09"))
    assert sorted(h.code for h in R.date_order(before_referral, CTX)) == ["1103", "1104", "1105", "2889", "8630"]
    start, end = d("AssessmentActualStartDate", "2023-06-10", 5), d("AssessmentAuthorisationDate", "2023-06-01", 6)
    group = episode(d("CINreferralDate", "2023-05-01"), start, end,
                    groups=[("Assessments", 4, {start.tag: start, end.tag: end})])
    assert reasons(R.date_order(group, CTX)) == [("date_order", "8608", "AssessmentAuthorisationDate")]
    after_closure = episode(d("CINreferralDate", "2023-05-01"), d("CINclosureDate", "2023-06-01"),
                            d("AssessmentActualStartDate", "2023-06-02"))
    assert reasons(R.date_order(after_closure, CTX)) == [("date_order", "8565", "AssessmentActualStartDate")]


def test_check_episode_applies_every_rule_and_first_reason_counts_once():
    ep = episode(d("CINreferralDate", "2024-04-02"), d("CINclosureDate", "2023-01-01"))
    hits = R.check_episode(ep, CTX)
    assert {h.reason for h in hits} == {"after_reference", "closure_before_year", "date_order"}
    assert R.first_reason(h.reason for h in hits) == "after_reference"


def test_scrub_is_not_defeated_by_an_apostrophe_in_a_value():
    """Issue 31 item 4: a quote inside a value used to pair with the message's own quotes."""
    for value in ("20'11-11-28", "2011-11-28'", "'2011-11-28", "A82'5000000017", "x' is ok 'y"):
        msg = f"Element 'PersonBirthDate': '{value}' is not a valid value of the atomic type 'xs:date'."
        out = R.scrub(msg)
        assert out.startswith("Element 'PersonBirthDate': ") and out.endswith("of the atomic type xs:date")
        for part in ("11-11-28", "2011", "5000000017", "is ok"):
            assert part not in out, (value, out)


def test_withhold_is_a_literal_match():
    assert R.withhold("a 'b'c' d", ["b'c"]) == "a '[withheld]' d"


TAGS = sorted(R.CHECKED_DATES)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(TAGS), st.one_of(st.none(), st.integers(-400, 400))), max_size=8),
       st.lists(st.tuples(st.sampled_from([g for g, *_ in R.GROUP_ORDER]), st.integers(-400, 400),
                          st.integers(-400, 400)), max_size=3))
def test_property_the_quick_test_never_passes_an_episode_a_rule_fails(dates, groups):
    base = date(2023, 6, 1).toordinal()
    made = [R.Date(tag, None if day is None else base + day, i, "") for i, (tag, day) in enumerate(dates)]
    grouped = []
    for g, a, b in groups:
        _, early, late, _ = next(x for x in R.GROUP_ORDER if x[0] == g)
        x, y = R.Date(early, base + a, 90, ""), R.Date(late, base + b, 91, "")
        made += [x, y]
        grouped.append((g, 89, {early: x, late: y}))
    ep = R.Episode(1, made, grouped)
    full = [h for rule in R.EPISODE_RULES for h in rule(ep, CTX)]
    assert not R.clearly_fine(ep, CTX) or full == []
    assert R.check_episode(ep, CTX) == full
