"""Editions: every bad parameter fails fast with one line and leaves earlier editions intact."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cscbook.build import batch as build_module
from cscbook.build import books as build_books
from cscbook.build import kernels as build_kernels
from cscbook.build import pages as build_pages
from cscbook.build import planning, registry
from cscbook.build import precompute as build_precompute
from cscbook.build import staging as build_staging
from cscbook.build.context import BuildContext, make_edition
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.data.edition import first_quarter, latest_quarter
from cscbook.models import shared

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "cscbook", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def out_with_edition(tmp_path):
    """An output folder holding a previous edition, to prove failures leave it untouched."""
    previous = tmp_path / "editions" / "825-buckinghamshire-2019Q1"
    (previous / "_build" / "html").mkdir(parents=True)
    (previous / "_build" / "html" / "index.html").write_text("previous edition")
    (previous / "edition.json").write_text(json.dumps({"la": "825", "quarter": "2019Q1", "council": "Buckinghamshire"}))
    return tmp_path


BAD = [
    (["--la", "Bukinghamshire"], "did you mean 'Buckinghamshire'"),
    (["--la", "825", "--quarter", "2019-Q2"], "is not a calendar quarter"),
    (["--la", "825", "--quarter", "2019Q5"], "is not a calendar quarter"),
    (["--la", "825", "--quarter", "2010Q1"], "no data had been published by then"),
    (["--la", "825", "--quarter", "2031Q1"], "is after the latest data"),
    (["--la", "825", "--monthly", "no/such/file.csv"], "file not found"),
    (["--la", "825", "--colour", "red"], "unrecognized arguments"),
    (["--la", "9380"], "unknown council '9380'"),
    (["--la", "825", "--quarter", "2019"], "is not a calendar quarter"),
    (["--region", "South Eest"], "unknown region; choose one of"),
    (["--all", "--shard", "5/4"], "--shard '5/4': write K/N"),
    (["--all", "--monthly", "x.csv"], "--monthly and --cin-census belong to one council"),
    (["--la", "825", "--all"], "give one of --la, --all, --region or --editions"),
]


@pytest.mark.parametrize("args, expected", BAD, ids=[b[1][:25] for b in BAD])
def test_bad_parameters_fail_fast_and_keep_editions(out_with_edition, args, expected):
    proc = run_cli("build", *args, "--output", str(out_with_edition))
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    html = out_with_edition / "editions" / "825-buckinghamshire-2019Q1" / "_build" / "html" / "index.html"
    assert html.read_text() == "previous edition"
    assert sorted(p.name for p in (out_with_edition / "editions").iterdir()) == ["825-buckinghamshire-2019Q1"]


def test_bad_monthly_file_fails_before_any_chapter_runs(out_with_edition, tmp_path):
    bad = tmp_path / "extract.csv"
    bad.write_text("month,referrals\n2019-04,-3\n")
    proc = run_cli("build", "--la", "825", "--monthly", str(bad), "--output", str(out_with_edition))
    assert proc.returncode == 2
    assert "extract.csv: line 2, column 'referrals': -3 is negative" in proc.stderr
    assert not (out_with_edition / "editions" / ".cache").exists()
    assert len(proc.stderr.strip().splitlines()) == 1


def test_quarter_semantics():
    q = Quarter.parse("2019Q2")
    assert q.financial_quarter == "2019-20 Q1"
    assert str(q.end) == "2019-06-30"
    assert Quarter.parse("2020Q1").financial_quarter == "2019-20 Q4"
    assert first_quarter() == Quarter(2013, 4)
    assert latest_quarter() == Quarter(2026, 1)
    ed = make_edition("West Sussex", "2019Q2")
    assert ed.slug == "938-west-sussex-2019Q2"
    assert ed.data_year("referrals") == 2018 and ed.data_year("workforce") == 2018
    assert make_edition("825", "2014Q2").data_year("referrals") == 2013


def test_a_failing_chapter_keeps_the_previous_edition(out_with_edition, tmp_path, monkeypatch):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('la = "825"\nquarter = ""\nmonthly = ""', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise ValueError('broken chapter')")]
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(broken)}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    ctx = BuildContext.create(out_with_edition, paper=False)
    edition = ctx.edition("825", "2019Q1")
    with pytest.raises(CSCBookError) as err:
        build_module.build(ctx, edition, log=lambda m: None)
    msg = str(err.value)
    assert "broken chapter" in msg and "the failed notebook is at" in msg
    failed = Path(msg.rsplit(" at ", 1)[1])
    assert failed.exists()
    html = out_with_edition / "editions" / "825-buckinghamshire-2019Q1" / "_build" / "html" / "index.html"
    assert html.read_text() == "previous edition"
    assert not list((out_with_edition / "editions").glob(".staging-*"))


def test_shared_results_that_cannot_be_computed_stop_every_chapter(out_with_edition, tmp_path, monkeypatch):
    """The all-council results are computed while the chapters run: if they fail, no chapter starts after the
    failure, the build raises it and the previous edition stays in place."""
    import nbformat

    ran = tmp_path / "ran"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('la = "825"\nquarter = ""', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(f"open({str(ran)!r}, 'a').write('x')")]
    chapter = tmp_path / "chapter.ipynb"
    nbformat.write(nb, chapter)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(chapter)}])

    def broken(cache_dir):
        raise RuntimeError("the panel could not be read")

    monkeypatch.setattr(build_precompute, "_annual_results", broken)
    ctx = BuildContext.create(out_with_edition, jobs=1, paper=False)
    failures = []
    with pytest.raises(RuntimeError, match="the panel could not be read"):
        build_module.build_many(ctx, [ctx.edition("825", "2019Q1")], log=failures.append)
    assert not ran.exists()  # the kernel started after the failure: its chapter was stopped
    assert any("the results shared by every council could not be computed" in m for m in failures)
    html = out_with_edition / "editions" / "825-buckinghamshire-2019Q1" / "_build" / "html" / "index.html"
    assert html.read_text() == "previous edition"


def test_a_book_that_does_not_compile_cleanly_keeps_the_previous_edition(out_with_edition, tmp_path, monkeypatch):
    """A chapter whose page Sphinx warns about (a reference to no label, an error under -W -n): the edition fails
    with the warning named and the whole log kept, in a book worker and in a jupyter-book process alike."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Unclean\n\nSee {ref}`no-such-label-anywhere`."),
                nbformat.v4.new_code_cell('la = "825"\nquarter = ""', metadata={"tags": ["parameters"]})]
    chapter = tmp_path / "unclean.ipynb"
    nbformat.write(nb, chapter)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(chapter)}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    ctx = BuildContext.create(out_with_edition, jobs=1, paper=False)
    for books in (build_books.Books(1), None):
        plan = planning.plan(ctx, ctx.edition("825", "2019Q1"), build_module.chapters())
        with build_staging.staging(ctx.editions_dir, plan.edition.slug) as stage:
            plan.stage = stage
            shutil.copy2(ROOT / "_config.yml", stage / "_config.yml")
            shutil.copytree(ROOT / "book", stage / "book")
            build_pages.write_toc(stage, build_module.chapters())
            build_kernels.run_chapter(ctx, build_module.chapters()[0], plan.edition, stage, "unclean")
            try:
                with pytest.raises(CSCBookError, match="did not compile cleanly.*no-such-label-anywhere"):
                    build_module.compile_edition(ctx, plan, build_module.chapters(), books)
            finally:
                if books is not None:
                    books.shutdown()
        log = out_with_edition / "editions" / ".failed" / "825-buckinghamshire-2019Q1" / "jupyter-book.log"
        assert "no-such-label-anywhere" in log.read_text()
        html = out_with_edition / "editions" / "825-buckinghamshire-2019Q1" / "_build" / "html" / "index.html"
        assert html.read_text() == "previous edition"


def test_shared_results_are_computed_once_and_reused(tmp_path, monkeypatch):
    """A result computed once into the shared cache (here in another process, as the build's pool does) is
    found there by the same call: same key, and no model is fitted again."""
    import os

    from cscbook.models import backtest, forecast
    from cscbook.models.demand import monthly_series

    ctx = BuildContext.create(tmp_path / "out", jobs=1, paper=False)
    ed = ctx.edition("938", "2019Q2")
    models = ("naive", "seasonal_naive")
    code = ("from cscbook.build.context import BuildContext\nfrom cscbook.models.demand import monthly_series\n"
            "from cscbook.models import shared\n"
            f"ctx = BuildContext.create({str(tmp_path / 'out')!r})\ned = ctx.edition('938', '2019Q2')\n"
            "s = monthly_series(ed.council.code, ed.quarter)\n"
            f"print(len(shared.monthly_backtest(ed.cache, s.referrals, models={models!r})))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr
    series = monthly_series(ed.council.code, ed.quarter)
    # each model's rows are kept on their own (the build computes them side by side)
    assert all(ed.cache.has(backtest.backtest_errors, series.referrals, models=(m,)) for m in models)
    fits = []
    real_fit = forecast.fit_forecast
    monkeypatch.setattr(forecast, "fit_forecast", lambda *a, **k: fits.append(a[1]) or real_fit(*a, **k))
    errors = shared.monthly_backtest(ed.cache, series.referrals, models=models)
    assert fits == [] and len(errors) == int(proc.stdout)
    assert set(errors["model"]) == set(models) and errors["origin"].nunique() == 9
    # another data or code version is another folder: nothing is reused across versions
    assert ed.cache.folder == ctx.shared_dir and ctx.shared_dir.name.startswith(ctx.data_version[:16])


def test_a_series_keeps_its_cache_key_once_it_has_been_used(tmp_path):
    """pandas caches attributes inside a series as it is used (its period index's dtype) and pickles them: the
    shared cache keys a series by its content, so a result is found again after the series has been used."""
    from cscbook.core.cache import SharedCache
    from cscbook.models import backtest, forecast
    from cscbook.models.demand import monthly_series

    ed = BuildContext.create(tmp_path / "out", jobs=1, paper=False).edition("938", "2019Q2")
    y = monthly_series(ed.council.code, ed.quarter).referrals
    sc = SharedCache(tmp_path / "shared")
    first = shared.monthly_forecast(sc, y, "naive")
    backtest.backtest_errors(y, models=("seasonal_naive",))  # the series used, as a chapter uses it
    assert sc.has(forecast.fit_forecast, y, "naive", 12)
    pd.testing.assert_frame_equal(shared.monthly_forecast(sc, y, "naive"), first)


def test_a_councils_generated_example_is_made_once_for_all_its_readers(tmp_path, monkeypatch):
    """A council without an extract gets a generated example (about a third of a second to make); the forecast
    part, the chapter, the headlines and the ledger read it from the edition's shared cache, not each anew."""
    from cscbook.data import illustrative
    from cscbook.models.demand import monthly_series
    from cscbook.models.ledger import edition_ledger

    ed = BuildContext.create(tmp_path / "out", jobs=1, paper=False).edition("938", "2019Q2")
    plain = monthly_series(ed.council.code, ed.quarter)
    first = monthly_series(ed.council.code, ed.quarter, None, ed.cache)
    assert ed.cache.has(illustrative.example_extract, "938")
    pd.testing.assert_frame_equal(first.frame, plain.frame)
    made = []  # the example's months are weighted by seasonal_weights: a second making would call it
    monkeypatch.setattr(illustrative, "seasonal_weights", lambda *a: made.append(a) or pytest.fail("made again"))
    again = monthly_series(ed.council.code, ed.quarter, None, ed.cache)
    pd.testing.assert_frame_equal(again.frame, plain.frame)
    ledger = edition_ledger(ed.council.code, ed.quarter, None, models=("naive",), cache=ed.cache)
    assert made == [] and (ledger["model"] == "naive").any()


def test_a_backtest_joined_from_each_models_rows_is_the_backtest_of_all_models(tmp_path):
    """The shared cache keeps each model's backtest rows apart; joined, they are the frame one call for every model
    gives, row for row. The build's parts name every model once."""
    from cscbook.core.cache import SharedCache
    from cscbook.models import backtest, forecast
    from cscbook.models.demand import monthly_series

    ctx = BuildContext.create(tmp_path / "out", jobs=1, paper=False)
    ed = ctx.edition("938", "2019Q2")
    y = monthly_series(ed.council.code, ed.quarter).referrals
    models = ("seasonal_naive", "naive", "stl")
    joined = shared.monthly_backtest(SharedCache(tmp_path / "shared"), y, models=models)
    pd.testing.assert_frame_equal(joined, backtest.backtest_errors(y, models=models))
    assert list(joined["model"].iloc[:3]) == ["seasonal_naive"] * 3 and joined["origin"].is_monotonic_increasing
    parts = [p.split()[1] for p in build_precompute.EDITION_PARTS if p.startswith("backtest ")]
    assert sorted(parts) == sorted(forecast.MODELS)


def test_chapters_declare_what_they_read_and_the_build_computes_only_that(tmp_path, monkeypatch):
    """chapters.yml names the shared results each chapter reads: the build computes those (and no others) while
    the chapters run, starting the chapters that read no forecast first; an unknown name is refused."""
    entries = registry.chapters()
    by_name = {Path(e["notebook"]).stem: e for e in entries}
    assert registry.reads([by_name["scorecard"], by_name["timeline"]]) == set()
    assert registry.reads([by_name["summary"]]) == {"monthly"}
    assert registry.reads([{"notebook": "undeclared.ipynb"}]) == set(registry.SHARED_RESULTS)
    order = [Path(e["notebook"]).stem for e in build_module._run_order(entries)]
    assert set(order[:3]) == {"demand", "timeline", "scorecard"} and order[3] == "forecast"
    done = []
    for name in ("_annual_results", "_event_results"):
        monkeypatch.setattr(build_precompute, name, lambda folder, name=name: done.append(name))
    monkeypatch.setattr(build_precompute, "_edition_results", lambda ed, parts: done.extend(parts))
    ctx = BuildContext.create(tmp_path / "out", jobs=1, paper=False)
    build_precompute.precompute(ctx, [ctx.edition("825", "2019Q1")], needed={"events", "flow"})
    assert done == ["_event_results", "flow"]
    bad = tmp_path / "root"
    shutil.copytree(ROOT / "notebooks", bad / "notebooks")
    (bad / "notebooks" / "chapters.yml").write_text("chapters:\n  - notebook: notebooks/summary.ipynb\n"
                                                    "    reads: [monthly, weather]\n")
    monkeypatch.setenv("CSCBOOK_ROOT", str(bad))
    with pytest.raises(CSCBookError, match="reads 'weather', which is not a shared result"):
        registry.chapters()


def test_a_councils_annual_backtest_from_the_shared_one_is_the_same(tmp_path):
    from cscbook.core.cache import SharedCache
    from cscbook.models import annual

    sc = SharedCache(tmp_path / "shared")
    for la in ("825", "938"):
        summary, detail = shared.annual_backtest(sc, la)
        expected_summary, expected_detail = annual.backtest(la)
        pd.testing.assert_frame_equal(summary, expected_summary)
        pd.testing.assert_frame_equal(detail, expected_detail)
        assert len(summary) == len(annual.METHODS) and set(detail["old_la_code"]) == {la}


def test_two_builds_of_the_same_edition_at_once_both_succeed(tmp_path, monkeypatch):
    import threading

    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Same"),
                nbformat.v4.new_code_cell('la = "825"\nquarter = ""', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("from cscbook.build.chapter import setup\nprint(setup(globals()).slug)")]
    chapter = tmp_path / "same.ipynb"
    nbformat.write(nb, chapter)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(chapter)}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    results, errors = [], []

    def one():
        try:
            ctx = BuildContext.create(tmp_path / "out", jobs=1, force=True, paper=False)
            results.append(build_module.build(ctx, ctx.edition("825", "2019Q2"), log=lambda m: None))
        except Exception as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert (results[0] / "_build" / "html" / "index.html").exists()
    assert not list((tmp_path / "out" / "editions").glob(".staging-*"))
    # rebuilt again: its chapter comes from the cache, so no kernel is started
    warmed = []
    monkeypatch.setattr(build_kernels.Kernels, "warm", lambda self: warmed.append(self))
    ctx = BuildContext.create(tmp_path / "out", jobs=1, force=True, paper=False)
    messages = []
    build_module.build(ctx, ctx.edition("825", "2019Q2"), log=messages.append)
    assert warmed == [] and any("unchanged, from cache" in m for m in messages)


def test_a_reused_kernel_starts_each_chapter_empty():
    """What one chapter left in a kernel of the pool (its names, its outputs, matplotlib settings) is gone before
    the next chapter runs there; the imported modules stay."""
    import sys

    import matplotlib
    from IPython.core.interactiveshell import InteractiveShell

    from cscbook.report.notebook import fresh_start

    shell = InteractiveShell.instance()
    with matplotlib.rc_context():  # this test process's own settings come back afterwards
        result = shell.run_cell("import pandas as pd\nimport matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 9\n"
                                "la = '938'\nframe = pd.DataFrame({'a': [1]})\nframe", store_history=True)
        assert result.success and "frame" in shell.user_ns and shell.user_ns["_oh"]
        fresh_start(shell)
        reset_width = matplotlib.rcParams["lines.linewidth"]
    assert not {"la", "frame", "pd", "matplotlib"} & set(shell.user_ns)
    assert not shell.user_ns["_oh"] and not [n for n in shell.user_ns if n[:1] == "_" and n[1:].isdigit()]
    assert shell.user_ns["_"] == "" and reset_width != 9
    assert "pandas" in sys.modules


def test_the_paper_waits_for_the_pages_and_prints_nothing_without_them(tmp_path):
    """The committee paper's browser starts while the book compiles and waits for the pages: pages written
    meanwhile are printed in book order; when the book failed it prints nothing."""
    import os

    from pypdf import PdfReader

    from cscbook.report.browser import chromium
    from cscbook.report.paper import print_paper

    if not chromium():
        if os.environ.get("CSCBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed")
        pytest.skip("chromium is not installed")
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True)
    meta = {"council": "Buckinghamshire", "quarter": "2019Q2", "printed": "2019-07-01"}
    asked = []
    assert print_paper(html, meta, ready=lambda: asked.append(True) or False) is None
    assert asked == [True] and not list(html.rglob("*.pdf*"))

    def pages_written():
        for name in ("forecast", "summary"):
            (html / "notebooks" / f"{name}.html").write_text(
                f"<!DOCTYPE html><html lang='en'><body><main><h1>The {name} page</h1></main></body></html>")
        return True

    out = print_paper(html, meta, ready=pages_written)
    texts = [page.extract_text() for page in PdfReader(str(out)).pages]
    # the cover and the executive summary, then the chapters
    assert len(texts) == 4 and "The summary page" in texts[2] and "The forecast page" in texts[3]
    assert "Buckinghamshire" in texts[0] and "Executive summary" in texts[1]
    assert not list(html.rglob("*.pdf.tmp")) and not list(html.rglob(".paper-*.html"))  # nothing left behind


def test_one_printer_prints_each_editions_own_paper_and_restarts_a_dead_browser(tmp_path, monkeypatch):
    """A batch's papers are printed by one browser: each edition's paper holds its own pages (none read from the
    browser's cache of an earlier edition's), the browser is started once, and again only if it has died; a paper
    whose browser dies while it prints is printed again."""
    import os

    from pypdf import PdfReader

    from cscbook.report import browser, paper

    if not browser.chromium():
        if os.environ.get("CSCBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed")
        pytest.skip("chromium is not installed")
    launches = []
    real_launch = paper.Printer._launch

    async def counted(self, executable):
        launches.append(executable)
        return await real_launch(self, executable)

    monkeypatch.setattr(paper.Printer, "_launch", counted)

    def edition(name: str) -> Path:
        html = tmp_path / name / "html"
        (html / "notebooks").mkdir(parents=True)
        (html / "notebooks" / "summary.html").write_text(
            f"<!DOCTYPE html><html lang='en'><body><main><h1>Summary of {name}</h1></main></body></html>")
        return html

    def text(pdf: Path) -> str:
        return " ".join(page.extract_text() for page in PdfReader(str(pdf)).pages)

    with paper.Printer() as printer:
        first = text(printer.print(edition("Halton"), {"council": "Halton", "quarter": "2026Q1"}))
        second = text(paper.print_paper(edition("Walsall"), {"council": "Walsall", "quarter": "2026Q1"},
                                        printer=printer))
        assert "Summary of Halton" in first and "Summary of Walsall" in second and "Halton" not in second
        assert len(launches) == 1
        browser = printer._browser.result()[1]
        printer._submit(browser.close()).result()  # the browser dies between two papers
        third = text(printer.print(edition("Redcar"), {"council": "Redcar", "quarter": "2026Q1"}))
        assert "Summary of Redcar" in third and len(launches) == 2
        # the browser dies while a paper prints: the paper is printed again in a browser started afresh
        real_print, tries = paper._print_page, []

        async def dies_once(context, *args):
            tries.append(1)
            if len(tries) == 1:
                await context.browser.close()
                raise RuntimeError("Target page, context or browser has been closed")
            return await real_print(context, *args)

        monkeypatch.setattr(paper, "_print_page", dies_once)
        fourth = text(printer.print(edition("Wirral"), {"council": "Wirral", "quarter": "2026Q1"}))
        assert "Summary of Wirral" in fourth and len(tries) == 2 and len(launches) == 3
    assert not printer._thread.is_alive()
    printer.close()  # closing twice does nothing more; a paper after closing is refused, not left waiting
    with pytest.raises(CSCBookError, match="printer was closed"):
        printer.print(edition("Sefton"), {"council": "Sefton", "quarter": "2026Q1"})


def test_the_paper_is_one_page_of_the_chapters_each_from_a_new_sheet():
    """The chapters are joined into one document to print: the first chapter's page (its head and style sheets)
    holding each chapter's print heading and article in turn, every chapter after the first on a new sheet."""
    from cscbook.report.paper import paper_page

    def book_page(title: str) -> str:  # the shape of the theme's pages (synthetic)
        return (f"<html><head><title>{title}</title><link rel='stylesheet' href='../_static/cscbook.css'></head>"
                f"<body><nav>menu</nav><div class='bd-article-container'><div id=\"jb-print-docs-body\" "
                f"class=\"onlyprint\"><h1>{title}</h1></div><div id=\"searchbox\"></div><article class=\"bd-article\">"
                f"<h1>{title}</h1><p>{title} text</p></article></div><footer>end</footer></body></html>")

    page = paper_page([book_page("Headlines"), book_page("Scorecard"), book_page("Forecast")])
    assert page.startswith("<html><head><title>Headlines</title><link rel='stylesheet'")
    assert page.count("<nav>menu</nav>") == 1 and page.endswith("</div><footer>end</footer></body></html>")
    assert page.index("Headlines text") < page.index("Scorecard text") < page.index("Forecast text")
    assert page.count('id="jb-print-docs-body"') == 3 and page.count('style="break-before: page"') == 2
    chapters = page.split('<section class="cscbook-paper-chapter"')[1:]
    assert "Headlines text" in chapters[0] and "break-before" not in chapters[0].split(">")[0]
    # any other page: its body
    plain = paper_page(["<html><body><h1>One</h1></body></html>", "<html><body><h1>Two</h1></body></html>"])
    assert plain.index("One") < plain.index("Two") and plain.count("<body>") == 1
    with pytest.raises(ValueError):
        paper_page([])
