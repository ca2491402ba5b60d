"""Councils' own monthly extracts as they really come: current (running past the last year DfE has published)
and short (12 to 47 months). Every extract here is SYNTHETIC, generated in code: a level with a seasonal
swing and a little noise, never a real council's months."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cscbook.core.quarters import Quarter
from cscbook.data.monthly import write_csv
from cscbook.models import history
from cscbook.models.demand import ShortHistoryError, monthly_series

SEASON = np.array([1.00, 0.95, 1.05, 0.90, 0.70, 1.10, 1.15, 1.05, 0.85, 1.00, 1.00, 1.10])  # April first


def synthetic_extract(tmp_path, months: int, end: str, level: float = 550.0, seed: int = 7):
    """A SYNTHETIC monthly extract of ``months`` months ending ``end`` (YYYY-MM), written as the contract CSV."""
    index = pd.period_range(end=pd.Period(end, freq="M"), periods=months, freq="M")
    rng = np.random.default_rng(seed)
    season = SEASON[[(m.month - 4) % 12 for m in index]]
    referrals = np.round(level * season * (1 + 0.002 * np.arange(months)) + rng.normal(0, 15, months))
    frame = pd.DataFrame({"referrals": referrals.astype(float)}, index=pd.PeriodIndex(index, name="month"))
    return write_csv(frame, tmp_path / f"synthetic-{months}-{end}.csv")


@pytest.mark.parametrize("months, seasonal, models, min_train", [
    (12, False, ("recent_mean",), None),
    (23, False, ("recent_mean",), None),
    (24, False, history.SHORT_MODELS, 12),
    (35, False, history.SHORT_MODELS, 12),
    (36, True, history.forecast.MODELS, 24),
    (45, True, history.forecast.MODELS, 24),
    (48, True, history.forecast.MODELS, 36),
    (72, True, history.forecast.MODELS, 36),
])
def test_what_each_length_of_history_supports(months, seasonal, models, min_train):
    plan = history.plan_for(months)
    assert (plan.seasonal, plan.models, plan.min_train) == (seasonal, models, min_train)
    assert plan.sentence.startswith(f"{months} months of referrals")
    assert ("seasonal" in plan.sentence) and "error" not in plan.sentence.lower()
    # the standard backtest keeps the keys its cached results always had
    assert (plan.backtest_kwargs == {}) == (min_train in (None, 36))


def test_no_seasonal_method_below_three_years():
    for n in (12, 24, 35):
        assert not set(history.plan_for(n).models) & {"seasonal_naive", "ets", "sarimax", "stl"}


# each synthetic extract with the quarter it is built for: ending after the last published year (2025, as known
# at 2026Q1) and ending in it (2025-03 at 2025Q4, when the year to March 2025 had been published)
CASES = [(12, "2026-03", "2026Q1"), (24, "2026-03", "2026Q1"), (36, "2026-03", "2026Q1"),
         (45, "2025-12", "2026Q1"), (48, "2026-03", "2026Q1"), (72, "2026-03", "2026Q1"),
         (24, "2025-03", "2025Q4"), (48, "2025-03", "2025Q4")]


@pytest.mark.parametrize("months, end, quarter", CASES, ids=[f"{m}-to-{e}" for m, e, _ in CASES])
def test_every_history_from_twelve_months_forecasts(tmp_path, months, end, quarter):
    q = Quarter.parse(quarter)
    series = monthly_series("919", q, str(synthetic_extract(tmp_path, months, end)), today=date(2026, 12, 4))
    assert len(series.frame) == months and series.partial is None
    result = history.monthly_forecast(series, q)
    last = pd.Period(end, freq="M")
    assert result.fc_all.index[0] == last + 1                       # from the month after the last complete month
    assert result.fc.index[0] == pd.Period(q.end, freq="M") + 1     # the twelve months after the quarter
    assert len(result.fc) == 12 and (result.fc["mean"] > 0).all()
    assert result.model in result.plan.models
    assert result.plan.seasonal == (months >= 36)
    # calibrated only where the backtest has five origins or more at the published horizons: of these, only the
    # 72 months to the quarter's end (nine origins at horizons 1 to 12); elsewhere the model's own, said so
    assert result.calibrated_ok == (months == 72)
    assert ("no bias is taken off" in result.sentence()) == (not result.calibrated_ok)
    if not result.calibrated_ok:
        pd.testing.assert_frame_equal(result.planned, result.fc)
    if months < 24:
        assert "No backtest is possible" in result.sentence()
    sentences = " ".join(history.next_year_sentences(result))
    if months >= 36:
        assert result.tested and "Likeliest peak month" in sentences
    else:
        assert result.model in ("naive", "recent_mean", "ets_trend")  # a method without seasonality
        assert "Without seasonality" in sentences and "peak" not in sentences
        assert result.tested == (months >= 24)
        if months < 24:
            assert result.model == "recent_mean" and "No backtest was possible" in sentences
            recent = series.referrals.iloc[-12:]
            assert result.fc["mean"].iloc[0] == pytest.approx(recent.mean())


def test_a_partial_last_month_is_left_out_and_said_so(tmp_path):
    path = synthetic_extract(tmp_path, 30, "2026-03")
    series = monthly_series("919", Quarter.parse("2026Q1"), str(path), today=date(2026, 3, 20))
    assert series.partial == pd.Period("2026-03", freq="M")
    assert series.frame.index.max() == pd.Period("2026-02", freq="M") and len(series.frame) == 29
    assert "March 2026 had not ended" in series.partial_sentence and "left out of the training" in series.partial_sentence
    result = history.monthly_forecast(series, Quarter.parse("2026Q1"))
    assert result.fc_all.index[0] == pd.Period("2026-03", freq="M")  # the forecast starts with the partial month
    # once the month is over it is complete
    again = monthly_series("919", Quarter.parse("2026Q1"), str(path), today=date(2026, 4, 1))
    assert again.partial is None and len(again.frame) == 30


def test_too_short_a_history_is_said_in_words(tmp_path):
    with pytest.raises(ShortHistoryError) as err:
        monthly_series("942", Quarter.parse("2024Q2"))  # Cumberland: no year of its own published by then
    plain = err.value.plain
    assert plain == ("DfE had published 0 years of this council's referrals by the end of 2024Q2, 0 months for the "
                     "illustrative monthly series; a forecast needs at least 12 months of referrals.")
    assert "--" not in plain and "example_extract" not in plain and "--quarter" in str(err.value)


def test_cumberland_gets_a_forecast_headline_without_program_text(tmp_path):
    from cscbook.build.context import make_edition
    from cscbook.models.changeclaims import forecast_headlines

    ed = make_edition("942", "2026Q1", cache_dir=tmp_path / "shared")
    [claim] = forecast_headlines(ed)
    text = claim.text
    assert not claim.problems()
    assert text.startswith("With 24 months of referrals, too few to see a seasonal pattern, the forecast from "
                           "April 2026 is ")
    for bad in ("--quarter", "example_extract", "generated", "choose a later quarter", "Error"):
        assert bad not in text
    early = forecast_headlines(make_edition("942", "2024Q2", cache_dir=tmp_path / "shared"))[0].text
    assert early.startswith("No monthly forecast in this edition: DfE had published 0 years")


def test_reconciliation_lists_unpublished_years_and_the_months_beyond(tmp_path):
    from cscbook.data import reconciliation
    from cscbook.data.monthly import read_extract

    frame = read_extract(synthetic_extract(tmp_path, 48, "2026-03"))
    q = Quarter.parse("2026Q1")
    rec = reconciliation.reconcile(frame, "919", q)
    assert rec["year"].tolist() == [2023, 2024, 2025, 2026]
    assert rec.iloc[-1]["flag"] == "unpublished" and pd.isna(rec.iloc[-1]["published"])
    assert str(rec["difference"].dtype) == "Int64"
    lines = reconciliation.edition_lines(frame, "919", q)  # crashed on 'difference' turned float by the gap
    assert lines[3] == f"  2026: derived {int(frame['referrals'].iloc[-12:].sum())}, not published by DfE"
    assert lines[0].startswith("  2023: derived ") and " published " in lines[0]
    assert lines[-1] == ("  The months from April 2025 to March 2026 (12 months) are beyond DfE's published totals "
                         "(the latest published year ends March 2025): they are the council's own figures, not yet "
                         "checked against table C1.")
    beyond = reconciliation.beyond_published(frame, Quarter.parse("2025Q4"))
    assert (beyond.months, str(beyond.first)) == (12, "2025-04")
    assert reconciliation.beyond_published(frame, Quarter.parse("2024Q1")).last_published == 2023


def test_months_after_the_quarter_are_counted_and_said(tmp_path):
    path = synthetic_extract(tmp_path, 30, "2026-06")
    series = monthly_series("919", Quarter.parse("2026Q1"), str(path), today=date(2026, 12, 4))
    assert series.frame.index.max() == pd.Period("2026-03", freq="M") and series.after_quarter == 3
    assert series.after_quarter_sentence.startswith("The monthly input has 3 later months after this edition's quarter")


@pytest.mark.parametrize("months", [30, 40])
def test_the_build_precomputes_the_backtest_the_chapter_reads(tmp_path, months):
    """The build's parts compute exactly the backtest the forecast chain then finds in the cache."""
    from cscbook.build import precompute as build_precompute
    from cscbook.build.context import make_edition
    from cscbook.core.cache import SharedCache

    path = synthetic_extract(tmp_path, months, "2026-03")
    ed = make_edition("919", "2026Q1", str(path), cache_dir=tmp_path / "shared")
    build_precompute._monthly.cache_clear()
    build_precompute._edition_results(ed, parts=tuple(p for p in build_precompute.EDITION_PARTS
                                                       if p.startswith("backtest")))
    series = monthly_series("919", Quarter.parse("2026Q1"), str(ed.monthly))
    plan = history.plan_for(months)
    spec = history.backtest_spec(series, Quarter.parse("2026Q1"))
    sc = SharedCache(tmp_path / "shared")
    assert plan.backtest_kwargs and spec.kwargs["min_train"] == plan.min_train  # neither is the standard backtest
    assert spec.models == plan.models
    assert all(sc.has(history.backtest.backtest_errors, spec.y, models=(m,), **spec.kwargs) for m in plan.models)
    # and the forecast chain finds every backtest it reads there: none is computed again
    misses, real = [], sc.call

    def call(f, *args, **kwargs):
        if f is history.backtest.backtest_errors and not sc.has(f, *args, **kwargs):
            misses.append(kwargs.get("models"))
        return real(f, *args, **kwargs)

    sc.call = call
    result = history.monthly_forecast(series, Quarter.parse("2026Q1"), sc)
    assert result.tested and set(result.errors["model"]) == set(plan.models) and not misses
