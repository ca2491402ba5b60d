"""The timeline chart a director can trust: no text overlaps another or leaves the figure, the count panels start
at zero, and Inadequate is told from Requires improvement by colour (under deuteranopia too) as well as shape."""

import itertools

import matplotlib
import numpy as np
import pytest

from cscbook.report import charts, notebook


def _draw(code: str, quarter: str):
    """The timeline chart of ``code`` at ``quarter`` as the timeline chapter draws it: (figure, data)."""
    from cscbook.build.context import make_edition
    from cscbook.data.timeline import timeline
    from cscbook.models.breaks import flagged_years
    from cscbook.models.indicators import indicators_for, mask_unpublished

    notebook.style()
    ed = make_edition(code, quarter)
    rates = mask_unpublished(indicators_for(ed.council.code, ["referrals_rate_per_10k", "cla_rate_per_10k"]),
                             ed.quarter)
    kept = []
    saved = charts.show
    charts.show = lambda fig, alt, data=None, **k: kept.append((fig, data))
    try:
        charts.timeline_chart(timeline(ed.council.code, ed.quarter), ed, rates, flagged_years(ed.council.code))
    finally:
        charts.show = saved
    assert len(kept) == 1
    return kept[0]


def _latest() -> str:
    from cscbook.data.edition import latest_quarter

    return str(latest_quarter())


CASES = [("825", None), ("825", "2019Q2"), ("938", None), ("938", "2019Q2")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1] or 'latest'}")
def drawn(request):
    code, quarter = request.param
    fig, data = _draw(code, quarter or _latest())
    fig.canvas.draw()  # the Agg canvas
    yield fig
    notebook.plt.close(fig)
    matplotlib.rcdefaults()


def _boxes(fig):
    """Every text the reader sees (tick labels of the ticks drawn only) with its box on the Agg canvas."""
    from test_chart_text import _drawn_texts

    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)]


def test_no_two_texts_of_the_timeline_overlap(drawn):
    boxes = _boxes(drawn)
    assert len(boxes) > 10
    clashes = [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]
    assert not clashes, clashes


def test_every_text_of_the_timeline_lies_inside_the_figure(drawn):
    frame = drawn.bbox
    outside = [text for text, box in _boxes(drawn)
               if box.x0 < frame.x0 - 0.5 or box.x1 > frame.x1 + 0.5 or box.y0 < frame.y0 - 0.5
               or box.y1 > frame.y1 + 0.5]
    assert not outside, outside


def test_no_label_is_cut_short(drawn):
    assert not [t for t, _ in _boxes(drawn) if "…" in t]


def test_the_judgements_are_labelled_and_the_key_events_too():
    fig, data = _draw("938", _latest())
    texts = [t for t, _ in _boxes(fig)]
    # each graded judgement is named on the chart with its month
    for when_grade in data["judgements"].split(";"):
        when, grade = when_grade.split("|")
        month = np.datetime64(when, "D").astype(object).strftime("%b %Y")
        assert f"{month}\n{grade}" in texts, (month, grade)
    notebook.plt.close(fig)


def test_the_count_panels_start_at_zero(drawn):
    rate_axes = drawn.axes[1:]
    assert rate_axes, "the rates are drawn under the events"
    for ax in rate_axes:
        assert ax.get_ylim()[0] == 0


def _deuteranopia(hex_colour: str) -> np.ndarray:
    """sRGB (0-255) as a deuteranope sees it (Machado, Oliveira and Fernandes 2009, severity 1, in linear RGB)."""
    m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(m @ linear, 0, 1)
    return 255 * np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)


def test_inadequate_and_requires_improvement_differ_by_colour_and_shape():
    red, orange = notebook.GRADE_COLOURS["Inadequate"], notebook.GRADE_COLOURS["Requires improvement"]
    rgb = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in (red, orange)]
    assert np.linalg.norm(rgb[0] - rgb[1]) > 100  # the old pair (#D55E00, #E69F00) were 67 apart
    assert np.linalg.norm(_deuteranopia(red) - _deuteranopia(orange)) > 80  # the old pair: 62
    assert rgb[0][0] > 2 * rgb[0][1]  # a red: red well above green
    assert notebook.GRADE_MARKERS["Inadequate"] != notebook.GRADE_MARKERS["Requires improvement"]


def test_ofsteds_published_visits_are_events_of_any_council_and_labelled_on_the_chart():
    """Focused and monitoring visits come from Ofsted's in-year table (data/official), for every council in it."""
    import pandas as pd

    from cscbook.core import paths
    from cscbook.data.ofsted import official_events_of
    from cscbook.data.register import council

    inyear = pd.read_csv(paths.official_dir() / "ofsted_ilacs_inyear_inspections_and_visits_2024_25.csv", dtype=str)
    visits = inyear[inyear["Inspection/Visit type"].str.contains("Visit")]
    assert len(visits) > 10
    for code in ("825", "938"):
        events = official_events_of(code)
        got = events[(events["kind"] == "visit") & (events["source"] == "ofsted_ilacs_inyear_inspections_and_visits_2024_25.csv")]
        name = council(code).name
        expected = visits[visits["Local authority name"] == name]
        assert sorted(got["date"]) == sorted(expected["Publication date"]), code
    # West Sussex's focused visit of July 2024 is drawn and named on its timeline
    fig, _ = _draw("938", _latest())
    fig.canvas.draw()
    texts = [t for t, _ in _boxes(fig)]
    assert any("Focused Visit" in t and "Aug 2024" in t for t in texts), texts
    notebook.plt.close(fig)
