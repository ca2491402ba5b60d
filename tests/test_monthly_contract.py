"""The monthly extract contract: each problem gets one clear line; good files load."""

import pytest

from cscbook.data.monthly import MIN_MONTHS, MonthlyDataError, read_extract


def months(n, start=2019):
    out = []
    y, m = start, 4
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def good_rows(n=MIN_MONTHS):
    return ["month,referrals,social_workers_fte"] + [f"{m},{500 + i},{90.5}" for i, m in enumerate(months(n))]


def write(tmp_path, lines, name="extract.csv", encoding="utf-8", raw=None):
    p = tmp_path / name
    if raw is not None:
        p.write_bytes(raw)
    else:
        p.write_text("\n".join(lines) + "\n", encoding=encoding)
    return p


def test_good_file_loads(tmp_path):
    f = read_extract(write(tmp_path, good_rows()))
    assert len(f) == MIN_MONTHS and f["referrals"].iloc[0] == 500 and str(f.index[0]) == "2019-04"


def test_bom_is_fine(tmp_path):
    f = read_extract(write(tmp_path, good_rows(), encoding="utf-8-sig"))
    assert len(f) == MIN_MONTHS


def mutate(rows, i, text):
    rows = list(rows)
    rows[i] = text
    return rows


CASES = [
    ("blank", lambda r: [], "the file has no rows"),
    ("semicolon", lambda r: [x.replace(",", ";") for x in r], "separated by ';', not commas"),
    ("unknown column", lambda r: ["month,referrals,colour"] + [x + ",red" for x in r[1:]], "unknown column 'colour'"),
    ("missing referrals", lambda r: ["month,contacts"] + r[1:], "required column 'referrals' is missing"),
    ("excel date", lambda r: mutate(r, 3, "01/06/2019,510,90"), "reformatted by a spreadsheet"),
    ("excel month", lambda r: mutate(r, 3, "Jun-19,510,90"), "line 4, column 'month'"),
    ("duplicate", lambda r: r[:4] + [r[3]] + r[4:], "already appears on line 4"),
    ("gap", lambda r: r[:5] + r[6:], "is missing"),
    ("negative", lambda r: mutate(r, 4, r[4].split(",")[0] + ",-3,90"), "-3 is negative"),
    ("fraction", lambda r: mutate(r, 4, r[4].split(",")[0] + ",12.5,90"), "12.5 is not a whole number"),
    ("text", lambda r: mutate(r, 4, r[4].split(",")[0] + ",lots,90"), "'lots' is not a number"),
    ("formula", lambda r: mutate(r, 4, r[4].split(",")[0] + ",=HYPERLINK(\"x\"),90"), "is a formula"),
    ("short", lambda r: r[:12], "too short a history"),
    ("ragged", lambda r: mutate(r, 2, r[2] + ",9"), "line 3 has 4 fields"),
]


@pytest.mark.parametrize("label, change, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_files_fail_with_one_clear_line(tmp_path, label, change, expected):
    """A file with one problem gets one line (not also, say, a 'missing month' for the row it spoilt)."""
    path = write(tmp_path, change(good_rows()))
    with pytest.raises(MonthlyDataError) as err:
        read_extract(path)
    msg = str(err.value)
    assert expected in msg
    assert "\n" not in msg and "extract.csv" in msg


def test_wrong_encoding(tmp_path):
    raw = ("\n".join(good_rows()) + "\n").encode("utf-8").replace(b"month,", "m\u00f6nth,".encode("latin-1"), 1)
    with pytest.raises(MonthlyDataError, match="line 1 is not UTF-8"):
        read_extract(write(tmp_path, None, raw=raw))


def test_very_long_line(tmp_path):
    rows = good_rows()
    rows[2] = rows[2] + "9" * 20000
    with pytest.raises(MonthlyDataError, match="line 3 is 2\\d{4} characters long"):
        read_extract(write(tmp_path, rows))


def test_missing_file(tmp_path):
    with pytest.raises(MonthlyDataError, match="file not found"):
        read_extract(tmp_path / "nope.csv")


def test_zero_byte_file(tmp_path):
    with pytest.raises(MonthlyDataError, match="the file is empty"):
        read_extract(write(tmp_path, None, raw=b""))


def test_census_columns_load_and_round_trip(tmp_path):
    from cscbook.data.monthly import COLUMNS, write_csv

    header = ",".join(COLUMNS)
    rows = [header] + [f"{m},{500 + i},{40 + i % 7},{90},{1900},{430},{120},{60},{45},{1490},{1500},{96.5},"
                       f"{0.25},{0.3},{0.125}" for i, m in enumerate(months(MIN_MONTHS))]
    rows[5] = rows[5].rsplit(",", 3)[0] + ",,,"  # shares may be empty (a month without referrals)
    frame = read_extract(write(tmp_path, rows))
    assert list(frame.columns) == list(COLUMNS[1:])
    assert frame["share_health"].iloc[0] == 0.125 and frame["rereferrals"].iloc[6] == 46
    assert frame["share_school"].isna().sum() == 1
    out = write_csv(frame, tmp_path / "again.csv")
    assert read_extract(out).equals(frame)
    assert not list(tmp_path.glob(".monthly-*"))  # no temporary file left behind


@pytest.mark.parametrize("value, expected", [("25", "above 1"), ("-0.1", "is negative"), ("x", "is not a number")])
def test_share_outside_zero_to_one_fails(tmp_path, value, expected):
    rows = ["month,referrals,share_school"] + [f"{m},500,0.2" for m in months(MIN_MONTHS)]
    rows[3] = rows[3].rsplit(",", 1)[0] + "," + value
    with pytest.raises(MonthlyDataError, match=f"line 4, column 'share_school'.*{expected}"):
        read_extract(write(tmp_path, rows))


def test_fractional_census_count_fails(tmp_path):
    rows = ["month,referrals,open_cin"] + [f"{m},500,1490" for m in months(MIN_MONTHS)]
    rows[2] = rows[2].rsplit(",", 1)[0] + ",1490.5"
    with pytest.raises(MonthlyDataError, match="column 'open_cin': 1490.5 is not a whole number"):
        read_extract(write(tmp_path, rows))


def test_writer_refuses_columns_outside_the_contract(tmp_path):
    import pandas as pd

    from cscbook.data.monthly import write_csv

    frame = pd.DataFrame({"referrals": [1.0], "child_id": ["X"]}, index=pd.PeriodIndex(["2020-04"], freq="M"))
    with pytest.raises(MonthlyDataError, match="'child_id' is not in the monthly extract contract"):
        write_csv(frame, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_shipped_example_is_reproduced_byte_for_byte(tmp_path):
    from cscbook.data.illustrative import example_path, write_example

    again = write_example(tmp_path / "example.csv")
    assert again.read_bytes() == example_path().read_bytes()
    assert read_extract(example_path())["referrals"].sum() > 0


def test_every_problem_is_reported_in_one_run(tmp_path):
    """A month written 2021-8, a missing month, a bad count and a duplicate: all four in one message, each
    with its file, line, column and value and how to fix it, so one run finds them all (synthetic rows)."""
    rows = good_rows(40)
    rows[5] = "2019-8," + rows[5].split(",", 1)[1]            # line 6: 2019-08 written without its zero
    del rows[10]                                              # 2020-01 missing (was line 11)
    rows[15] = rows[15].split(",")[0] + ",many,90.5"          # line 16: not a number
    rows.insert(20, rows[19])                                 # line 21: repeats line 20's month
    with pytest.raises(MonthlyDataError) as err:
        read_extract(write(tmp_path, rows))
    lines = str(err.value).splitlines()
    assert lines[0] == "extract.csv: 4 problems; fix each and run again:"
    assert lines[1] == ("  extract.csv: line 6, column 'month': '2019-8' is not a month in the form YYYY-MM "
                        "(write 2019-08)")
    assert lines[2] == "  extract.csv: line 16, column 'referrals': 'many' is not a number"
    assert lines[3].startswith(f"  extract.csv: line 21, column 'month': {rows[19].split(',')[0]} already appears "
                               "on line 20")
    assert lines[4].startswith("  extract.csv: month 2020-01 is missing (1 missing in all)")
    assert len(lines) == 5  # 2019-08 is not also called missing


def test_a_reformatted_month_is_read_as_the_month_it_stands_for(tmp_path):
    rows = mutate(good_rows(), 3, "01/06/2019,510,90")  # 1 June 2019 in the UK order: line 4 is 2019-06
    with pytest.raises(MonthlyDataError) as err:
        read_extract(write(tmp_path, rows))
    msg = str(err.value)
    assert "'01/06/2019'" in msg and "here 2019-06" in msg and "missing" not in msg


@pytest.mark.parametrize("n", [12, 24, 36, 45])
def test_histories_from_twelve_months_load(tmp_path, n):
    frame = read_extract(write(tmp_path, good_rows(n)))
    assert len(frame) == n and MIN_MONTHS == 12


def test_the_command_line_lists_every_problem_and_builds_nothing(tmp_path, capsys):
    """The issue's file: a month written 2021-8 and a missing month (and a bad count), all in one run, exit 2."""
    from cscbook.cli import main

    path = write(tmp_path, ["month,referrals", "2021-8,500", "2021-10,x", "2021-11,510"])
    assert main(["build", "--la", "919", "--monthly", str(path), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "3 problems" in err and "'2021-8' is not a month in the form YYYY-MM (write 2021-08)" in err
    assert "month 2021-09 is missing" in err and "'x' is not a number" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "editions").exists()
