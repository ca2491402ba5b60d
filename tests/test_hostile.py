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
    "unknown_column.csv": "unknown columns 'notes', 'x'",
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
        lines = str(exc).splitlines()  # one line, or a count then one line per problem, each naming the file
        assert len(lines) == 1 or (lines[0].startswith("random.csv: ") and all("random.csv" in x for x in lines))
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
        assert all("table.csv" in line for line in str(exc).splitlines())
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
