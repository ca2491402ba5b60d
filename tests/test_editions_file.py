"""The editions file: read, written back unchanged, every problem reported on its own line, built as a batch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cscbook.build import batch as build_module
from cscbook.build import precompute as build_precompute
from cscbook.build.editions_file import EditionSpec, read_editions, write_editions
from cscbook.cli import main
from cscbook.core.errors import CSCBookError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "editions.example.yml"


def test_example_reads_and_round_trips(tmp_path):
    specs = read_editions(EXAMPLE)
    assert [(s.council, s.quarter) for s in specs] == [("Buckinghamshire", "2026Q1"), ("West Sussex", "2019Q2")]
    monthly = tmp_path / "extracts" / "938.csv"
    monthly.parent.mkdir()
    monthly.write_text("month,referrals\n")  # only its existence is checked here
    specs.append(EditionSpec("938", "2020Q3", monthly=monthly))
    out = write_editions(specs, tmp_path / "editions.yml")
    assert "extracts/938.csv" in out.read_text() and str(tmp_path) not in out.read_text()
    assert read_editions(out) == specs


def test_every_problem_on_its_own_line_and_nothing_runs(tmp_path):
    bad = tmp_path / "editions.yml"
    bad.write_text(
        "- council: Buckinghamshire\n  quarter: 2026Q1\n"
        "- council: Bukinghamshire\n  quarter: 2026Q1\n"       # 2: bad council
        "- council: 825\n  quarter: 2026q1\n"                  # 3: duplicate of 1 (code and lower-case quarter)
        "- council: 938\n  quater: 2019Q2\n"                   # 4: unknown key
        "- council: 938\n  quarter: 2019-Q2\n"                 # 5: bad quarter
        "- council: 938\n  quarter: 2020Q1\n  monthly: nowhere.csv\n"  # 6: missing file
    )
    with pytest.raises(CSCBookError) as err:
        read_editions(bad)
    lines = str(err.value).splitlines()
    assert [ln.split(":")[1].strip() for ln in lines] == ["edition 2", "edition 3", "edition 4", "edition 5", "edition 6"]
    assert "did you mean 'Buckinghamshire'" in lines[0]
    assert "already edition 1" in lines[1]
    assert "unknown key 'quater'" in lines[2]
    assert "is not a calendar quarter" in lines[3] and "2019Q2" in lines[3]
    assert "'nowhere.csv' not found" in lines[4]
    proc = subprocess.run([sys.executable, "-m", "cscbook", "build", "--editions", str(bad), "--output", str(tmp_path / "out")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 5 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, expected", [
    ("council: 825\n", "expected a YAML list of editions"),
    ("- council: [825\n", "line 2: not valid YAML"),
    ("- quarter: 2019Q2\n", "'council' is missing"),
    ("- council: 825\n  monthly: [a.csv, b.csv]\n", "'monthly' takes one file"),
])
def test_malformed_files(tmp_path, text, expected):
    bad = tmp_path / "e.yml"
    bad.write_text(text)
    with pytest.raises(CSCBookError, match=expected):
        read_editions(bad)


def test_a_batch_builds_from_the_example(tmp_path, monkeypatch, capsys):
    """Both editions of the example, one cheap chapter each, in one batch and one site."""
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": "notebooks/scorecard.ipynb"}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    code = main(["build", "--editions", str(EXAMPLE), "--output", str(tmp_path), "--quiet", "--no-paper"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "825-buckinghamshire-2026Q1" in out and "938-west-sussex-2019Q2" in out
    index = (tmp_path / "_build" / "html" / "index.html").read_text()
    assert index.count('<li><a href="editions/') == 2
    page = (tmp_path / "_build" / "html" / "editions" / "938-west-sussex-2019Q2" / "notebooks" / "scorecard.html").read_text()
    assert "Scorecard: West Sussex, edition 2019Q2" in page
    # --no-paper: no committee paper, and the edition's page says so instead of linking to one
    about = (tmp_path / "_build" / "html" / "editions" / "938-west-sussex-2019Q2" / "book" / "this_edition.html").read_text()
    assert "not printed for this edition" in about and "committee-paper.pdf" not in about
    assert not list((tmp_path / "editions").rglob("committee-paper.pdf"))
