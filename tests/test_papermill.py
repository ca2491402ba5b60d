"""Running one chapter with papermill, as the README shows: the council as an integer code or a name, the quarter
in either case (each chapter run once, the forms alternating); every bad value stops the chapter with one line
before it shows anything."""

import os
import re
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "papermill"
if not PAPERMILL.exists():
    import shutil

    PAPERMILL = Path(shutil.which("papermill") or "papermill")


def papermill(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([str(PAPERMILL), *args], capture_output=True, text=True, cwd=cwd, env=env)


def shown(path: Path) -> str:
    """Everything the executed notebook displays (text and HTML outputs)."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k in ("text/html", "text/plain"))
    return "".join(parts)


def readme_example() -> list[str]:
    """The tested papermill command of the README section "Running one chapter with papermill"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Running one chapter with papermill", 1)[1].split("\n## ", 1)[0]
    line = next(ln for ln in section.splitlines() if ln.strip().startswith(".venv/bin/papermill notebooks/"))
    return shlex.split(line.split("#")[0])[1:]


def test_readme_example_with_an_integer_code(tmp_path):
    args = readme_example()
    assert args[:2] == ["notebooks/scorecard.ipynb", "scorecard-938-2019Q2.ipynb"] and "-p" in args
    out = tmp_path / "scorecard.ipynb"
    proc = papermill(args[0], str(out), *args[2:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = shown(out)
    assert "Scorecard: West Sussex, edition 2019Q2" in text
    # the year to March 2018 is the latest published by June 2019: the scorecard shows it, not 2019
    assert re.search(r"<td[^>]*>year to 31 March 2018</td>", text) and "31 March 2019" not in text


BAD = [
    (["-p", "la", "9380"], "parameter 'la' = 9380: a DfE council code has three digits, e.g. la = 938"),
    (["-p", "la", "Wset Sussex"], "did you mean 'West Sussex'"),
    (["-p", "quarter", "2019"], "parameter 'quarter' = 2019: give a calendar quarter as text YYYYQn"),
    (["-p", "quarter", "2019-Q2"], "parameter 'quarter' = '2019-Q2' is not a calendar quarter"),
    (["-p", "quarter", "2031Q1"], "is after the latest data"),
    (["-p", "disclosure", "maybe"], "parameter 'disclosure' = 'maybe': give 'on' (the default) or 'off'"),
    (["-p", "colour", "red"], "unknown parameter 'colour' = 'red': chapters take la, quarter, monthly"),
]
#: run through papermill itself: a bad value of a chapter parameter and a name no chapter takes (the others are
#: checked by the same first cell below, with the parameters papermill would have injected)
BY_PAPERMILL = ("la 9380", "colour red")


@pytest.mark.parametrize("args, expected", [b for b in BAD if " ".join(b[0][1:]) in BY_PAPERMILL],
                         ids=list(BY_PAPERMILL))
def test_bad_values_stop_the_chapter_before_it_shows_anything(tmp_path, args, expected):
    out = tmp_path / "scorecard.ipynb"
    proc = papermill("notebooks/scorecard.ipynb", str(out), *args)
    assert proc.returncode != 0
    assert expected in proc.stderr
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errors) == 1 and errors[0]["ename"] in ("CSCBookError", "UnknownCouncilError")
    assert expected in errors[0]["evalue"] and "\n" not in errors[0]["evalue"]
    # nothing but the error: no table, no prose
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "display_data"]


@pytest.mark.parametrize("args, expected", BAD, ids=[" ".join(b[0][1:]) for b in BAD])
def test_every_bad_value_is_one_line_from_the_chapters_first_cell(args, expected):
    """Each bad value as papermill passes it (its command-line typing and its injected cell), through the cell
    every chapter runs first: one line naming the parameter, before anything is shown."""
    from papermill.cli import _resolve_type
    from papermill.translators import translate_parameters

    from cscbook.build.chapter import setup
    from cscbook.core.errors import CSCBookError

    chapter = nbformat.read(ROOT / "notebooks" / "scorecard.ipynb", as_version=4)
    code = [c.source for c in chapter.cells if c.cell_type == "code"]
    assert "ed = setup(globals())" in code[1] and "parameters" in chapter.cells[
        next(i for i, c in enumerate(chapter.cells) if c.cell_type == "code")].metadata.get("tags", [])
    namespace: dict = {}
    exec(code[0], namespace)  # the notebook's defaults, then what papermill injects after them
    exec(translate_parameters("python", "python3", {args[1]: _resolve_type(args[2])}, "Injected"), namespace)
    namespace.pop("__builtins__")
    with pytest.raises(CSCBookError) as err:
        setup(namespace)
    assert expected in str(err.value) and "\n" not in str(err.value)


CHAPTER_TITLES = {"summary": "Edition: <strong>West Sussex</strong>", "timeline": "West Sussex",
                  "demand": "West Sussex", "forecast": "Monthly referrals", "factcheck": "West Sussex",
                  "appendix": "Funnel plots of the scorecard: diagnostics, West Sussex"}


#: each chapter once (the scorecard is run by the README example above), the forms alternating: the council as an
#: integer code and the quarter as written, or by name with a lower-case quarter
FORMS = {"integer code": ["-p", "la", "938", "-p", "quarter", "2019Q2"],
         "name, lower-case quarter": ["-p", "la", "West Sussex", "-p", "quarter", "2019q2"]}
RUNS = [(chapter, list(FORMS)[i % 2]) for i, chapter in enumerate(sorted(CHAPTER_TITLES))]


@pytest.mark.parametrize("chapter, form", RUNS, ids=[f"{c}-{f}" for c, f in RUNS])
def test_every_chapter_runs_under_papermill(chapter, form, tmp_path):
    """Each chapter, run directly with papermill for West Sussex at 2019Q2."""
    out = tmp_path / f"{chapter}.ipynb"
    proc = papermill(f"notebooks/{chapter}.ipynb", str(out), *FORMS[form])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert CHAPTER_TITLES[chapter] in shown(out)
