"""The pins in requirements.txt, pyproject.toml and environment.yml stay consistent; layout is as agreed."""

import re
import tomllib

import yaml
from conftest import ROOT


def pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_pyproject_pins_match_requirements():
    req = pins((ROOT / "requirements.txt").read_text().splitlines())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        name, version = dep.split("==")
        assert req[name.lower()] == version, name
    assert req["jupyter-book"].startswith("1."), "Jupyter Book 2 cannot build HTML offline"


def test_environment_yml_installs_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements.txt" in pip


def test_layout():
    for name in ["book", "notebooks", "data", "_config.yml", "_toc.yml", "tests", "environment.yml", "README.md",
                 "src/cscbook", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_every_official_file_is_listed_on_the_data_sources_page():
    page = (ROOT / "book" / "data_sources.md").read_text()
    for f in (ROOT / "data" / "official").iterdir():
        if f.suffix in {".csv", ".ods"}:
            assert f"`{f.name}`" in page, f.name


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def _imported_top_level_modules():
    """Every top-level module the package imports, anywhere in its code (inside functions too)."""
    import ast
    import sys

    mods = set()
    for f in (ROOT / "src" / "cscbook").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods.add(node.module.split(".")[0])
    return mods - set(sys.stdlib_module_names) - {"cscbook", "__future__"}


def test_every_imported_library_is_declared_in_pyproject():
    """``pip install .`` alone gives a package that runs: each library the package imports belongs to a
    distribution declared in pyproject (a module no installed distribution provides fails too)."""
    from importlib.metadata import packages_distributions

    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = {norm(dep.split("==")[0]) for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    provided = packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {norm(d) for d in provided.get(module, [])}
        if not dists & declared:
            missing[module] = sorted(dists) or ["(no installed distribution)"]
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_the_package_imports_without_fcntl():
    """Nothing in the package assumes POSIX: with ``fcntl`` unavailable (as on Windows) every module imports,
    and the file locks work."""
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['fcntl'] = None  # import fcntl now raises ImportError, as on Windows\n"
        "import cscbook\n"
        "names = [m.name for m in pkgutil.walk_packages(cscbook.__path__, 'cscbook.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "from cscbook.core import locks\n"
        "import tempfile, pathlib\n"
        "p = pathlib.Path(tempfile.mkdtemp()) / 'x.lock'\n"
        "with locks.exclusive(p):\n"
        "    assert locks.try_exclusive(p) is None\n"
        "held = locks.try_exclusive(p); assert held is not None; held.release()\n"
        "print(len(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) > 40
