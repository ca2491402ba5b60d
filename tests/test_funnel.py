"""Funnel plot limits: checked on synthetic councils drawn from known distributions, and on real data."""

import numpy as np
import pandas as pd

from cscbook.funnel import funnel, from_points, significance
from cscbook.indicators import la_panel


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
