"""Hostile and broken inputs: each fails with one clear message or loads correctly; none crashes."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscbook.core.disclosure import SUPPRESSED, suppress, suppress_series
from cscbook.core.markers import parse_cell
from cscbook.data.monthly import MonthlyDataError, read_extract

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


# ------------------------------------------------------------------------------------------------------------------
# Round 2 (issue 31): every entry point, one case per class; each ends in one clear line (or a clean result) and
# leaks or destroys nothing. Cases call the package or the CLI in-process: no book is built.

import release_fixture as rf  # noqa: E402

from cscbook.core.errors import CSCBookError  # noqa: E402
from cscbook.data import install as datastore  # noqa: E402


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

    from cscbook.report.notebook import table_html

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

    from cscbook.core.inputs import safe_cells

    frame = pd.DataFrame({"name": ["=1+1", "-2", "ok"], "value": [-2, 3, 4]})
    buf = __import__("io").BytesIO()
    safe_cells(frame).to_excel(buf, index=False)
    ws = openpyxl.load_workbook(buf).active
    assert [c.value for c in ws["A"]][1:] == ["'=1+1", "'-2", "ok"]
    assert [c.data_type for c in ws["A"]][1:] == ["s", "s", "s"]
    assert [c.value for c in ws["B"]][1:] == [-2, 3, 4]


def test_markdown_in_user_text_is_escaped():
    from cscbook.core.inputs import escape_markdown

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

    from cscbook.report.notebook import style

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

    from cscbook.report.datapack import reproducible_xlsx

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

    from cscbook.build.context import make_edition
    from cscbook.report.datapack import write_datapack

    clock = iter([real.datetime(2026, 12, 4, 21, 0, 0), real.datetime(2026, 12, 5, 9, 30, 0)])
    fake = types.SimpleNamespace(datetime=types.SimpleNamespace(now=lambda tz=None: next(clock)),
                                 timezone=real.timezone)
    monkeypatch.setattr(excel, "datetime", fake)  # as if the two builds ran at different times
    ed = make_edition("825", "2026Q1")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = write_datapack(tmp_path / "a", ed), write_datapack(tmp_path / "b", ed)
    assert a.read_bytes() == b.read_bytes()


def _pdf(created: str, ident: bytes, port: int) -> bytes:
    """A one-page PDF as the browser prints it (SYNTHETIC): its time, a random identifier, and a link to the
    local page server on a passing port."""
    import io

    from pypdf import PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_annotation(0, Link(rect=(50, 50, 200, 70), url=f"http://127.0.0.1:{port}/notebooks/forecast.html"))
    writer.add_metadata({"/CreationDate": created, "/ModDate": created, "/Producer": "Skia/PDF"})
    writer._ID = ArrayObject([ByteStringObject(ident), ByteStringObject(ident)])
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_committee_paper_has_fixed_document_dates(tmp_path):
    from pypdf import PdfReader

    from cscbook.report.paper import reproducible_pdf

    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(_pdf("D:20261204210000+00'00'", b"\x01" * 16, 42353))
    b.write_bytes(_pdf("D:20261205093002+00'00'", b"\x02" * 16, 34143))
    assert a.read_bytes() != b.read_bytes()
    reproducible_pdf(a, "2026Q1")
    reproducible_pdf(b, "2026Q1")
    assert a.read_bytes() == b.read_bytes()
    meta = PdfReader(a).metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20260331000000+00'00'"
    assert len(PdfReader(a).pages) == 1
    link = PdfReader(a).pages[0]["/Annots"][0].get_object()["/A"]["/URI"]
    assert link == "notebooks/forecast.html"  # beside the paper, not a server that has gone


# ------------------------------------------------------------------------------------------ workers (13)

def test_a_worker_dies_with_its_build(tmp_path):
    """A build (here a small parent process) starts a pool worker the way the build does, then is killed with
    SIGKILL: the worker is gone within seconds."""
    import os
    import signal
    import time

    code = ("import multiprocessing, os, sys, time\n"
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from cscbook.core.lifetime import die_with_parent\n"
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

    from cscbook.build import books as build_books
    from cscbook.build import precompute as build_precompute

    assert "die_with_parent" in inspect.getsource(build_precompute._one_thread_worker)
    assert "initializer=die_with_parent" in inspect.getsource(build_books.Books.warm)


# ---------------------------------------------------------------------------- the command line, in-process

SCENARIOS = Path(__file__).parent / "hostile_scenarios"


def _cli(argv, capsys) -> tuple[int, str]:
    from cscbook.cli import main

    status = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return status, err


def _one_line(status: int, err: str, expected: str, code: int = 2) -> None:
    assert status == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert expected in err, err


def _fake_shadow(folder: Path) -> Path:
    """A stand-in for /etc/shadow (made up, SYNTHETIC): its first line must never be printed."""
    path = folder / "shadow"
    path.write_text("root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n")
    return path


def _edition_folder(root: Path, slug: str = "825-buckinghamshire-2026Q1", meta=None) -> Path:
    """A built edition as the site reads it (made up: one page)."""
    import json

    folder = root / "editions" / slug
    (folder / "_build" / "html").mkdir(parents=True)
    (folder / "_build" / "html" / "index.html").write_text("<p>edition</p>")
    meta = meta if meta is not None else {"la": "825", "quarter": "2026Q1", "council": "Buckinghamshire"}
    (folder / "edition.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    return folder


def test_alias_bomb_in_an_editions_file_fails_fast(tmp_path, capsys):
    import time

    bomb = tmp_path / "editions.yml"  # a list of editions whose first council is 9 to the 9th values
    bomb.write_text("- council: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
                    + "".join(f"- &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh")))
    start = time.monotonic()
    status, err = _cli(["build", "--editions", bomb, "--output", tmp_path / "out"], capsys)
    _one_line(status, err, "refused: more than 100,000 values once aliases are expanded")
    assert time.monotonic() - start < 20 and "lol" not in err


def test_editions_file_naming_a_secret_file_does_not_echo_it(tmp_path, capsys):
    shadow = _fake_shadow(tmp_path)
    editions = tmp_path / "editions.yml"
    editions.write_text(f"- council: 825\n  quarter: 2026Q1\n  monthly: {shadow}\n")
    status, err = _cli(["build", "--editions", editions, "--output", tmp_path / "out"], capsys)
    _one_line(status, err, "line 1 is not a header of monthly columns")
    assert "root" not in err and "20228" not in err


def test_papermill_monthly_parameter_naming_a_secret_file_does_not_echo_it(tmp_path):
    from cscbook.build.context import materialise_monthly

    with pytest.raises(CSCBookError) as err:
        materialise_monthly("825", _fake_shadow(tmp_path))  # what a notebook's `monthly` parameter goes through
    assert "root" not in str(err.value) and "not a header" in str(err.value)


@pytest.mark.parametrize("case", ["folder", "missing"])
def test_editions_given_a_folder_or_nothing(tmp_path, capsys, case):
    target = tmp_path if case == "folder" else tmp_path / "none.yml"
    status, err = _cli(["build", "--editions", target, "--output", tmp_path / "out"], capsys)
    _one_line(status, err, "is a folder" if case == "folder" else "file not found")


OUTPUTS = {
    "the root": (lambda t: Path("/"), "refused: a build writes editions/ and _build/ there"),
    "the home folder": (lambda t: Path.home(), "refused: a build writes editions/ and _build/ there"),
    "the repository": (lambda t: Path(__file__).resolve().parents[1], "leave out --output"),
    "under a file": (lambda t: (t / "f").write_text("x") and t / "f" / "sub", "is a file, not a folder"),
    "/etc/passwd/sub": (lambda t: Path("/etc/passwd/sub"), "/etc/passwd is a file, not a folder"),
    "/proc/self": (lambda t: Path("/proc/self"), "--output /proc/self: "),
    "a stranger's folder": (lambda t: (t / "mine").mkdir() or (t / "mine" / "notes.txt").write_text("x")
                            and t / "mine", "the folder holds files a build did not make"),
}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_output_folders_a_build_refuses(tmp_path, capsys, case):

    make, expected = OUTPUTS[case]
    if case == "/proc/self" and not Path("/proc/self").exists():
        pytest.skip("needs /proc")
    out = make(tmp_path)
    status, err = _cli(["build", "--la", "825", "--no-paper", "--output", out], capsys)
    _one_line(status, err, expected)
    assert not Path("/editions").exists() and not Path("/_build").exists()


def test_foreign_site_files_are_never_replaced(tmp_path, capsys):
    out = tmp_path / "D"
    (out / "_build" / "html").mkdir(parents=True)
    (out / "_build" / "html" / "keep.html").write_text("mine")
    status, err = _cli(["build", "--la", "825", "--no-paper", "--force", "--output", out], capsys)
    _one_line(status, err, "_build/html holds files a build did not make")
    from cscbook.report.site import publish_site

    _edition_folder(tmp_path / "built")
    with pytest.raises(CSCBookError, match="holds files cscbook did not publish"):
        publish_site(tmp_path / "built" / "editions", out / "_build" / "html")
    assert (out / "_build" / "html" / "keep.html").read_text() == "mine"


def test_a_folder_not_made_by_a_build_is_never_cleaned_up(tmp_path):
    from cscbook.build.staging import clean_stale_staging

    mine = tmp_path / "editions" / ".staging-mine"
    mine.mkdir(parents=True)
    (mine / "work.txt").write_text("mine")
    assert clean_stale_staging(tmp_path / "editions") == []
    assert (mine / "work.txt").read_text() == "mine"


def test_site_copies_regular_files_never_links(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    folder = _edition_folder(tmp_path / "built")
    (folder / "_build" / "html" / "shadow.html").symlink_to(secret)
    (folder / "_build" / "html" / "etc").symlink_to(tmp_path, target_is_directory=True)
    status, _ = _cli(["site", "--from", tmp_path / "built", "--output", tmp_path / "site"], capsys)
    assert status == 0
    copied = tmp_path / "site" / "_build" / "html" / "editions" / folder.name
    assert (copied / "index.html").is_file()
    assert not (copied / "shadow.html").exists() and not (copied / "etc").exists()
    assert not any("SECRET" in p.read_text(errors="ignore") for p in (tmp_path / "site").rglob("*") if p.is_file())


@pytest.mark.parametrize("meta, expected", [
    ("{not json", "not a readable edition record"),
    ({"la": 825, "quarter": "2026Q1", "council": "Buckinghamshire"}, "'la' is 825, not text"),
    ([1, 2], "not an edition record"),
])
def test_site_over_a_corrupt_edition_record(tmp_path, capsys, meta, expected):
    _edition_folder(tmp_path / "built", meta=meta)
    status, err = _cli(["site", "--from", tmp_path / "built", "--output", tmp_path / "site"], capsys)
    _one_line(status, err, expected)


@pytest.mark.parametrize("case", ["folder", "under a file"])
def test_extract_output_that_cannot_be_a_file(tmp_path, capsys, case):
    import synthetic_cin

    returns = synthetic_cin.generate(tmp_path / "returns", years=(2023,))
    (tmp_path / "f").write_text("x")
    target = tmp_path if case == "folder" else tmp_path / "f" / "monthly.csv"
    status, err = _cli(["extract", "--cin-census", *returns.files, "--la", "825", "--output", target], capsys)
    _one_line(status, err, "is a folder" if case == "folder" else "is a file, not a folder")


# ------------------------------------------------------------------------------------ months (7, 11)

def _months(path: Path, start: str, n: int, value=lambda i: 400 + i % 7) -> Path:
    months = pd.period_range(start, periods=n, freq="M")
    path.write_text("month,referrals\n" + "".join(f"{m},{value(i)}\n" for i, m in enumerate(months)))
    return path


MONTHS = {
    "only after the quarter": (("2026-07", 40), "every month (2026-07 to 2029-10) is after the end of 2026Q1"),
    "from 1900": (("1900-01", 40), "the first month is 1900-01, before referrals were counted"),
    "all zero": (("2022-01", 48, lambda i: 0), "referrals are 0 in every month by the end of 2026Q1"),
    "long before the quarter": (("2010-01", 40), "more than 60 months before the end of 2026Q1"),
}


@pytest.mark.parametrize("case", sorted(MONTHS))
def test_implausible_months_are_refused(tmp_path, capsys, case):
    args, expected = MONTHS[case]
    extract = _months(tmp_path / "m.csv", *args)
    status, err = _cli(["build", "--la", "825", "--quarter", "2026Q1", "--monthly", extract, "--no-paper",
                        "--output", tmp_path / "out"], capsys)
    _one_line(status, err, expected)
    assert not (tmp_path / "out" / "editions").exists()


def test_no_path_in_the_short_history_sentence(tmp_path):
    from cscbook.core.quarters import Quarter
    from cscbook.models.demand import monthly_series

    extract = _months(tmp_path / "m.csv", "2025-06", 36)  # 10 months by the end of 2026Q1: too short
    with pytest.raises(CSCBookError) as err:
        monthly_series("825", Quarter(2026, 1), extract)
    assert str(tmp_path) not in str(err.value) and "the council's monthly extract" in str(err.value)


# ------------------------------------------------------------------------------ disclosure (2, 13)

def test_the_forecast_chart_does_not_plot_small_counts(monkeypatch):
    import types

    from cscbook.build.context import make_edition
    from cscbook.core.disclosure import DisclosurePolicy
    from cscbook.report import charts

    drawn = {}
    monkeypatch.setattr(charts, "_label_and_show", lambda fig, ax, title, x, y, alt, ill, **kw: drawn.update(ax=ax, alt=alt))
    idx = pd.period_range("2023-04", periods=36, freq="M")
    values = pd.Series([3, 7, 12, 9, 4, 15, 11, 2, 8, 10, 14, 6] * 3, index=idx, dtype=float)  # SYNTHETIC
    series = types.SimpleNamespace(referrals=values, illustrative=False)
    fc = pd.DataFrame({"mean": 8.0, "lower_80": 5.0, "upper_80": 11.0, "lower_95": 3.0, "upper_95": 13.0},
                      index=pd.period_range("2026-04", periods=12, freq="M"))
    judged = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]")})
    for enabled in (True, False):
        ed = make_edition("201", "2026Q1", policy=DisclosurePolicy(enabled=enabled))
        charts.forecast_chart(series, fc, "ets", ed, judged)
        plotted = pd.Series(drawn["ax"].lines[0].get_ydata(), dtype=float)
        assert plotted.between(1, 5).sum() == (0 if enabled else 9)
        assert ("9 months of 1 to 5 referrals are not plotted" in drawn["alt"]) == enabled
        __import__("matplotlib.pyplot").pyplot.close("all")


def test_an_unsuppressed_edition_has_its_own_name_and_a_banner(tmp_path):
    import yaml

    from cscbook.build import pages as build_pages
    from cscbook.build.context import make_edition
    from cscbook.core.disclosure import DisclosurePolicy

    on = make_edition("825", "2026Q1")
    off = make_edition("825", "2026Q1", policy=DisclosurePolicy(enabled=False))
    assert off.slug != on.slug and off.slug.endswith("-unsuppressed")
    build_pages.stage_config(tmp_path, off)
    assert "NOT FOR PUBLICATION" in yaml.safe_load((tmp_path / "_config.yml").read_text())["html"]["announcement"]
    build_pages.stage_config(tmp_path, on)
    assert "announcement" not in yaml.safe_load((tmp_path / "_config.yml").read_text())["html"]


def test_hostile_scenario_names_load_as_text():
    from cscbook.core.quarters import Quarter
    from cscbook.models.scenarios import load_scenarios

    names = [s.name for s in load_scenarios(SCENARIOS / "hostile_names.yml", Quarter(2026, 1))]
    assert names == ['=HYPERLINK("http://example.invalid","click")', "$\\frac{$"]


# ---------------------------------------------------------------------------------------- the input layer

@pytest.mark.parametrize("value, shown", [
    ("short", "'short'"), ("x" * 100, "'" + "x" * 40 + "…'"), ("a\nb\x1b[31m", "'a?b?[31m'"),
    ([1] * 10 ** 6, "a list of 1000000"), (10 ** 20, "a number of more than 15 digits"), ({"a": 1}, "a mapping of 1 keys"), (1e300, "1e+300"), (None, "nothing"),
])
def test_messages_quote_short_sanitised_excerpts(value, shown):
    from cscbook.core.inputs import excerpt

    assert excerpt(value) == shown


def test_unexpected_errors_are_one_line(capsys, monkeypatch):
    from cscbook import cli

    def broken(args):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(cli, "_cmd_councils", broken)
    monkeypatch.delenv("CSCBOOK_DEBUG", raising=False)
    status, err = _cli(["councils"], capsys)
    _one_line(status, err, "internal error: ZeroDivisionError: 'float division by zero'", code=1)


def test_a_scenario_name_is_one_short_line():
    from cscbook.models.scenariofile import parse_scenarios

    for name in ("x" * 81, "two\nlines", "bell\x07"):
        with pytest.raises(CSCBookError, match="a name is one line of at most 80 characters") as err:
            parse_scenarios({"scenarios": [{"name": name}]}, "s.yml")
        assert len(str(err.value).splitlines()) == 1 and "\x07" not in str(err.value)
