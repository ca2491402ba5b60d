"""Every public function, class, method and property of the package says what it computes (a docstring)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cscbook"


def undocumented(source: str) -> list[str]:
    """Public functions and classes (and the public methods of public classes) without a docstring, by name."""
    found = []

    def walk(nodes, prefix=""):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    found.append(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    walk(node.body, prefix + node.name + ".")

    walk(ast.parse(source).body)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_public_names_have_docstrings(path):
    assert undocumented(path.read_text(encoding="utf-8")) == []


def test_the_docstring_check_can_fail():
    source = ('def f():\n    return 1\n\n\ndef _g():\n    return 2\n\n\nclass C:\n    """Documented."""\n\n'
              '    @property\n    def p(self):\n        return 3\n')
    assert undocumented(source) == ["f", "C.p"]
