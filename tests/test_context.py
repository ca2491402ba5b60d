"""The build context: parameters resolved once, monthly input content-keyed, staging folders owned by live builds."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cscbook.build import batch as build_module
from cscbook.build import chapter as build_chapter
from cscbook.build import planning, registry
from cscbook.build import precompute as build_precompute
from cscbook.build import staging as build_staging
from cscbook.build.context import BuildContext, policy_from_env
from cscbook.cli import _batch_councils, build_parser, shard
from cscbook.core.disclosure import DisclosurePolicy
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.data.edition import parse_council, parse_quarter

ROOT = Path(__file__).resolve().parents[1]


def extract(path: Path, start=2019) -> Path:
    """A synthetic monthly extract (36 months, made-up counts)."""
    rows = [f"{start + (3 + i) // 12}-{(3 + i) % 12 + 1:02d},{400 + (i * 37) % 90}" for i in range(36)]
    path.write_text("month,referrals\n" + "\n".join(rows) + "\n")
    return path


def test_jobs_come_from_the_option_then_the_environment_then_the_cores(tmp_path, monkeypatch):
    monkeypatch.setenv("CSCBOOK_JOBS", "3")
    assert BuildContext.create(tmp_path, paper=False).jobs == 3
    assert BuildContext.create(tmp_path, jobs=2, paper=False).jobs == 2
    monkeypatch.delenv("CSCBOOK_JOBS")
    assert BuildContext.create(tmp_path, paper=False).jobs == (os.cpu_count() or 1)
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CSCBOOK_JOBS", bad)
        with pytest.raises(CSCBookError, match=f"CSCBOOK_JOBS='{bad}': give a whole number"):
            BuildContext.create(tmp_path, paper=False)


def test_context_is_immutable_and_holds_what_a_build_needs(tmp_path):
    ctx = BuildContext.create(tmp_path / "out", DisclosurePolicy(enabled=False), jobs=3, paper=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.output = tmp_path
    assert ctx.editions_dir == (tmp_path / "out" / "editions").resolve()
    assert ctx.shared_dir.parent == (ctx.shared_root or ctx.cache_root) / "shared"
    assert ctx.shared_dir.name == f"{ctx.data_version[:16]}-{ctx.code_version[:16]}"
    ed = ctx.edition(938, "2019q2")
    assert (ed.council.code, ed.council.name, ed.quarter) == ("938", "West Sussex", Quarter(2019, 2))
    assert ed.policy.key == "off" and ed.cache_dir == ctx.shared_dir
    assert ed.parameters() == {"la": "938", "quarter": "2019Q2", "monthly": "", "disclosure": "off",
                               "cache": str(ctx.shared_dir), "scenarios": "", "editions": str(ctx.editions_dir)}
    assert not hasattr(build_module, "OUTPUT_ROOT")
    from cscbook.core import disclosure

    assert not hasattr(disclosure, "ENABLED")


def test_council_and_quarter_forms():
    assert parse_council(938) == parse_council("938") == parse_council("West Sussex") == parse_council(" west sussex ")
    assert parse_council(825).name == "Buckinghamshire"
    assert parse_quarter("2019q2") == parse_quarter("2019Q2") == Quarter(2019, 2)
    assert parse_quarter("") is None
    for bad, name in [(9380, "la"), (True, "la"), (1.5, "la"), ([825], "la")]:
        with pytest.raises(CSCBookError, match=rf"parameter '{name}' = .*e\.g\. la = 938"):
            parse_council(bad, name)
    for bad in [2019, "2019-Q2", "Q2 2019", 2019.2]:
        with pytest.raises(CSCBookError, match=r"parameter 'quarter' = .*e\.g\. quarter = \"2019Q2\""):
            parse_quarter(bad, "quarter")


def test_policy_read_once_from_the_environment():
    assert policy_from_env({}) == DisclosurePolicy(True)
    assert policy_from_env({"CSCBOOK_DISCLOSURE": "off"}) == DisclosurePolicy(False)
    with pytest.raises(CSCBookError, match="CSCBOOK_DISCLOSURE"):
        policy_from_env({"CSCBOOK_DISCLOSURE": "maybe"})


def test_monthly_input_is_content_keyed_and_its_path_never_reaches_the_edition(tmp_path):
    ctx = BuildContext.create(tmp_path / "out")
    (tmp_path / "secret-folder-a").mkdir()
    a = extract(tmp_path / "secret-folder-a" / "ours.csv")
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = b_dir / "copy.csv"
    b.write_bytes(a.read_bytes())
    ed_a, ed_b = ctx.edition("825", "2026Q1", str(a)), ctx.edition("825", "2026Q1", str(b))
    assert ed_a.monthly == ed_b.monthly and ed_a.monthly.parent == ctx.cache_root / "monthly"
    assert ed_a.monthly_key == ed_a.monthly.stem and len(ed_a.monthly_key) == 24
    params = repr(ed_a.parameters()) + repr(ed_a.key())
    assert "secret-folder-a" not in params and "ours.csv" not in params
    from cscbook.data.monthly import read_extract

    assert read_extract(ed_a.monthly)["referrals"].tolist() == read_extract(a)["referrals"].tolist()
    # different content, different key (and different chapter keys)
    extract(b, start=2018)
    ed_c = ctx.edition("825", "2026Q1", str(b))
    assert ed_c.monthly_key != ed_a.monthly_key
    entry = {"notebook": "notebooks/scorecard.ipynb"}
    assert (registry.chapter_key(entry, ed_a, ctx.data_version, ctx.code_version)
            != registry.chapter_key(entry, ed_c, ctx.data_version, ctx.code_version))


def test_stale_staging_is_removed_and_live_staging_is_kept(tmp_path):
    editions = tmp_path / "editions"
    editions.mkdir()
    # a folder named like a staging folder but without the build's marker (someone's own): never touched
    legacy = editions / ".staging-825-buckinghamshire-2026Q1-0badf00d"
    (legacy / "notebooks").mkdir(parents=True)
    # a build killed mid-way: its process held the lock and is gone
    code = ("import sys, time; sys.path.insert(0, %r)\n"
            "from pathlib import Path\nfrom cscbook.build.staging import staging\n"
            "cm = staging(Path(%r), '938-west-sussex-2019Q2'); stage = cm.__enter__()\n"
            "(stage / 'half-written.ipynb').write_text('{}'); print(stage, flush=True); time.sleep(60)\n"
            % (str(ROOT / "src"), str(editions)))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    killed_stage = Path(proc.stdout.readline().strip())
    try:
        assert killed_stage.is_dir()
        with build_staging.staging(editions, "825-buckinghamshire-2026Q1") as live:
            # while the other build is alive, its folder is not touched; nor is the unmarked one
            assert build_staging.clean_stale_staging(editions) == []
            assert killed_stage.is_dir() and live.is_dir()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert build_staging.clean_stale_staging(editions) == [killed_stage]
            assert live.is_dir() and not killed_stage.exists()
        assert not live.exists()
        assert sorted(p.name for p in editions.iterdir()) == [legacy.name] and (legacy / "notebooks").is_dir()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_batches_shards_and_regions():
    items = list(range(10))
    slices = [shard(items, k, 3) for k in (1, 2, 3)]
    assert sorted(sum(slices, [])) == items and slices[0] == [0, 3, 6, 9]
    args = build_parser().parse_args(["build", "--region", "south east", "--quarter", "2026Q1"])
    south_east = _batch_councils(args)
    assert "825" in south_east and "938" in south_east and "301" not in south_east
    every = _batch_councils(build_parser().parse_args(["build", "--all", "--quarter", "2026Q1"]))
    assert set(south_east) < set(every) and len(every) >= 150
    # a council that stopped reporting is left out of later quarters (Buckinghamshire before 2020 kept 825)
    assert len(_batch_councils(build_parser().parse_args(["build", "--all", "--quarter", "2014Q2"]))) != len(every)
    args = build_parser().parse_args(["build", "--la", "825", "West Sussex"])
    assert _batch_councils(args) == ["825", "West Sussex"]


def test_batch_problems_are_listed_one_per_line_and_nothing_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cscbook", "build", "--la", "825", "Bukinghamshire", "999",
                           "--quarter", "2019Q2", "--output", str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "Bukinghamshire" in lines[0] and "999" in lines[1]
    assert not (tmp_path / "editions").exists()


def test_one_failed_edition_does_not_stop_the_others(tmp_path, monkeypatch):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Check"),
                nbformat.v4.new_code_cell('la = "825"\nquarter = ""\nmonthly = ""\ndisclosure = "on"\ncache = ""',
                                          metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("from cscbook.build.chapter import setup\ned = setup(globals())\n"
                                          "assert ed.council.code != '938', 'no West Sussex today'\nprint(ed.slug)")]
    chapter = tmp_path / "check.ipynb"
    nbformat.write(nb, chapter)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(chapter)}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    ctx = BuildContext.create(tmp_path / "out", jobs=2, paper=False)
    eds = [ctx.edition(c, "2019Q2") for c in ("938", "825")]
    result = build_module.build_many(ctx, eds, log=lambda m: None)
    assert [d.name for d in result.built] == ["825-buckinghamshire-2019Q2"]
    assert [(e.slug, "no West Sussex today" in r) for e, r in result.failed] == [("938-west-sussex-2019Q2", True)]
    index = (ctx.site_dir / "index.html").read_text()
    assert "825-buckinghamshire-2019Q2" in index and "938-west-sussex" not in index
    assert "<h2 id=\"region-south-east\">South East</h2>" in index and 'type="search"' in index
    assert not list(ctx.editions_dir.glob(".staging-*"))


def fake_edition(out: Path, slug: str, la: str, council: str, region: str | None, page: str) -> None:
    folder = out / "editions" / slug
    (folder / "_build" / "html").mkdir(parents=True)
    (folder / "_build" / "html" / "index.html").write_text(page)
    meta = {"la": la, "quarter": slug.rsplit("-", 1)[1], "council": council, "financial_quarter": "2025-26 Q4"}
    if region:
        meta["region"] = region
    (folder / "edition.json").write_text(__import__("json").dumps(meta))


def test_site_merges_shards_grouped_by_region_and_searchable(tmp_path, capsys):
    from cscbook.cli import main

    fake_edition(tmp_path / "1", "825-buckinghamshire-2026Q1", "825", "Buckinghamshire", "South East", "old 825")
    fake_edition(tmp_path / "2", "301-barking-and-dagenham-2026Q1", "301", "Barking and Dagenham", None, "301")
    time.sleep(0.02)
    fake_edition(tmp_path / "2", "825-buckinghamshire-2026Q1", "825", "Buckinghamshire", "South East", "new 825")
    (tmp_path / "1" / "editions" / ".staging-938-west-sussex-2026Q1-00000000").mkdir()  # unfinished: not listed
    assert main(["site", "--from", str(tmp_path / "1"), str(tmp_path / "2"), "--output", str(tmp_path / "site")]) == 0
    assert "site with 2 editions" in capsys.readouterr().out
    html = tmp_path / "site" / "_build" / "html"
    index = (html / "index.html").read_text()
    # region from the register where an older edition.json lacks it; regions in alphabetical order
    assert index.index(">Outer London</h2>") < index.index(">South East</h2>")
    assert index.count("<li>") == 2 and "938" not in index
    assert '<input type="search" id="edition-filter"' in index and "http" not in index.split("<body>")[1]
    assert (html / "editions" / "825-buckinghamshire-2026Q1" / "index.html").read_text() == "new 825"
    assert main(["site", "--from", str(tmp_path / "nowhere")]) == 2


def test_the_shared_results_folder_can_be_given_and_is_checked(tmp_path):
    ctx = BuildContext.create(tmp_path / "out", shared_cache=tmp_path / "national")
    assert ctx.shared_dir.parent == (tmp_path / "national").resolve() / "shared"
    assert ctx.edition("825", "2019Q2").cache_dir == ctx.shared_dir
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(CSCBookError, match="--shared-cache .*a-file: exists and is not a folder"):
        BuildContext.create(tmp_path / "out", shared_cache=tmp_path / "a-file")


def test_an_edition_without_its_paper_is_not_reused_when_the_paper_is_asked_for(tmp_path):
    """--no-paper changes what an edition holds, so it is part of the edition's input hash."""
    from dataclasses import replace

    entries = [{"notebook": "notebooks/scorecard.ipynb"}]
    with_paper = BuildContext.create(tmp_path / "out")
    without = replace(with_paper, paper=False)
    ed = with_paper.edition("825", "2019Q2")
    assert planning.plan(with_paper, ed, entries).input_hash != planning.plan(without, ed, entries).input_hash
    assert planning.plan(without, ed, entries).input_hash == planning.plan(without, ed, entries).input_hash


def test_a_shared_result_asked_for_at_once_by_two_processes_is_computed_once(tmp_path):
    """Two processes (as two parallel workers or two builds sharing the folder) ask for the same result at the
    same time: one computes it, the other waits and reads it; a different argument is computed on its own."""
    runs = tmp_path / "runs.txt"
    # the function must be importable by every process: a small module written for the test
    helper = tmp_path / "slowmod.py"
    helper.write_text("import time\n\ndef slow_square(x, log):\n    with open(log, 'a') as fh:\n        fh.write(f'{x}\\n')\n"
                      "    time.sleep(1.0)\n    return x * x\n")
    script = ("import sys\nfrom cscbook.core.cache import SharedCache\nimport slowmod\n"
              f"print(SharedCache({str(tmp_path / 'shared')!r}).call(slowmod.slow_square, int(sys.argv[1]), {str(runs)!r}))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(__file__).resolve().parents[1] / "src")])}
    procs = [subprocess.Popen([sys.executable, "-c", script, arg], stdout=subprocess.PIPE, text=True, env=env)
             for arg in ("7", "7", "8")]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs == ["49", "49", "64"]
    assert sorted(runs.read_text().split()) == ["7", "8"]


def test_reporting_years_and_financial_years_are_named_one_way():
    from cscbook.core.quarters import financial_year_label, year_ending_march

    # DfE's year column names the year ending 31 March: April 2018 to March 2019 is 2019
    assert [year_ending_march(2018, m) for m in (3, 4, 12)] == [2018, 2019, 2019]
    assert financial_year_label(2019) == "2019-20" and financial_year_label(1999) == "1999-00"
    assert [Quarter(2019, q).financial_quarter for q in (1, 2, 3, 4)] == ["2018-19 Q4", "2019-20 Q1", "2019-20 Q2",
                                                                          "2019-20 Q3"]


def test_an_edition_still_in_its_staging_folder_is_never_published(tmp_path):
    """A concurrent build's staging folder may already hold its pages: the site lists finished editions only."""
    from cscbook.report.site import built_editions

    fake_edition(tmp_path, "825-buckinghamshire-2026Q1", "825", "Buckinghamshire", "South East", "done")
    fake_edition(tmp_path, ".staging-938-west-sussex-2026Q1-0a1b2c3d", "938", "West Sussex", "South East", "half-built")
    assert [m["folder"] for m in built_editions(tmp_path / "editions")] == ["825-buckinghamshire-2026Q1"]


def test_earlier_editions_are_found_wherever_the_shared_cache_is(tmp_path):
    """The editions folder is carried explicitly, never derived from the shared cache's path: with a shared cache
    outside the output folder (as --shared-cache and every test run have it), an edition still finds the forecast
    ledgers of the council's earlier editions in its own output folder, and its chapters are keyed by them."""
    from cscbook.data.edition import LEDGER_FILE
    from cscbook.models.ledger import read_ledgers

    ctx = BuildContext.create(tmp_path / "out", shared_cache=tmp_path / "elsewhere" / "shared", paper=False)
    ed = ctx.edition("825", "2026Q1")
    assert ed.editions_dir == ctx.editions_dir == (tmp_path / "out" / "editions").resolve()
    entry = {"notebook": "notebooks/forecast.ipynb"}
    before = registry.chapter_key(entry, ed, ctx.data_version, ctx.code_version)
    earlier = ctx.editions_dir / "825-buckinghamshire-2025Q1" / LEDGER_FILE
    earlier.parent.mkdir(parents=True)
    earlier.write_text("kind,council,edition,made,model,origin,target,horizon,mean,lower_80,upper_80,lower_95,"
                       "upper_95,basis\nannual,825,2025Q1,2025-03-31,panel,2025,2026,1,5000,4500,5500,4200,5800,"
                       "synthetic\n")  # a synthetic ledger row
    assert registry.chapter_key(entry, ed, ctx.data_version, ctx.code_version) != before
    # the chapter, run by papermill with the edition's parameters, reads the same folder
    again = build_chapter.setup(dict(ed.parameters()))
    assert again.editions_dir == ctx.editions_dir
    assert len(read_ledgers(again.editions_dir, "825", before=again.quarter)) == 1
