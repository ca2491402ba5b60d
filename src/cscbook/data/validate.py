"""``cscbook validate --cin-census FILE... [--la X] [--output DIR] [--strict]``: every problem in a council's
CIN census returns, in one run.

Each return is read whole by the CIN census reader (:func:`cscbook.data.cincensus.read_all`) and checked against
DfE's schema and the rules that affect the monthly series (:mod:`cscbook.data.cinrules`). The command prints a
readable summary: per return whether it would be used or refused, the episodes that would be excluded by
reason, and the problems (file, line, element, the value where it is not child-level, the DfE rule code,
how to fix it). With ``--output DIR`` it also writes

* ``cin-validation.csv``: one row per problem, **with the council's own child IDs and the values** so that
  the records can be found and fixed in the council's system. It is for local use: it is never written
  inside an edition's output (``--output`` refuses such a folder), and nothing in it reaches a page, a cache
  or a log;
* ``cin-validation.txt``: the summary as printed.

Exit status 0 when every return would be used, 2 when one would be refused (``--strict``: any error).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cscbook.core import atomic
from cscbook.core.errors import CSCBookError
from cscbook.data import cinrules as rules
from cscbook.data.cincensus import read_all
from cscbook.data.register import resolve

CSV_NAME = "cin-validation.csv"
SUMMARY_NAME = "cin-validation.txt"
CSV_COLUMNS = ("file", "line", "element", "severity", "reason", "dfe_rule", "message", "fix", "episode_excluded",
               "la_child_id", "value")
#: problems printed per return in the summary (the CSV holds them all)
MAX_PRINTED = 40


def check_output_dir(folder: str | Path) -> Path:
    """The report folder, refused when it is (or is inside) a build's output: an ``editions`` or ``_build``
    folder, an edition (``edition.json``), or a folder holding ``editions/`` (a ``build --output`` folder)."""
    path = Path(folder).resolve()
    if path.exists() and not path.is_dir():
        raise CSCBookError(f"--output {folder}: exists and is not a folder; give a folder for the report")
    for part in (path, *path.parents):
        if part.name in ("editions", "_build") or (part / "edition.json").is_file():
            raise CSCBookError(f"--output {folder}: inside an edition's output ({part.name}); the report holds "
                               "child IDs and is never written there: give a folder of your own")
    if (path / "editions").is_dir():
        raise CSCBookError(f"--output {folder}: a build's output folder (it holds editions/); the report holds "
                           "child IDs and is never written there: give a folder of your own")
    return path


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP: a leading = + - @ tab or CR is quoted)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(problems: list) -> str:
    """The problems as CSV text (child IDs and values included: for the council's own use)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in problems:
        writer.writerow([_cell(v) for v in (
            p.file, p.line or "", p.element or "", p.severity, p.reason, p.code or "", p.message, p.fix,
            "yes" if p.excluded else "no", p.child or "", p.value if p.value is not None else (p.raw or ""))])
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    atomic.write_text(path, text)


def summary_text(files: list[Path], result, problems: list, strict: bool) -> str:
    """The readable summary: per return, its verdict, exclusions by reason and problems (no child-level value)."""
    lines = []
    by_file: dict[str, list] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    used = {f["file"]: f for f in (result.report["files"] if result is not None else [])}
    for f in files:
        name = Path(f).name
        mine = by_file.get(name, [])
        errors = [p for p in mine if p.severity == "error" and p.reason != "refused"]
        warnings = [p for p in mine if p.severity == "warning"]
        refused = [p for p in mine if p.reason == "refused"]
        if name in used:
            info = used[name]
            verdict = (f"used: collection year {info['collection_year']} to {info['reference_date']}, "
                       f"{info['held']} episodes, {sum(info['excluded'].values())} excluded")
        elif refused:
            verdict = "REFUSED: " + refused[-1].message.removeprefix("refused: ")
        elif result is None:
            verdict = "readable, but not used because another return given with it was refused"
        else:
            verdict = "not used"
        lines.append(f"{name}: {verdict}; {len(errors)} errors, {len(warnings)} warnings")
        if name in used and used[name]["excluded"]:
            lines.append("  excluded episodes by reason: " + ", ".join(
                f"{label} {used[name]['excluded'][r]}" for r, label in rules.REASONS.items()
                if r in used[name]["excluded"]))
        shown = sorted((p for p in mine if p.reason != "refused"), key=lambda p: p.line or 0)
        for p in shown[:MAX_PRINTED]:
            lines.append("  " + p.public().text())
        if len(shown) > MAX_PRINTED:
            lines.append(f"  ... and {len(shown) - MAX_PRINTED} more (all of them in {CSV_NAME} with --output DIR)")
    if result is not None:
        rep = result.report
        lines.append(f"months {rep['months'][0]} to {rep['months'][1]}: {rep['episodes']} episodes used"
                     + (f"; {rep['partial_month_left_out']} is incomplete and left out"
                        if rep.get("partial_month_left_out") else ""))
    mode = "strict: any error refuses a return" if strict else \
        f"lenient: a return is refused when more than {100 * rules.MAX_EXCLUDED_SHARE:.0f}% of its episodes break a rule"
    lines.append(f"({mode}; {'all returns would be used' if result is not None else 'not every return would be used'})")
    return "\n".join(lines)


def validate_command(files: list[str], la: str | None = None, output: str | None = None,
                     strict: bool = False) -> tuple[str, bool]:
    """Check the returns; write the report if asked; return ``(summary, every return used)``."""
    folder = check_output_dir(output) if output else None
    code = None
    if la is not None:
        code = resolve(la).code
    paths = [Path(f) for f in files]
    result, problems = read_all(paths, code, strict, keep_ids=True, refuse=False)
    text = summary_text(paths, result, problems, strict)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / CSV_NAME, report_csv(problems))
        _write(folder / SUMMARY_NAME, text + "\n")
        text += f"\nreport written to {folder / CSV_NAME} (holds child IDs: keep it local) and {SUMMARY_NAME}"
    else:
        text += "\nno report written: give --output DIR for the CSV of every problem"
    return text, result is not None
