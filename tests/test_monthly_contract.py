"""The monthly extract contract: each problem gets one clear line; good files load."""

import pytest

from cscbook.monthly import MIN_MONTHS, MonthlyDataError, read_extract


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
    ("duplicate", lambda r: mutate(r, 3, r[2]), "already appears on line 3"),
    ("gap", lambda r: r[:5] + r[6:], "is missing"),
    ("negative", lambda r: mutate(r, 4, r[4].split(",")[0] + ",-3,90"), "-3 is negative"),
    ("fraction", lambda r: mutate(r, 4, r[4].split(",")[0] + ",12.5,90"), "12.5 is not a whole number"),
    ("text", lambda r: mutate(r, 4, r[4].split(",")[0] + ",lots,90"), "'lots' is not a number"),
    ("formula", lambda r: mutate(r, 4, r[4].split(",")[0] + ",=HYPERLINK(\"x\"),90"), "is a formula"),
    ("short", lambda r: r[:13], "too short a history"),
    ("ragged", lambda r: mutate(r, 2, r[2] + ",9"), "line 3 has 4 fields"),
]


@pytest.mark.parametrize("label, change, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_files_fail_with_one_clear_line(tmp_path, label, change, expected):
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
