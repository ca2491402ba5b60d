from cscbook.report import figures

"""The forecast ledger: exact round trip, atomic writes, scoring only against observations dated after the
forecast and known by the scoring date, the annual track record rebuilt from the backtest, and sign-driven
wording. Ledgers and observations here are SYNTHETIC (generated in code) unless a test names an official file."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cscbook.core.quarters import Quarter
from cscbook.models import ledger as L


def synthetic_fc(start="2025-04", n=12, level=100.0) -> pd.DataFrame:
    idx = pd.period_range(start, periods=n, freq="M")
    m = level + np.arange(n) / 3  # thirds: not exactly representable, so the round trip is tested for real
    return pd.DataFrame({"mean": m, "lower_80": m - 10.1, "upper_80": m + 10.7, "lower_95": m - 17.3,
                         "upper_95": m + 19.9}, index=idx)


def synthetic_ledger(quarter=Quarter(2025, 1), code="825") -> pd.DataFrame:
    monthly = L.monthly_entries(synthetic_fc(), code, quarter, "ets", pd.Period("2025-03", freq="M"),
                                "council extract")
    annual = pd.DataFrame({"method": ["naive", "mean3"], "year": [2026, 2026], "forecast": [5500.0, 5712.25],
                           "lower_80": [4400.5, 4600.0], "upper_80": [6900.0, 7100.0], "lower_95": [4000.0, 4100.0],
                           "upper_95": [7600.0, 7800.0]})
    return pd.concat([monthly, L.annual_entries(annual, code, quarter, 2025)], ignore_index=True)


def test_ledger_round_trips_exactly(tmp_path):
    led = synthetic_ledger()
    path = L.write_ledger(tmp_path / "825-buckinghamshire-2025Q1" / L.LEDGER_FILE, led)
    back = L.read_ledgers(tmp_path, "825")
    pd.testing.assert_frame_equal(back, led, check_exact=True, check_dtype=False)
    assert back["horizon"].tolist()[:3] == [1, 2, 3]
    assert [p.name for p in path.parent.iterdir()] == [L.LEDGER_FILE]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_ledger_untouched(tmp_path):
    path = L.write_ledger(tmp_path / L.LEDGER_FILE, synthetic_ledger())
    before = path.read_bytes()
    with pytest.raises(ValueError):
        L.write_ledger(path, synthetic_ledger().drop(columns=["upper_95"]))
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_read_ledgers_finds_only_this_councils_earlier_editions(tmp_path):
    for q in (Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2)):
        L.write_ledger(tmp_path / f"825-buckinghamshire-{q}" / L.LEDGER_FILE, synthetic_ledger(q))
    L.write_ledger(tmp_path / f"938-west-sussex-2025Q1" / L.LEDGER_FILE, synthetic_ledger(Quarter(2025, 1), "938"))
    got = L.read_ledgers(tmp_path, "825", before=Quarter(2025, 2))
    assert sorted(set(got["edition"])) == ["2024Q4", "2025Q1"] and set(got["council"]) == {"825"}
    assert L.read_ledgers(tmp_path, "826").empty


def test_scoring_uses_only_observations_after_the_forecast_and_known_by_as_of():
    led = synthetic_ledger()  # made 31 March 2025; monthly targets 2025-04 .. 2026-03; annual target 2026
    months = pd.period_range("2024-01", "2026-12", freq="M")
    observed = pd.Series(np.linspace(90, 130, len(months)), index=months)
    annual = pd.Series({2024: 6000.0, 2025: 5518.0, 2026: 5600.0})
    s = L.score(led, observed, annual, as_of=date(2025, 8, 15))
    assert s["target"].tolist() == ["2025-04", "2025-05", "2025-06", "2025-07"]  # August not over by the 15th
    assert (s["observed_on"] > date(2025, 3, 31)).all() and (s["observed_on"] <= date(2025, 8, 15)).all()
    # observations before the forecast or after as_of cannot change the score
    tampered = observed.copy()
    tampered[tampered.index <= pd.Period("2025-03", freq="M")] *= 10
    tampered[tampered.index >= pd.Period("2025-08", freq="M")] *= 10
    pd.testing.assert_frame_equal(L.score(led, tampered, annual, date(2025, 8, 15)), s)
    # a forecast whose target was already observed when it was made is never scored
    early = led.copy()
    early.loc[early["kind"] == "monthly", "made"] = "2025-06-30"
    assert L.score(early, observed, None, date(2025, 8, 15))["target"].tolist() == ["2025-07"]
    # the year to March 2026 is published in the autumn of 2026 (data/curated/releases.csv: October, so 2026Q4)
    assert L.score(led, None, annual, date(2026, 12, 30)).empty
    a = L.score(led, None, annual, date(2026, 12, 31))
    assert a["target"].tolist() == ["2026", "2026"] and a["error"].tolist() == [-100.0, 112.25]
    assert a["inside_80"].tolist() == [True, True]


def test_inside_flags_and_errors():
    led = synthetic_ledger().iloc[:2]
    obs = pd.Series([led["upper_80"].iloc[0], led["upper_80"].iloc[1] + 0.01],
                    index=pd.period_range("2025-04", periods=2, freq="M"))
    s = L.score(led, obs, None, date(2026, 1, 1))
    assert s["inside_80"].tolist() == [True, False] and s["inside_95"].tolist() == [True, True]
    np.testing.assert_allclose(s["error"], led["mean"] - obs.to_numpy())


def test_annual_track_record_rebuilt_from_the_backtest_without_editions():
    tr = L.annual_track_record("825", "naive", as_of=date(2026, 3, 31))
    # naive forecasts are last year's published count: 2017 forecast = 2016 count, and so on
    # (dfe_cin_c1_referrals_rereferrals_2013_2025.csv, Buckinghamshire 825)
    by = tr.set_index("target")
    assert by.at["2017", "actual"] == 9204 and by.at["2018", "mean"] == 9204
    assert by.at["2019", "mean"] == 10337 and by.at["2019", "actual"] == 7640
    assert by.at["2025", "mean"] == 6620 and by.at["2025", "actual"] == 5518
    assert tr["target"].astype(int).min() == 2017
    assert {"2022", "2023"}.isdisjoint(tr["target"])  # recording-change years are left out
    assert (tr["observed_on"] > tr["made"].map(date.fromisoformat)).all()
    assert (tr["lower_80"] <= tr["mean"]).all() and (tr["mean"] <= tr["upper_80"]).all()
    # as_of before the 2025 figure was published: that year is not yet scored
    assert "2025" not in set(L.annual_track_record("825", "naive", as_of=date(2025, 9, 30))["target"])
    with pytest.raises(Exception, match="not known"):
        L.annual_track_record("825", "no_such_method")


def _scored(errors, inside=None):
    actual = np.full(len(errors), 100.0)
    return pd.DataFrame({"actual": actual, "mean": actual + np.asarray(errors, dtype=float),
                         "error": np.asarray(errors, dtype=float),
                         "inside_80": inside if inside is not None else [True] * len(errors),
                         "inside_95": [True] * len(errors)})


@pytest.mark.parametrize("errors,word", [
    ([10, 5, -1], "have run high"),
    ([-10, -5, 1], "have run low"),
    ([1.9, -0.5, 2.0], "neither high nor low"),
    ([2.0, 2.0, 2.0], "have run high"),   # exactly 2%: no longer "close"
    ([-2.0, -2.0, -2.0], "have run low"),
])
def test_high_or_low_follows_the_sign(errors, word):
    rec = L.summarise(_scored(errors))
    assert word in rec.sentence
    assert ("run high" in rec.sentence) == (np.mean(errors) >= 2)
    assert ("run low" in rec.sentence) == (np.mean(errors) <= -2)


def test_hit_rate_of_the_80_intervals():
    rec = L.summarise(_scored([1, 2, 3, 4, 5], inside=[True, False, True, False, True]))
    assert (rec.n, rec.hits_80, rec.hit_rate_80) == (5, 3, 0.6)
    assert "3 of 5 outcomes (60%) fell inside the 80% intervals" in rec.sentence
    assert L.summarise(_scored([])).n == 0 and "No earlier" in L.summarise(_scored([])).sentence


def test_track_record_chart_alt_text_states_the_hit_rate(monkeypatch):
    import cscbook.report.notebook as nb

    shown = {}
    monkeypatch.setattr(nb, "show", lambda fig, alt, caption=None: shown.update(fig=fig, alt=alt))
    scored = L.score(synthetic_ledger(), None, pd.Series({2026: 5600.0}), date(2027, 1, 1))
    figures.track_record_chart(scored, "Annual forecasts against what happened: Buckinghamshire")
    ax = shown["fig"].axes[0]
    assert ax.get_title().startswith("Annual forecasts") and ax.get_ylabel() and ax.get_xlabel() == "Year to 31 March"
    assert "2 of 2 actual values inside the 80% interval" in shown["alt"]
