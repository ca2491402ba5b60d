"""The package's shape: layers that import only downwards (import-linter contracts in pyproject.toml), no cscbook
import hidden inside a function, no module over 500 lines, and a docstring on every public function and class."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "cscbook"
MAX_LINES = 500
#: the command line loads each subcommand's modules when that subcommand runs (a bare ``cscbook --help`` stays
#: quick); nothing else may import cscbook inside a function
LAZY_ALLOWED = {PACKAGE / "cli.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_layer_contracts_hold():
    from importlinter.cli import lint_imports

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == 0, out.getvalue()[-3000:]
    assert "Layers: cli > build > report > models > data > core KEPT" in out.getvalue()


def test_the_contracts_can_fail(tmp_path):
    """A data module importing a model breaks the layers contract (the linter is not vacuous)."""
    import shutil

    from importlinter.cli import lint_imports

    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "cscbook", ignore=shutil.ignore_patterns("__pycache__"))
    bad = src / "cscbook" / "data" / "manifest.py"
    bad.write_text(bad.read_text() + "\nfrom cscbook.models import indicators  # noqa: E402\n")
    config = tmp_path / "pyproject.toml"
    config.write_text((ROOT / "pyproject.toml").read_text())
    import sys

    sys.path.insert(0, str(src))
    saved = {k: v for k, v in sys.modules.items() if k == "cscbook" or k.startswith("cscbook.")}
    for k in saved:
        del sys.modules[k]
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = lint_imports(config_filename=str(config), no_cache=True, no_logo=True)
    finally:
        sys.path.remove(str(src))
        for k in [k for k in sys.modules if k == "cscbook" or k.startswith("cscbook.")]:
            del sys.modules[k]
        sys.modules.update(saved)
    assert status != 0
    assert "cscbook.data.manifest -> cscbook.models.indicators" in out.getvalue()


def _inner_imports(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if id(node) in top or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.ImportFrom):
            ours = node.level > 0 or (node.module or "").split(".")[0] == "cscbook"
        else:
            ours = any(a.name.split(".")[0] == "cscbook" for a in node.names)
        if ours:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_cscbook_import_inside_a_function():
    found = [line for p in _modules() if p not in LAZY_ALLOWED for line in _inner_imports(p)]
    assert not found, "\n".join(found)


def test_inner_import_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    from cscbook.models import forecast\n    from . import paths\n"
                   "    import json\n    return forecast, paths, json\n")
    assert _inner_imports(bad, tmp_path) == ["bad.py:5: from cscbook.models import forecast",
                                             "bad.py:6: from . import paths"]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines: split it by job"
