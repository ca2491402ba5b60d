"""CIN census returns into monthly demand: exact recovery of SYNTHETIC known counts, de-duplication,
re-referrals, reconciliation with DfE C1, and every hostile return failing with one clear line."""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthetic_cin as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscbook.core.errors import CSCBookError
from cscbook.data import cincensus as C
from cscbook.data import cinextract, cinheader, cinmonthly, reconciliation
from cscbook.data.monthly import read_extract

HOSTILE = Path(__file__).parent / "hostile_cin"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """SYNTHETIC returns for Buckinghamshire (825), 2024 and 2025, totals equal to DfE's published C1."""
    s = S.generate(tmp_path_factory.mktemp("cin825"), la="825", years=(2024, 2025), disagree=5)
    return s, C.read_returns(s.files, "825")


@pytest.fixture(scope="module")
def off(tmp_path_factory):
    """The same council with every year's referrals about 15% below DfE's published figure."""
    s = S.generate(tmp_path_factory.mktemp("cin825off"), la="825", years=(2024, 2025), scale=0.85, seed=11)
    return s, C.read_returns(s.files, "825")


def assert_recovers(result, expected):
    got = result.monthly
    assert list(got.columns) == list(cinmonthly.COLUMNS)
    assert got.index.name == "month" and isinstance(got.index, pd.PeriodIndex)
    pd.testing.assert_index_equal(got.index, expected.index)
    for col in cinmonthly.COLUMNS:
        if col.startswith("share_"):
            np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), rtol=0, atol=1e-12, err_msg=col)
        else:
            np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy(), err_msg=col)


def test_exact_recovery_of_known_monthly_counts(real):
    s, result = real
    assert_recovers(result, s.expected)
    assert result.monthly["referrals"].sum() > 10_000 and result.monthly["open_cin"].min() > 0


def test_yearly_referrals_equal_published_c1_and_reconcile(real):
    s, result = real
    published = S.published_totals("825")
    rec = reconciliation.reconcile(result.monthly, "825")
    assert list(rec["year"]) == [2024, 2025]
    assert list(rec["published"]) == [published[2024], published[2025]]
    assert list(rec["derived"]) == list(rec["published"]) and list(rec["flag"]) == ["ok", "ok"]


def test_variant_fifteen_percent_off_is_a_warning(off):
    s, result = off
    assert_recovers(result, s.expected)
    rec = reconciliation.reconcile(result.monthly, "825")
    assert list(rec["flag"]) == ["warning", "warning"]
    assert rec["percent"].between(-15.1, -14.9).all()
    text = cinextract.summary(result, rec)
    assert text.count("WARNING: more than 10% from DfE") == 2


def test_a_small_gap_is_flagged_for_checking(real):
    s, result = real
    monthly = result.monthly.copy()
    monthly.loc[pd.Period("2024-10", freq="M"), "referrals"] += round(0.05 * S.published_totals("825")[2025])
    rec = reconciliation.reconcile(monthly, "825").set_index("year")
    assert rec.loc[2024, "flag"] == "ok" and rec.loc[2025, "flag"] == "check"
    assert 4.9 < rec.loc[2025, "percent"] < 5.1


def test_incomplete_years_are_not_reconciled(real):
    s, result = real
    rec = reconciliation.reconcile(result.monthly.iloc[3:], "825")
    assert list(rec["year"]) == [2025]


def test_deduplication_and_disagreements(real):
    s, result = real
    rep = result.report
    assert s.spanning > 1000
    assert rep["duplicates_removed"] == s.spanning
    assert rep["episodes"] == sum(f["episodes"] for f in rep["files"]) - s.spanning
    assert rep["disagreements"] == s.disagreements == 5
    assert rep["missing_from_next_return"] == 0 and all(f["duplicates_within_return"] == 0 for f in rep["files"])


def test_an_episode_given_twice_in_one_return_counts_once(tmp_path):
    text = (HOSTILE / "good_minimal.xml").read_text()
    start = text.index("<CINdetails>")
    end = text.index("</CINdetails>") + len("</CINdetails>\n")
    path = tmp_path / "twice.xml"
    path.write_text(text[:end] + text[start:end] + text[end:])
    result = C.read_returns([path], "825")
    assert result.report["files"][0]["duplicates_within_return"] == 1 and result.report["episodes"] == 2


def test_an_open_episode_missing_from_the_next_return_is_reported(tmp_path):
    s = S.generate(tmp_path, years=(2023, 2024), totals={2023: 40, 2024: 40}, seed=4)
    text = s.files[1].read_text()
    first = text.index("<Child>")
    end = text.index("</Child>", first) + len("</Child>\n")
    s.files[1].write_text(text[:first] + text[end:])  # the first child held over from 2023 is dropped
    result = C.read_returns(s.files, "825")
    assert result.report["missing_from_next_return"] >= 1
    assert "missing from the next year's return" in cinextract.summary(result)


def test_rereferrals_within_and_beyond_twelve_months(real):
    s, result = real
    assert s.repeat_within_12 > 100 and s.repeat_beyond_12 > 10
    rr = result.monthly["rereferrals"]
    assert rr.iloc[:12].isna().all() and rr.iloc[12:].notna().all()
    assert rr.iloc[12:].sum() == s.expected["rereferrals"].iloc[12:].sum() > 0
    assert result.report["rereferrals_from"] == "2024-04"


def test_newer_year_checked_against_newest_schema_and_said(real):
    s, result = real
    files = {f["collection_year"]: f for f in result.report["files"]}
    assert files[2024]["schema_year"] == 2024 and not files[2024]["newer_than_known"]
    assert files[2025]["schema_year"] == 2024 and files[2025]["newer_than_known"]
    assert "year 2025 is newer than the newest known schema, checked against 2024" in cinextract.summary(result)


def test_school_share_shows_term_time_seasonality(real):
    s, result = real
    share = result.monthly["share_school"]
    august = share[share.index.month == 8].mean()
    autumn = share[share.index.month.isin([9, 10, 11])].mean()
    assert august < 0.1 < 0.2 < autumn


def test_extract_command_writes_contract_csv_and_nothing_child_level(real, tmp_path):
    s, result = real
    out = tmp_path / "monthly.csv"
    text = cinextract.extract_command([str(f) for f in s.files], "Buckinghamshire", str(out))
    frame = read_extract(out, min_months=24)
    assert frame["referrals"].tolist() == result.monthly["referrals"].tolist()
    assert np.allclose(frame["share_school"], result.monthly["share_school"], atol=5e-5)
    assert "written 24 months to monthly.csv" in text and "2025: derived" in text
    blob = out.read_text() + text + repr(result.report) + result.monthly.to_csv()
    for secret in s.child_ids[:300] + s.birth_dates[:300] + s.child_ids[-50:]:
        assert secret not in blob
    assert "SYN" not in blob.replace("SYNTHETIC", "")


def test_nothing_is_written_when_a_return_fails(tmp_path):
    out = tmp_path / "monthly.csv"
    with pytest.raises(cinheader.CensusError):
        cinextract.extract_command([str(HOSTILE / "good_minimal.xml"), str(HOSTILE / "truncated.xml")], "825", str(out))
    assert list(tmp_path.iterdir()) == []


EXPECTED = {
    "good_minimal.xml": None,
    "malformed.xml": "line 26: malformed XML (Opening and ending tag mismatch",
    "truncated.xml": "malformed XML",
    "not_cin_root.xml": "not a CIN census return (its root element is Report",
    "other_collection.xml": "element Collection: not a CIN census return",
    "other_council.xml": "from council 938 (Header/Source/LEA), not --la 825",
    "date_after_census.xml": "line 66, element AssessmentActualStartDate: a date after the reference date 31 March 2024",
    "closure_before_year.xml": "element CINclosureDate: a closure before the collection year 2024",
    # the ReferenceDate governs (collection year 2023), so its closure in September 2023 is after it
    "reference_date_wrong.xml": "Year 2024 and ReferenceDate 2023-03-31 disagree: the ReferenceDate governs",
    "schema_invalid.xml": "line 33, element CINdetails: does not match DfE's CIN census schema 2024: Missing child",
    "bad_date_value.xml": "line 61, element CINreferralDate: not a date (value withheld) [DfE 8600]",
    "no_header.xml": "no Header before Children",
    "unexpected_element.xml": "line 20, element Note: unexpected element in Children",
    "deeply_nested.xml": "nested too deeply",
    "deeply_nested_header.xml": "nested too deeply",
    "entity_expansion.xml": "declares a DOCTYPE or entities",
    "xlsx_renamed.xml": "zip archive (an Excel .xlsx workbook is one), not XML",
    "xls_renamed.xml": "Excel 97-2003 workbook, not XML",
    "empty.xml": "the file is empty",
    "binary.xml": "binary data, not XML",
}


def test_hostile_corpus_is_complete():
    assert {p.name for p in HOSTILE.glob("*.xml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_returns_fail_with_one_clear_line(name):
    path = HOSTILE / name
    if EXPECTED[name] is None:
        assert C.read_returns([path], "825").report["episodes"] == 2
        return
    with pytest.raises(CSCBookError) as err:
        C.read_returns([path], "825")
    msg = str(err.value)
    # every problem on a line of its own, each naming the file (a return refused for its episodes lists them)
    assert all(line.startswith(name) for line in msg.splitlines())
    assert EXPECTED[name] in msg
    for secret in ("SYN000000", "2008-12-04", "2022-13-20", str(HOSTILE)):
        assert secret not in msg


def test_same_year_twice(tmp_path):
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    shutil.copy(HOSTILE / "good_minimal.xml", a)
    shutil.copy(HOSTILE / "good_minimal.xml", b)
    with pytest.raises(cinheader.CensusError, match=r"^b\.xml: collection year 2024 is also given by a\.xml"):
        C.read_returns([a, b], "825")


def test_a_missing_year_between_returns(tmp_path):
    s = S.generate(tmp_path, years=(2022, 2023, 2024), totals={2022: 5, 2023: 5, 2024: 5})
    with pytest.raises(cinheader.CensusError, match="no return for collection year 2023 between 2022 and 2024"):
        C.read_returns([s.files[0], s.files[2]], "825")


def test_returns_from_two_councils_without_la(tmp_path):
    with pytest.raises(cinheader.CensusError, match=r"other_council\.xml: the return is from council 938.*not good_minimal"):
        C.read_returns([HOSTILE / "good_minimal.xml", HOSTILE / "other_council.xml"], None)


def test_a_file_too_large(monkeypatch):
    monkeypatch.setattr(cinheader, "MAX_BYTES", 1000)
    with pytest.raises(cinheader.CensusError, match=r"good_minimal\.xml: \d+ bytes is larger than any CIN census return"):
        C.read_returns([HOSTILE / "good_minimal.xml"], "825")


def test_missing_file(tmp_path):
    with pytest.raises(cinheader.CensusError, match="nope.xml: file not found"):
        C.read_returns([tmp_path / "nope.xml"], "825")


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(totals=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=3),
       seed=st.integers(min_value=0, max_value=10_000))
def test_property_any_synthetic_set_is_recovered_exactly(totals, seed):
    years = tuple(range(2019, 2019 + len(totals)))
    with tempfile.TemporaryDirectory() as tmp:
        s = S.generate(Path(tmp), years=years, totals=dict(zip(years, totals)), seed=seed, disagree=1)
        result = C.read_returns(s.files, "825")
        assert_recovers(result, s.expected)
        assert result.report["duplicates_removed"] == s.spanning
        assert result.report["disagreements"] == s.disagreements


@settings(max_examples=25, deadline=None, derandomize=True)
@given(cut=st.integers(min_value=0, max_value=2274), byte=st.integers(min_value=0, max_value=255))
def test_property_damaged_returns_fail_cleanly_or_load(cut, byte):
    good = (HOSTILE / "good_minimal.xml").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        for i, data in enumerate((good[:cut], good[:cut] + bytes([byte]) + good[cut + 1:])):
            path = Path(tmp) / f"damaged{i}.xml"
            path.write_bytes(data)
            try:
                C.read_returns([path], "825")
            except CSCBookError as err:
                msg = str(err)
                assert msg.startswith(path.name) and "\n" not in msg and "SYN0000" not in msg


def test_digest_follows_contents_not_paths_or_order(tmp_path):
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    shutil.copy(HOSTILE / "good_minimal.xml", a)
    shutil.copy(HOSTILE / "other_council.xml", b)
    first = cinextract.digest([a, b])
    assert first == cinextract.digest([b, a]) and len(first) == 64
    moved = tmp_path / "elsewhere.xml"
    a.rename(moved)
    assert cinextract.digest([moved, b]) == first
    moved.write_bytes(moved.read_bytes().replace(b"RC7", b"RC6"))
    assert cinextract.digest([moved, b]) != first
