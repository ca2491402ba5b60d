"""Funnel plot limits: checked on synthetic councils drawn from known distributions, and on real data."""

import numpy as np
import pandas as pd

from cscbook.models.funnel import from_points, funnel, significance
from cscbook.models.indicators import la_panel


def _synthetic(kind: str, seed: int = 7, n: int = 4000, extra_sd: float = 0.0) -> pd.DataFrame:
    """Synthetic councils: denominators from 2,000 to 300,000, counts drawn at a true rate of 5%."""
    rng = np.random.default_rng(seed)
    den = rng.integers(2_000, 300_000, n)
    p = np.clip(0.05 * np.exp(rng.normal(0, extra_sd, n)), 0, 1)
    counts = rng.poisson(den * p) if kind == "poisson" else rng.binomial(den, p)
    return pd.DataFrame({"old_la_code": [f"{i:04d}" for i in range(n)], "value": counts / den * 100,
                         "denominator": den})


def test_plain_limits_hold_the_stated_share_of_councils_under_chance_alone():
    for kind in ("poisson", "binomial"):
        f = from_points("synthetic", 2024, _synthetic(kind), 5.0, 100.0, kind, overdispersion=False)
        within95 = (f.points["z"].abs() <= 1.96).mean()
        within998 = (f.points["z"].abs() <= 3.09).mean()
        assert 0.94 <= within95 <= 0.96, (kind, within95)
        assert within998 >= 0.995, (kind, within998)
        lo, hi = f.limits(np.array([10_000.0]), 0.95)
        assert abs(hi[0] - 5.0 - 1.96 * np.sqrt((0.05 if kind == "poisson" else 0.05 * 0.95) / 10_000) * 100) < 1e-4


def test_overdispersion_is_estimated_and_widens_the_limits():
    chance = from_points("synthetic", 2024, _synthetic("poisson"), 5.0, 100.0, "poisson")
    assert chance.phi < 1.2
    spread = from_points("synthetic", 2024, _synthetic("poisson", extra_sd=0.2), 5.0, 100.0, "poisson")
    assert spread.phi > 20
    assert (spread.points["band"] == "within").mean() > 0.85


def test_buckinghamshire_referral_rate_against_england_2024():
    f = funnel("referrals_rate_per_10k", 2024)
    panel = la_panel()
    own = panel.loc[("825", 2024), "referrals_rate_per_10k"]
    assert f.points.set_index("old_la_code").at["825", "value"] == own
    assert len(f.points) > 140
    plain = funnel("referrals_rate_per_10k", 2024, overdispersion=False)
    # with chance alone most councils differ from England: the reason the limits are widened
    assert (plain.points["band"] != "within").mean() > 0.5
    assert significance(f, "825") in {"not significantly different from England",
                                      "significantly above England (95% limits)",
                                      "significantly below England (95% limits)"}
    assert significance(f, "999") == "not tested"


def _with_a_tiny_council() -> pd.DataFrame:
    """Synthetic councils (labelled S...): 120 with 20,000 to 300,000 children at about 500 referrals per 10,000,
    and one tiny council of 40 children at 6,000 per 10,000, the kind that squashed the page's axis."""
    rng = np.random.default_rng(11)
    den = rng.integers(20_000, 300_000, 120)
    rate = 500 * np.exp(rng.normal(0, 0.2, 120))
    pts = pd.DataFrame({"old_la_code": [f"S{i:03d}" for i in range(120)], "value": rate, "denominator": den})
    return pd.concat([pts, pd.DataFrame({"old_la_code": ["STINY"], "value": [6_000.0], "denominator": [40]})],
                     ignore_index=True)


def _edition(code="S000", neighbours=("S001", "S002")):
    from types import SimpleNamespace

    return SimpleNamespace(council=SimpleNamespace(code=code, name="Synthetic council", neighbours=list(neighbours)))


def test_the_axis_leaves_out_an_extreme_tiny_council_and_marks_it_at_the_edge(monkeypatch):
    import cscbook.report.notebook as nbm
    from cscbook.models.funnel import axis_range, beyond_axis
    from cscbook.report.figures import funnel_chart

    f = from_points("referrals_rate_per_10k", 2024, _with_a_tiny_council(), 500.0, 10_000.0, "poisson")
    lo, hi = axis_range(f, "S000")
    middle = f.points.loc[f.points["old_la_code"] != "STINY", "value"]
    assert hi < 1_500 < 6_000 and lo > 0  # the middle of the councils fills the axis, not the tiny one
    assert lo <= min(500.0, float(f.points.at[0, "value"])) <= hi
    assert (middle.between(lo, hi)).mean() >= 0.97
    above = list(beyond_axis(f, lo, hi).query("edge == 'above'")["old_la_code"])
    assert "STINY" in above and len(beyond_axis(f, lo, hi)) <= 4  # about 1% of 121 councils at each edge

    shown = {}
    monkeypatch.setattr(nbm, "show", lambda fig, alt, caption=None, data=None: shown.update(fig=fig, alt=alt, data=data))
    funnel_chart(f, _edition())
    ax = shown["fig"].axes[0]
    assert ax.get_ylim() == (lo, hi)
    edge = [c for c in ax.collections if c.get_label() == "Beyond the axis (above)"]
    assert len(edge) == 1 and (40.0, hi) in [tuple(p) for p in edge[0].get_offsets()]
    assert len(edge[0].get_offsets()) == len(above)
    assert "STINY (6,000.0)" in shown["alt"] and "drawn as triangles at its edge" in shown["alt"]
    assert shown["data"]["beyond-axis"] == len(beyond_axis(f, lo, hi))
    # the council is named beside its marker
    assert any(t.get_text() == "Synthetic council" for t in ax.texts)


def test_a_percentage_axis_never_runs_past_100():
    from cscbook.models.funnel import axis_range

    pts = pd.DataFrame({"old_la_code": [f"S{i:03d}" for i in range(60)] + ["STINY"],
                        "value": list(np.linspace(15, 35, 60)) + [100.0], "denominator": [500] * 60 + [2]})
    f = from_points("rereferral_pct", 2024, pts, 22.0, 100.0, "binomial")
    lo, hi = axis_range(f)
    assert 0 <= lo < 15 and 35 < hi <= 100 and hi < 50


def test_only_the_indicators_the_scorecard_rates_get_a_funnel():
    from cscbook.models.benchmark import SUPPRESSED
    from cscbook.models.funnel import rated

    card = pd.DataFrame({"indicator": ["referrals_rate_per_10k", "rereferral_pct", "cpp_repeat_pct", "cpp_2yrs_pct",
                                       "cla_rate_per_10k"],
                         "rag": ["not rated", "red", "green", SUPPRESSED, "amber"]})
    funnels = {i: object() for i in ["referrals_rate_per_10k", "rereferral_pct", "cpp_repeat_pct", "cpp_2yrs_pct"]}
    assert list(rated(funnels, card)) == ["rereferral_pct", "cpp_repeat_pct"]


def test_the_scorecard_draws_only_rated_funnels_and_the_appendix_diagnoses_every_tested_one():
    from pathlib import Path

    import nbformat

    from cscbook.models.funnel import diagnostics

    root = Path(__file__).resolve().parents[1]
    scorecard = "\n".join(c.source for c in nbformat.read(root / "notebooks" / "scorecard.ipynb", as_version=4).cells)
    assert "for name, f in rated(funnels, card).items():\n    funnel_chart(f, ed)" in scorecard
    f = from_points("referrals_rate_per_10k", 2024, _with_a_tiny_council(), 500.0, 10_000.0, "poisson")
    d = diagnostics({"referrals_rate_per_10k": f}, "S000").iloc[0]
    assert d["plotted"] == 121 and d["within_95"] + d["above_95"] + d["below_95"] == 121
    assert d["beyond_axis"] >= 1 and d["council_value"] == f.points.at[0, "value"]
    # the council's own value is always on the axis, however extreme
    tiny = diagnostics({"referrals_rate_per_10k": f}, "STINY").iloc[0]
    assert tiny["council_value"] == 6_000.0
    assert tiny["beyond_axis"] < d["beyond_axis"]
    assert d["overdispersion"] == f.phi > 1
