"""Quantiles of the standard normal distribution the intervals use, as constants (no statistics library is loaded
to read them). Each is ``scipy.stats.norm.ppf`` of its probability, to the last bit (``tests/test_normal.py``)."""

from __future__ import annotations

#: the 80% two-sided interval's quantile, norm.ppf(0.9)
Z80 = 1.2815515655446004
#: the 95% two-sided interval's quantile, norm.ppf(0.975)
Z95 = 1.959963984540054
#: the quantile of each two-sided interval level (80 and 95)
Z = {80: Z80, 95: Z95}
