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
