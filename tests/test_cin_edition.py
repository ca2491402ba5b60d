"""Editions built from a council's CIN census returns (SYNTHETIC returns generated in code, never real records).

* seven returns whose yearly referrals equal DfE's published C1 figures: the forecast chapter runs on the real
  (non-illustrative) basis and shows the reconciliation, peaks and the capacity plan; no child's ID or birth
  date reaches the site, the edition folder or the cache;
* returns whose totals are about 15% above C1: the headline and forecast pages carry the warning.
"""

import html as htmllib
import re
from pathlib import Path

import pytest
import synthetic_cin

from cscbook.build import batch as build_module
from cscbook.build import registry
from cscbook.build.context import BuildContext

ROOT = Path(__file__).resolve().parents[1]
#: two chapters as chapters.yml declares them (what they read is all the build computes for them)
CHAPTERS = [e for e in registry.chapters() if e["notebook"] in ("notebooks/summary.ipynb", "notebooks/forecast.ipynb")]


def _text(page: Path) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))


def _build(tmp_path, monkeypatch, synthetic):
    monkeypatch.setattr(build_module, "chapters", lambda: CHAPTERS)
    ctx = BuildContext.create(tmp_path / "out", paper=False)
    edition = ctx.edition("825", "2025Q4", cin_census=[str(f) for f in synthetic.files])
    dest = build_module.build(ctx, edition, log=lambda m: None)
    return ctx, dest


@pytest.fixture(scope="module")
def matching(tmp_path_factory):
    return synthetic_cin.generate(tmp_path_factory.mktemp("returns"), years=tuple(range(2019, 2026)))


def test_edition_from_seven_returns_is_real_and_private(matching, tmp_path, monkeypatch):
    ctx, dest = _build(tmp_path, monkeypatch, matching)
    html = dest / "_build" / "html"
    forecast = _text(html / "notebooks" / "forecast.html")
    assert "illustrative" not in forecast.lower()
    assert "table C1" in forecast and "agrees with DfE's published referrals" in forecast
    assert "peak" in forecast.lower() and "capacity" in forecast.lower()
    # no child-level value anywhere the build wrote: site, edition folder, caches
    # everything the build wrote but the theme's own static files (its source maps hold unrelated dates)
    everything = "".join(p.read_text(errors="ignore") for p in ctx.output.rglob("*")
                         if p.is_file() and "_static" not in p.parts)
    ids = set(matching.child_ids)
    assert ids and not ids & set(re.findall(r"SYN\w*?\d{7}", everything))
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", everything))
    official = set()
    for p in (ROOT / "data").rglob("*"):
        if p.is_file():
            official |= set(re.findall(r"\d{4}-\d{2}-\d{2}", p.read_text(errors="ignore")))
    births = set(matching.birth_dates) - official  # dates that could only have come from the returns
    assert births and not births & dates
    for f in matching.files:  # neither the input paths nor their names
        assert str(f) not in everything and f.name not in everything


def test_returns_that_disagree_with_c1_show_the_warning(tmp_path, monkeypatch):
    off = synthetic_cin.generate(tmp_path / "returns", years=(2022, 2023, 2024, 2025), scale=1.15, tag="off")
    _, dest = _build(tmp_path, monkeypatch, off)
    html = dest / "_build" / "html"
    for page in ("summary.html", "forecast.html"):
        assert "WARNING: the monthly input does not match what DfE published" in _text(html / "notebooks" / page)
