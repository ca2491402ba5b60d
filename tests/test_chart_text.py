"""Chart text is at least 8 pt on the committee paper: each chart the chapters draw, drawn with the published data of
the default council (825, latest quarter), has every text (titles, tick labels, axis labels, annotations, legends)
at least 8 pt once the saved image is scaled to the printed width (the paper prints each figure at the sheet's full
width)."""

import matplotlib
import matplotlib.text
import pytest

from cscbook.report import notebook

MIN_PRINTED_PT = 8


@pytest.fixture(scope="module")
def drawn():
    """Every chart the chapters draw for 825 at the latest quarter, by name, as (figure, saved width in inches)."""
    from cscbook.build.context import make_edition
    from cscbook.data.edition import latest_quarter
    from cscbook.data.ofsted import judgements_until
    from cscbook.data.releases import latest_year_published
    from cscbook.data.timeline import timeline
    from cscbook.models import funnel, ledger, scenarios, shared
    from cscbook.models.benchmark import SUPPRESSED
    from cscbook.models.breaks import flagged_years
    from cscbook.models.capacity import edition_capacity
    from cscbook.models.demand import monthly_series
    from cscbook.models.history import monthly_forecast
    from cscbook.models.indicators import INDICATORS, indicators_for, mask_unpublished, multiples_frames
    from cscbook.report import charts
    from cscbook.report import figures as drawn_figures

    notebook.style()
    shown = notebook.show
    ed = make_edition("825", str(latest_quarter()))
    figures, heights = {}, {}
    current = []

    def keep(fig, alt, **kwargs):
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        figures[current[0]] = (fig, max(box.width, fig.get_size_inches()[0]))
        heights[current[0]] = max(box.height, fig.get_size_inches()[1])

    # the charts show their figures with notebook.show (charts imports it by name, the others when called)
    for module in (charts, notebook):
        module.show = keep
    try:
        judged = judgements_until(ed.council.code, ed.quarter)
        flags = flagged_years(ed.council.code)
        current[:] = ["headline_multiples"]
        charts.headline_multiples(multiples_frames(ed.council.code, ed.council.neighbours, ed.quarter,
                                                   charts.HEADLINE_INDICATORS), ed, judged, flags)
        data = mask_unpublished(indicators_for(ed.council.code, [i.name for i in INDICATORS], as_of=ed.quarter),
                                ed.quarter)
        for name in ("referrals_rate_per_10k", "cla_rate_per_10k", "caseload_per_fte", "referrals"):
            if name in data.columns:
                current[:] = [f"indicator_chart:{name}"]
                charts.indicator_chart(data, name, ed, judged, flags)
        flows = shared.flow(ed.cache, ed.council.code, ed.quarter)
        current[:] = ["flow_chart"]
        charts.flow_chart(flows[flows["year"] <= int(data["year"].max())], ed)
        current[:] = ["event_study_chart"]
        charts.event_study_chart(shared.event_studies(ed.cache))
        events = timeline(ed.council.code, ed.quarter)
        current[:] = ["timeline_chart"]
        charts.timeline_chart(events, ed, data, flags)
        year = latest_year_published("referrals", ed.quarter)
        card = shared.benchmark(ed.cache, ed.council.code, max(year, latest_year_published("workforce", ed.quarter) or year),
                                  quarter=ed.quarter)
        funnels = {i: funnel.funnel(i, int(y)) for i, y, r in zip(card["indicator"], card["year"], card["rag"])
                   if funnel.supported(i) and r != SUPPRESSED}
        for name, f in list(funnel.rated(funnels, card).items())[:2]:
            current[:] = [f"funnel_chart:{name}"]
            drawn_figures.funnel_chart(f, ed)
        series = monthly_series(ed.council.code, ed.quarter, None, ed.cache)
        ef = monthly_forecast(series, ed.quarter, ed.cache)
        current[:] = ["forecast_chart"]
        charts.forecast_chart(series, ef.shown, ef.model, ed, judged, flags)
        if ef.tested:
            current[:] = ["backtest_chart"]
            charts.backtest_chart(ef.scored_errors, series)
        track = ledger.annual_track_record(ed.council.code, "panel", as_of=ed.quarter.end,
                                           forecasts=shared.annual_with_intervals(ed.cache))
        current[:] = ["track_record_chart"]
        drawn_figures.track_record_chart(track, f"Annual referral forecasts against what happened: {ed.council.name}")
        ec = edition_capacity(ef, ed.quarter, ed.council.code)
        chosen = scenarios.for_edition(ed)
        cmpr = scenarios.compare_scenarios(ed.quarter, ed.council.code, series.frame, ef.fc_all, chosen, ec.staffing,
                                           ef.calibration if ef.calibrated_ok else None, ec.stock_cal)
        current[:] = ["scenario_chart"]
        drawn_figures.scenario_chart(cmpr, ed.council.name, series.illustrative)
    finally:
        for module in (charts, notebook):
            module.show = shown
    figures["_heights"] = heights
    yield figures
    notebook.plt.close("all")
    matplotlib.rcdefaults()


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def _charts(drawn):
    return {k: v for k, v in drawn.items() if k != "_heights"}


def test_every_chart_fits_one_printed_sheet_with_room_for_a_heading(drawn):
    for name, (fig, width) in _charts(drawn).items():
        printed = drawn["_heights"][name] * notebook.PRINTED_WIDTH_IN / width
        assert printed <= 0.9 * notebook.PRINTED_HEIGHT_IN, (name, printed)


def test_the_timeline_prints_under_its_chapters_opening_text(drawn):
    """The timeline chart leaves room on its sheet for the chapter's heading and opening paragraphs (it was printed
    alone on the next page, the first page holding two paragraphs)."""
    from cscbook.report.charts import TIMELINE_HEIGHT_SHARE

    fig, width = _charts(drawn)["timeline_chart"]
    printed = drawn["_heights"]["timeline_chart"] * notebook.PRINTED_WIDTH_IN / width
    assert printed <= TIMELINE_HEIGHT_SHARE * notebook.PRINTED_HEIGHT_IN, printed


def test_every_chart_the_chapters_draw_was_drawn(drawn):
    expected = {"headline_multiples", "indicator_chart:referrals_rate_per_10k", "flow_chart", "event_study_chart",
                "timeline_chart", "forecast_chart", "track_record_chart", "scenario_chart"}
    assert expected <= set(_charts(drawn))
    assert any(k.startswith("funnel_chart:") for k in drawn)


def test_every_text_prints_at_8pt_or_more(drawn):
    small = []
    for name, (fig, width) in _charts(drawn).items():
        scale = notebook.PRINTED_WIDTH_IN / width
        for t in _texts(fig):
            printed = t.get_fontsize() * scale
            if printed < MIN_PRINTED_PT - 1e-9:
                small.append(f"{name}: {t.get_text()[:30]!r} {t.get_fontsize():.1f} pt prints at {printed:.1f} pt "
                             f"(figure {width:.1f} in wide)")
    assert not small, "\n".join(small)


def test_figures_are_drawn_about_the_printed_width(drawn):
    # on screen the figures are shown at their own width: neither a postage stamp nor shrunk by half on paper
    for name, (fig, width) in _charts(drawn).items():
        assert 0.7 * notebook.PRINTED_WIDTH_IN <= width <= 1.35 * notebook.PRINTED_WIDTH_IN, (name, width)


def test_no_text_of_a_chart_writes_over_another(drawn):
    import itertools

    clashes = []
    for name, (fig, _) in _charts(drawn).items():
        renderer = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
        clashes += [(name, a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]
    assert not clashes, clashes


def _drawn_texts(fig):
    """The texts a reader sees: tick labels only of the ticks drawn (matplotlib keeps labels of ticks beyond the
    axis, undrawn), every other visible text as it is."""
    ticks = set()
    shown = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            every = axis.get_major_ticks() + axis.get_minor_ticks()
            ticks.update(id(label) for t in every for label in (t.label1, t.label2))
            for t in axis._update_ticks():  # the ticks within the view, those drawn
                shown += [label for label in (t.label1, t.label2) if label.get_visible() and label.get_text().strip()]
    return shown + [t for t in _texts(fig) if id(t) not in ticks]


def test_a_figure_is_shown_on_screen_at_its_saved_size(monkeypatch):
    """The page shows the saved image (legend beside the axes included) at its own size, 96 px to the inch, so its
    text reads at the size it was drawn; not squeezed into the width of the axes' figure."""
    import base64
    import re

    import IPython.display

    notebook.style()
    fig, ax = notebook.plt.subplots()
    ax.plot([1, 2], label="a legend entry long enough to widen the saved image")  # synthetic
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda h: shown.append(h.data))
    notebook.show(fig, "alt")
    page = shown[0]
    svg = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))
    saved_pt = float(re.search(rb'width="([0-9.]+)pt"', svg).group(1))
    shown_px = int(re.search(r"width:(\d+)px", page).group(1))
    assert abs(shown_px - saved_pt / 72 * 96) <= 1
    assert shown_px > notebook.FIGURE_WIDTH_IN * 96 + 50  # wider than the figure: the legend is counted
    matplotlib.rcdefaults()
