"""One entry point for an edition's results (:class:`cscbook.models.results.EditionResults`): the forecast chain is
computed once however many readers (properties, the headlines) ask for it; the scorecard's year rule."""

import pytest

from cscbook.build.context import make_edition
from cscbook.core.quarters import Quarter
from cscbook.models import changeclaims, headlines, history
from cscbook.models.results import EditionResults, scorecard_year


@pytest.fixture
def counted(monkeypatch):
    """Counts the calls to :func:`cscbook.models.history.monthly_forecast` (the chain) while a test runs."""
    calls = []
    real = history.monthly_forecast

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(history, "monthly_forecast", counting)
    return calls


def test_the_chain_is_computed_once_for_every_reader(counted):
    ed = make_edition("825", "2026Q1")
    res = EditionResults(ed, models=("seasonal_naive",))  # one cheap model: the count is what is tested
    ef = res.monthly_forecast
    assert res.monthly_forecast is ef and res.model == "seasonal_naive"
    assert res.capacity is res.capacity and res.capacity.result.plan.index.min() == ef.fc.index.min()
    parts = headlines.sections(ed, holding_only=False, res=res)
    (peak,) = changeclaims.forecast_headlines(ed, res=res)
    result, illustrative = headlines._capacity(ed, res)
    assert len(counted) == 1
    assert result is res.capacity.result and illustrative is True
    assert "seasonal_naive" in peak.text
    assert [c.name for c in parts["risk"] if c.name == "risk_capacity"] == ["risk_capacity"]


def test_short_history_gives_no_chain_and_says_why(counted):
    res = EditionResults(make_edition("942", "2024Q2"))
    if res.series is not None:
        pytest.skip("942 has a forecast at 2024Q2 in this data")
    assert res.monthly_forecast is None and res.capacity is None and res.model is None
    assert "a forecast needs at least" in res.short_reason
    assert counted == []


def test_the_scorecard_year_is_the_later_of_referrals_and_the_workforce_census(monkeypatch):
    # 2019Q4: referrals to March 2019 published, the workforce census to September 2018 (year 2018)
    assert scorecard_year(Quarter.parse("2019Q4")) == 2019
    assert scorecard_year(Quarter.parse("2019Q2")) == 2018
    res = EditionResults(make_edition("825", "2026Q1"))
    assert res.scorecard_year == 2025 and res.referrals_year == 2025
    assert set(res.scorecard["year"].astype(int)) <= {2024, 2025}
    assert list(res.headline_benchmark.index) == list(res.scorecard["indicator"])
    import cscbook.models.results as R

    later = {"referrals": 2020, "workforce": 2021}
    monkeypatch.setattr(R, "latest_year_published", lambda table, quarter: later.get(table))
    assert scorecard_year(Quarter.parse("2021Q1")) == 2021
    later["workforce"] = None
    assert scorecard_year(Quarter.parse("2021Q1")) == 2020
    later["referrals"] = None
    assert scorecard_year(Quarter.parse("2021Q1")) is None


def test_the_ledger_and_the_scenarios_read_the_results_instead_of_running_the_chain(counted, monkeypatch):
    import cscbook.models.ledger as L
    import cscbook.models.scenarios as S

    ed = make_edition("825", "2026Q1")
    res = EditionResults(ed, models=("seasonal_naive",))

    def no_series(*a, **k):
        raise AssertionError("the monthly series was made again")

    monkeypatch.setattr(L, "monthly_series", no_series)
    monkeypatch.setattr(S, "monthly_series", no_series)
    led = L.edition_ledger("825", ed.quarter, models=("seasonal_naive",), cache=ed.cache, results=res)
    monthly = led[led["kind"] == "monthly"]
    assert monthly["origin"].unique().tolist() == [str(res.series.frame.index.max())]
    chosen = S.default_scenarios("825", ed.quarter)[:1]
    cmp = S.comparison_for("825", ed.quarter, None, chosen, results=res)
    assert cmp.summary["scenario"].tolist() == ["Base case", "Demand 10% higher"]
    base = cmp.summary.set_index("scenario").at["Base case", "fte_needed_mean"]
    assert base == pytest.approx(res.capacity.result.plan["fte_needed"].mean())
    assert len(counted) == 1
