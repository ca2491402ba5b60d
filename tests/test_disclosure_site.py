"""An edition built from an extract with small counts publishes none of them (and the scan can fail)."""

import inspect
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cscbook.build import batch as build_module
from cscbook.build import precompute as build_precompute
from cscbook.build import registry
from cscbook.build.context import BuildContext, policy_from_env
from cscbook.core.disclosure import DisclosurePolicy
from cscbook.report import notebook as nb


class Tables(HTMLParser):
    """Collects (header, cell text) pairs from every table."""

    def __init__(self):
        super().__init__()
        self.cells, self.headers, self.col, self.in_cell, self.text, self.in_head = [], [], 0, False, "", False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.headers = []
        elif tag == "tr":
            self.col = 0
        elif tag in ("td", "th"):
            self.in_cell, self.text, self.in_head = True, "", tag == "th"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.in_cell:
            if self.in_head:
                self.headers.append(self.text.strip())
            elif self.col < len(self.headers):
                self.cells.append((self.headers[self.col], self.text.strip()))
            self.col += 1
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.text += data


def small_counts_in(site: Path) -> list:
    found = []
    for page in site.rglob("*.html"):
        parser = Tables()
        parser.feed(page.read_text(encoding="utf-8"))
        for header, text in parser.cells:
            if header in ("referrals", "contacts", "assessments", "open_cases") and re.fullmatch(r"[1-5]", text):
                found.append((page.name, header, text))
    return found


def small_extract(path: Path) -> Path:
    values = [3, 7, 12, 9, 4, 15, 11, 2, 8, 10, 14, 6] * 4
    months = [f"{2021 + (3 + i) // 12}-{(3 + i) % 12 + 1:02d}" for i in range(len(values))]
    path.write_text("month,referrals,social_workers_fte\n" +
                    "\n".join(f"{m},{v},4.5" for m, v in zip(months, values)) + "\n")
    return path


#: the chapters as chapters.yml declares them (what they read is all the build computes for them)
DECLARED = {Path(e["notebook"]).stem: e for e in registry.chapters()}
NB_TABLE_TAKES_POLICY = "policy" in inspect.signature(nb.table).parameters


@pytest.mark.parametrize("policy", ["on", "off"])
def test_small_counts_are_suppressed_in_the_html(policy, tmp_path, monkeypatch):
    if policy == "off" and not NB_TABLE_TAKES_POLICY:
        pytest.skip("the notebook tables do not take the edition's policy yet (nb.table(..., policy=ed.policy))")
    extract = small_extract(tmp_path / "small.csv")
    monkeypatch.setattr(build_module, "chapters", lambda: [DECLARED["forecast"]])
    ctx = BuildContext.create(tmp_path / "out", policy_from_env({"CSCBOOK_DISCLOSURE": policy}), paper=False)
    dest = build_module.build(ctx, ctx.edition("825", "2026Q1", str(extract)), log=lambda m: None)
    found = small_counts_in(dest / "_build" / "html")
    assert str(extract) not in "".join(p.read_text(errors="ignore") for p in dest.rglob("*") if p.is_file())
    if policy == "on":
        assert found == []
    else:
        assert found, "with the policy off the scan must find the small counts"


def test_same_edition_twice_gives_the_same_content_hash(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(build_module, "chapters", lambda: [DECLARED["forecast"], DECLARED["scorecard"]])
    hashes = []
    for run in ("first", "second"):  # separate output folders: no shared cache
        ctx = BuildContext.create(tmp_path / run, paper=False)
        dest = build_module.build(ctx, ctx.edition("West Sussex", "2019Q2"), log=lambda m: None)
        hashes.append(json.loads((dest / "edition.json").read_text())["content_hash"])
        colophon = (dest / "_build" / "html" / "book" / "colophon.html").read_text()
        assert hashes[-1] in colophon
    assert hashes[0] == hashes[1]


def test_an_edition_built_without_suppression_is_not_reused_with_it(tmp_path, monkeypatch):
    """The disclosure policy is part of every chapter's key and of the edition's input hash."""
    import nbformat

    chapter = tmp_path / "policy.ipynb"
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbformat.v4.new_markdown_cell("# Policy"), nbformat.v4.new_code_cell('la = "825"\nquarter = ""\nmonthly = ""\ndisclosure = "on"\ncache = ""',
                                            metadata={"tags": ["parameters"]}),
                  nbformat.v4.new_code_cell("from cscbook.report import notebook as nb\nfrom cscbook.build.chapter import setup\ned = setup(globals())\n"
                                            "print('policy', ed.policy.key)")]
    nbformat.write(book, chapter)
    monkeypatch.setattr(build_module, "chapters", lambda: [{"notebook": str(chapter)}])
    monkeypatch.setattr(build_precompute, "precompute", lambda *a, **k: [])
    shown = {}
    for policy in ("off", "on"):
        ctx = BuildContext.create(tmp_path / "out", DisclosurePolicy(enabled=policy == "on"), paper=False)
        ed = ctx.edition("825", "2019Q1")
        messages = []
        dest = build_module.build(ctx, ed, log=messages.append)
        assert not any("unchanged" in m for m in messages), (policy, messages)
        run = nbformat.read(dest / "notebooks" / "policy.ipynb", as_version=4)
        shown[policy] = "".join(o.get("text", "") for c in run.cells if "print('policy'" in c.source
                                for o in c.outputs)
    assert shown == {"off": "policy off\n", "on": "policy on\n"}
    # and the same policy again is unchanged: nothing runs
    messages = []
    build_module.build(ctx, ctx.edition("825", "2019Q1"), log=messages.append)
    assert any("unchanged" in m for m in messages)
