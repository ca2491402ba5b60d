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


# ---------------------------------------------------------------------------------------------- safe text (10, 13)

def test_csv_download_neutralises_formulas_but_not_negative_numbers():
    import base64
    import io
    import re

    from cscbook.notebook import table_html

    frame = pd.DataFrame({"scenario": ['=HYPERLINK("http://x.example","click")', "+1", "@SUM(A1)", "plain"],
                          "change": [-3.5, 2.0, -1.0, 0.0]})
    page = table_html(frame, caption="plans")
    encoded = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page).group(1)
    csv = pd.read_csv(io.StringIO(base64.b64decode(encoded).decode()), dtype=str)
    assert csv["scenario"].tolist() == ['\'=HYPERLINK("http://x.example","click")', "'+1", "'@SUM(A1)", "plain"]
    assert csv["change"].tolist() == ["-3.5", "2.0", "-1.0", "0.0"]  # numbers are not text: left as they are
    assert "=HYPERLINK" in page  # the page itself shows the name as written (HTML-escaped)


def test_xlsx_cells_are_values_not_formulas():
    import openpyxl

    from cscbook.inputs import safe_cells

    frame = pd.DataFrame({"name": ["=1+1", "-2", "ok"], "value": [-2, 3, 4]})
    buf = __import__("io").BytesIO()
    safe_cells(frame).to_excel(buf, index=False)
    ws = openpyxl.load_workbook(buf).active
    assert [c.value for c in ws["A"]][1:] == ["'=1+1", "'-2", "ok"]
    assert [c.data_type for c in ws["A"]][1:] == ["s", "s", "s"]
    assert [c.value for c in ws["B"]][1:] == [-2, 3, 4]


def test_markdown_in_user_text_is_escaped():
    from cscbook.inputs import escape_markdown

    text = "Dept | for $\\frac{$ [x](javascript:1)"
    row = "| `x.csv` | " + escape_markdown(text) + " |"
    assert row.count("|") - row.count("\\|") == 3  # the cell's own bar does not split the table
    assert "\\$" in row and "\\[" in row


def test_publisher_with_a_bar_keeps_the_data_sources_table_whole(fake_root):
    import shutil

    (fake_root / "book").mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "book" / "data_sources.md", fake_root / "book")
    path = rf.make_synthetic_release(fake_root)
    report = datastore.add_release(path, "referrals", rf.PUBLISHED, fake_root, today=rf.ADDED,
                                   publisher="SYNTHETIC | injected | cells")
    row = next(ln for ln in (fake_root / "book" / "data_sources.md").read_text().splitlines()
               if f"`{report.file}`" in ln)
    assert row.count("|") - row.count("\\|") == 5


def test_scenario_name_with_dollars_is_drawn_as_text():
    import io

    import matplotlib.pyplot as plt

    from cscbook.notebook import style

    style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="$\\frac{$")
    ax.legend()
    fig.savefig(io.BytesIO(), format="svg")  # mathtext would raise a pyparsing error here
    plt.close(fig)


# ------------------------------------------------------------------------------------ reproducible artefacts (12)

def _rezip(data: bytes, stamp: bytes, when: tuple) -> bytes:
    """The same workbook as written at another time: other core dates and zip timestamps."""
    import io
    import re
    import zipfile

    src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=when), content)
    return buf.getvalue()


def test_data_pack_has_fixed_document_dates():
    import io
    import zipfile
    from datetime import datetime

    from cscbook.datapack import reproducible_xlsx

    buf = io.BytesIO()
    pd.DataFrame({"a": [1, 2]}).to_excel(buf, index=False)
    first = _rezip(buf.getvalue(), b"2026-12-04T21:00:00Z", (2026, 12, 4, 21, 0, 0))
    second = _rezip(buf.getvalue(), b"2026-12-05T09:30:02Z", (2026, 12, 5, 9, 30, 2))
    assert first != second
    when = datetime(2026, 3, 31)
    assert reproducible_xlsx(first, when) == reproducible_xlsx(second, when)
    core = zipfile.ZipFile(io.BytesIO(reproducible_xlsx(first, when))).read("docProps/core.xml")
    assert core.count(b"2026-03-31T00:00:00Z") == 2
    assert pd.read_excel(io.BytesIO(reproducible_xlsx(first, when)))["a"].tolist() == [1, 2]


def test_data_pack_written_twice_is_byte_identical(tmp_path, monkeypatch):
    import datetime as real
    import types

    import openpyxl.writer.excel as excel

    from cscbook.datapack import write_datapack
    from cscbook.edition import make_edition

    clock = iter([real.datetime(2026, 12, 4, 21, 0, 0), real.datetime(2026, 12, 5, 9, 30, 0)])
    fake = types.SimpleNamespace(datetime=types.SimpleNamespace(now=lambda tz=None: next(clock)),
                                 timezone=real.timezone)
    monkeypatch.setattr(excel, "datetime", fake)  # as if the two builds ran at different times
    ed = make_edition("825", "2026Q1")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = write_datapack(tmp_path / "a", ed), write_datapack(tmp_path / "b", ed)
    assert a.read_bytes() == b.read_bytes()


def _pdf(created: str, ident: bytes) -> bytes:
    import io

    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/CreationDate": created, "/ModDate": created, "/Producer": "Skia/PDF"})
    writer._ID = ArrayObject([ByteStringObject(ident), ByteStringObject(ident)])
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_committee_paper_has_fixed_document_dates(tmp_path):
    from pypdf import PdfReader

    from cscbook.paper import reproducible_pdf

    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(_pdf("D:20261204210000+00'00'", b"\x01" * 16))
    b.write_bytes(_pdf("D:20261205093002+00'00'", b"\x02" * 16))
    assert a.read_bytes() != b.read_bytes()
    reproducible_pdf(a, "2026Q1")
    reproducible_pdf(b, "2026Q1")
    assert a.read_bytes() == b.read_bytes()
    meta = PdfReader(a).metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20260331000000+00'00'"
    assert len(PdfReader(a).pages) == 1


# ------------------------------------------------------------------------------------------ workers (13)

def test_a_worker_dies_with_its_build(tmp_path):
    """A build (here a small parent process) starts a pool worker the way the build does, then is killed with
    SIGKILL: the worker is gone within seconds."""
    import os
    import signal
    import time

    code = ("import multiprocessing, os, sys, time\n"
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from cscbook.lifetime import die_with_parent\n"
            "pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('fork'), initializer=die_with_parent)\n"
            "print(pool.submit(os.getpid).result(), flush=True)\n"
            "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its build")


def test_the_build_pools_watch_their_parent():
    import inspect

    from cscbook import build as build_module

    assert "die_with_parent" in inspect.getsource(build_module._one_thread_worker)
    assert "initializer=die_with_parent" in inspect.getsource(build_module.Books.warm)
