import csv
import io
import json
import subprocess
import sys

import pytest

from cscbook.cli import main

REQUIRED = ["year", "referrals", "referrals_rate_per_10k", "rereferral_pct", "nfa_pct", "cin_rate_per_10k",
            "s47_rate_per_10k", "cpp_rate_per_10k", "cla_rate_per_10k", "agency_rate_pct", "turnover_pct",
            "vacancy_pct", "caseload_per_fte"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_indicators_csv(capsys):
    code, out, err = run(capsys, "indicators", "--la", "Buckinghamshire", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    header = list(rows[0])
    for col in REQUIRED:
        assert col in header
        if col != "year":
            for suffix in ("_sn_median", "_region", "_england"):
                assert col + suffix in header
    by_year = {r["year"]: r for r in rows}
    assert by_year["2013"]["referrals"] == "4418"
    assert by_year["2014"]["referrals"] == "7317"
    assert by_year["2013"]["agency_rate_pct"] == ""  # workforce census starts in 2017: empty, not 0


def test_indicators_json_nulls(capsys):
    code, out, _ = run(capsys, "indicators", "--la", "938", "--format", "json")
    rows = json.loads(out)
    first = rows[0]
    assert first["year"] == 2013 and first["referrals"] == 7344
    assert first["vacancy_pct"] is None


def test_indicators_table(capsys):
    code, out, _ = run(capsys, "indicators", "--la", "West Sussex")
    assert code == 0 and out.splitlines()[0].split()[0] == "year"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["indicators", "--la", "Bukinghamshire"], "did you mean 'Buckinghamshire'"),
        (["indicators", "--la", "999"], "no local authority has old_la_code 999"),
        (["indicators", "--la", "825", "--format", "xml"], "invalid choice: 'xml'"),
        (["indicators"], "--la"),
        (["indicators", "--la", "825", "--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, args, expected):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_installed_command_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "cscbook", "indicators", "--la", "Bukinghamshire"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
