"""The analysts' appendix: technical material (backtests, model choice, intervals, the event study's tables and
council list, funnel diagnostics) lives in its own chapter, last in the book and never in the committee paper;
the leadership chapters carry none of its jargon and link to it in plain English."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from cscbook.build import pages as build_pages
from cscbook.build import registry
from cscbook.report import notebook as nb
from cscbook.report import paper

ROOT = Path(__file__).resolve().parents[1]
#: words a director should not meet on a leadership page (issue 29): they belong to the analysts' appendix
JARGON = re.compile(r"\bMASE\b|\bp[-_ ]values?\b|\bfixed[- ]effects?\b|bootstrap", re.IGNORECASE)
#: embedded images and downloads (base64) are not read: their letters can spell anything
DATA_URI = re.compile(r"data:[^\"' )]*")

ENTRIES = registry.chapters()
APPENDIX = [e for e in ENTRIES if e.get("part") == "appendix"]
#: every other chapter is read by leadership (the fact-check page included: it checks the headlines' words)
LEADERSHIP = [Path(e["notebook"]).stem for e in ENTRIES if e.get("part") != "appendix"]


def jargon_in(text: str) -> list[str]:
    """The jargon words in ``text`` (embedded data left out)."""
    return sorted({m.group(0) for m in JARGON.finditer(DATA_URI.sub("", text))})


def outputs_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        text = out.get("text", "")
        parts.append("".join(text) if isinstance(text, list) else text)
        for kind in ("text/html", "text/markdown", "text/plain"):
            value = out.get("data", {}).get(kind, "")
            parts.append("".join(value) if isinstance(value, list) else value)
    return "".join(parts)


def test_the_jargon_pattern_finds_what_it_must_and_skips_embedded_data():
    assert jargon_in("Best model by MASE: sarimax; p_value 0.03; two-way fixed effects; 95% bootstrap interval") == \
        ["MASE", "bootstrap", "fixed effects", "p_value"]
    assert jargon_in('<img src="data:image/svg+xml;base64,aGVsbG8gbWFzZQbootstrapMASE">') == []
    assert jargon_in("Tamase and masefield are not words here; the p value is") == ["p value"]


def test_the_appendix_is_a_declared_chapter_last_in_the_toc_and_not_in_the_paper(tmp_path):
    assert [e["notebook"] for e in APPENDIX] == ["notebooks/appendix.ipynb"]
    entry = APPENDIX[0]
    # it reads the results the forecast and demand pages read, computed once by the build for both
    assert set(entry["reads"]) == {"annual", "monthly", "events"} and float(entry["cost"]) > 0
    assert registry.reads(APPENDIX) == {"annual", "monthly", "events"}
    build_pages.write_toc(tmp_path, ENTRIES)
    toc = yaml.safe_load((tmp_path / "_toc.yml").read_text())
    last = toc["parts"][-1]
    assert last["caption"] == build_pages.APPENDIX_CAPTION
    assert last["chapters"] == [{"file": "notebooks/appendix"}]
    files = [c["file"] for part in toc["parts"] for c in part.get("chapters", [])]
    assert files[-1] == "notebooks/appendix" and files.count("notebooks/appendix") == 1
    assert {"file": "notebooks/forecast"} in toc["parts"][0]["chapters"]  # the leadership chapters stay first
    assert "appendix" not in paper.PAGES


def test_the_appendix_stays_last_after_the_source_documents_are_listed(tmp_path):
    from cscbook.data.register import council
    from cscbook.report.sourcepages import sources_for, write_source_pages

    code = next(c for c in ("825", "938", "909") if sources_for(c))  # a council with source documents
    build_pages.write_toc(tmp_path, ENTRIES)
    write_source_pages(tmp_path, type("Edition", (), {"council": council(code)})())
    captions = [part.get("caption") for part in yaml.safe_load((tmp_path / "_toc.yml").read_text())["parts"]]
    assert captions[-2:] == ["Sources", build_pages.APPENDIX_CAPTION]


def test_the_appendix_notebook_is_thin_with_the_chapters_parameters_and_every_linked_section():
    book = nbformat.read(ROOT / "notebooks" / "appendix.ipynb", as_version=4)
    forecast = nbformat.read(ROOT / "notebooks" / "forecast.ipynb", as_version=4)
    params = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source == next(
        c.source for c in forecast.cells if "parameters" in c.metadata.get("tags", []))
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "ed = setup(globals())" in code
    # the edition's one set of results the leadership pages read, not a second computation
    assert "res = EditionResults(ed)" in code
    for chain in ("monthly_forecast(", "annual_backtest(", "event_studies(", "benchmark("):
        assert f"res.{chain}" not in code and f"shared.{chain}" not in code and f"history.{chain}" not in code, chain
    targets = set(re.findall(r"^\(([a-z-]+)\)=$", "\n".join(c.source for c in book.cells if c.cell_type == "markdown"),
                             re.MULTILINE))
    assert targets == set(nb.APPENDIX_SECTIONS)
    for name in LEADERSHIP:
        source = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells)
        for section in re.findall(r"see_appendix\([^)]*?'([a-z-]+)'\)", source, re.DOTALL):
            assert section in targets, (name, section)


def test_each_moved_item_is_linked_from_its_leadership_page():
    linked = {}
    for name in ("forecast", "demand", "scorecard"):
        source = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells)
        linked[name] = set(re.findall(r"see_appendix\([^)]*?'([a-z-]+)'\)", source, re.DOTALL))
    assert linked == {"forecast": {"appendix-backtest", "appendix-intervals", "appendix-annual"},
                      "demand": {"appendix-events"}, "scorecard": {"appendix-funnels"}}


def test_see_appendix_links_the_words_and_refuses_an_unknown_section(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    nb.see_appendix("How well the models forecast the past is tested in the analysts' appendix.", "appendix-backtest")
    assert shown == ['<p class="cscbook-see-appendix">How well the models forecast the past is tested in the '
                     '<a href="appendix.html#appendix-backtest">analysts&#x27; appendix</a>.</p>'
                     .replace("&#x27;", "'")]
    with pytest.raises(ValueError, match="no appendix section 'backtests'"):
        nb.see_appendix("Tested in the analysts' appendix.", "backtests")
    with pytest.raises(ValueError, match="must name the analysts' appendix"):
        nb.see_appendix("Tested elsewhere.", "appendix-backtest")


@pytest.mark.parametrize("name", LEADERSHIP)
def test_leadership_chapter_sources_carry_no_jargon(name):
    book = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    found = {i: jargon_in(c.source) for i, c in enumerate(book.cells) if jargon_in(c.source)}
    assert found == {}, f"{name}: move these to the analysts' appendix: {found}"


@pytest.mark.parametrize("name", LEADERSHIP)
def test_leadership_chapter_outputs_carry_no_jargon(name):
    """What the committed chapter shows, the package's generated prose included (the committed notebooks are the
    latest edition, refreshed by the maintainers after a change to the chapters)."""
    book = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    found = {i: jargon_in(outputs_of(c)) for i, c in enumerate(book.cells) if jargon_in(outputs_of(c))}
    assert found == {}, f"{name}: the chapter shows {found}; move it to the analysts' appendix"
