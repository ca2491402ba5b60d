"""Hostile and broken inputs: each fails with one clear message or loads correctly; none crashes."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cscbook.disclosure import SUPPRESSED, suppress, suppress_series
from cscbook.markers import parse_cell
from cscbook.monthly import MonthlyDataError, read_extract

HOSTILE = Path(__file__).parent / "hostile"
EXPECTED = {
    "good_with_bom.csv": None,
    "good_crlf.csv": None,
    "wrong_delimiter.csv": "separated by ';'",
    "tab_delimited.csv": "separated by tab",
    "excel_dates.csv": "reformatted by a spreadsheet",
    "excel_month_names.csv": "reformatted by a spreadsheet",
    "duplicated_month.csv": "already appears on line",
    "missing_month.csv": "is missing",
    "negative_count.csv": "is negative",
    "fractional_count.csv": "is not a whole number",
    "text_in_numbers.csv": "'about 500' is not a number",
    "empty.csv": "the file is empty",
    "header_only.csv": "no data rows",
    "very_long_line.csv": "characters long",
    "formula_injection.csv": "is a formula",
    "latin1_encoding.csv": "is not UTF-8",
    "unknown_column.csv": "unknown column 'notes'",
    "binary_spreadsheet.csv": "binary data",
    "too_short.csv": "too short a history",
}


def test_corpus_is_complete():
    assert {p.name for p in HOSTILE.glob("*.csv")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file(name):
    expected = EXPECTED[name]
    if expected is None:
        frame = read_extract(HOSTILE / name)
        assert len(frame) == 40 and frame["referrals"].iloc[0] == 500
        return
    with pytest.raises(MonthlyDataError) as err:
        read_extract(HOSTILE / name)
    msg = str(err.value)
    assert expected in msg and name in msg and "\n" not in msg


@pytest.mark.parametrize("name", ["formula_injection.csv", "latin1_encoding.csv", "very_long_line.csv"])
def test_cli_has_no_traceback_and_writes_nothing(name, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cscbook", "build", "--la", "825", "--monthly", str(HOSTILE / name),
                           "--output", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "editions").exists()


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600))
def test_random_bytes_never_crash_the_loader(tmp_path, data):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    try:
        frame = read_extract(path, min_months=1)
    except MonthlyDataError as exc:
        assert "\n" not in str(exc)
        return
    assert (frame["referrals"] >= 0).all() and frame.index.is_monotonic_increasing


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(2000, 2030), st.integers(1, 12),
                          st.one_of(st.integers(-5, 10_000), st.floats(allow_nan=True), st.text(max_size=6))),
                min_size=1, max_size=30))
def test_random_tables_load_or_fail_cleanly(tmp_path, rows):
    lines = ["month,referrals"] + [f"{y}-{m:02d},{v}" for y, m, v in rows]
    path = tmp_path / "table.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        frame = read_extract(path, min_months=1)
    except MonthlyDataError as exc:
        assert "\n" not in str(exc) and "table.csv" in str(exc)
        return
    assert (frame["referrals"] >= 0).all()
    assert (frame["referrals"] == frame["referrals"].round()).all()
    assert len(frame) == len({(y, m) for y, m, _ in rows})


@given(st.text(max_size=10))
def test_publisher_cells_parse_or_raise_value_error(text):
    try:
        value, status = parse_cell(text)
    except ValueError:
        return
    assert isinstance(status, str)


def test_disclosure_policy():
    frame = pd.DataFrame({"area": ["a", "b", "c"], "count": [3, 40, 0], "rate": [0.3, 4.0, 0.0],
                          "part1": [2, 10, 20], "part2": [30, 12, 25], "part3": [40, 14, 5], "total": [72, 36, 50]})
    safe = suppress(frame, ["count", "part1", "part2", "part3"], derived={"rate": "count"},
                    parts=["part1", "part2", "part3"], total="total")
    assert safe.at[0, "count"] == SUPPRESSED and safe.at[0, "rate"] == SUPPRESSED
    assert safe.at[2, "count"] == 0 and safe.at[1, "count"] == 40
    # row 0: part1 = 2 suppressed, so the next smallest part (part2 = 30) goes too
    assert safe.at[0, "part1"] == SUPPRESSED and safe.at[0, "part2"] == SUPPRESSED and safe.at[0, "part3"] == 40
    # row 2: part3 = 5 suppressed; part1 = 20 suppressed secondarily
    assert safe.at[2, "part3"] == SUPPRESSED and safe.at[2, "part1"] == SUPPRESSED
    assert suppress_series(pd.Series([0, 1, 5, 6])).tolist() == [0, SUPPRESSED, SUPPRESSED, 6]


# ------------------------------------------------------------------------------------------------------------------
# Round 2 (issue 31): every entry point, one case per class; each ends in one clear line (or a clean result) and
# leaks or destroys nothing. Cases call the package or the CLI in-process: no book is built.

import release_fixture as rf  # noqa: E402

from cscbook import datastore  # noqa: E402
from cscbook.errors import CSCBookError  # noqa: E402


def _official_snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / "data" / "official").iterdir()}


def _release_variant(root: Path, change) -> Path:
    """The SYNTHETIC 2026 referrals release with one change (tests/release_fixture.py)."""
    frame = change(rf.synthetic_frame(root, revise=False))
    folder = root / "downloads"
    folder.mkdir(exist_ok=True)
    return rf.write_csv(frame, folder / "c1_2013_to_2026.csv")


def _set_2026(code: str, value: str):
    def change(frame):
        row = (frame["time_period"] == "2026") & (frame["old_la_code"] == code)
        frame.loc[row, "referral_count"] = value
        return frame
    return change


def _unknown_council(frame):
    extra = frame[(frame["time_period"] == "2026") & (frame["old_la_code"] == "825")].copy()
    extra["old_la_code"], extra["la_name"] = "999", "<script>alert(1)</script>"
    return pd.concat([frame, extra], ignore_index=True)


RELEASES = {
    "negative count": (_set_2026("825", "-7"), r"825 'Buckinghamshire' 2026 referral_count: -7 is negative"),
    "infinite count": (_set_2026("825", "1e309"), r"825 'Buckinghamshire' 2026 referral_count: inf is not a finite"),
    "unknown council": (_unknown_council, r"council code '999' \(named '<script>alert\(1\)</script>'\) is not in "
                                          r"the register"),
    "implausible move": (_set_2026("825", "90000"), r"'825' referral_count moves from 5,518 in 2025 to 90,000 in "
                                                    r"2026, beyond 4 times either way.*--accept-revision"),
}


@pytest.mark.parametrize("case", sorted(RELEASES))
def test_data_add_checks_official_releases_like_user_input(fake_root, case):
    change, pattern = RELEASES[case]
    path = _release_variant(fake_root, change)
    before = _official_snapshot(fake_root)
    with pytest.raises(CSCBookError, match=pattern) as err:
        datastore.add_release(path, "referrals", rf.PUBLISHED, fake_root, today=rf.ADDED)
    assert len(str(err.value).splitlines()) == 1
    assert _official_snapshot(fake_root) == before


def test_data_add_accepts_a_checked_revision(fake_root):
    path = _release_variant(fake_root, _set_2026("825", "90000"))
    report = datastore.add_release(path, "referrals", rf.PUBLISHED, fake_root, today=rf.ADDED, accept_revision=True)
    assert report.new_years == [2026]


def test_data_add_lists_every_problem_one_line_each(fake_root):
    def several(frame):
        return _set_2026("938", "-1")(_set_2026("825", "-7")(frame))
    path = _release_variant(fake_root, several)
    with pytest.raises(CSCBookError) as err:
        datastore.add_release(path, "referrals", rf.PUBLISHED, fake_root, today=rf.ADDED)
    lines = str(err.value).splitlines()
    assert len(lines) == 2 and all("is negative" in ln for ln in lines)
