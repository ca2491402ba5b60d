"""The normal quantiles kept as constants are scipy's, to the last bit."""

from scipy import stats

from cscbook.models import calibration, forecast, normal


def test_the_constants_are_scipys_quantiles():
    assert normal.Z80 == float(stats.norm.ppf(0.9))
    assert normal.Z95 == float(stats.norm.ppf(0.975))
    assert normal.Z == {80: normal.Z80, 95: normal.Z95}
    assert forecast.Z is normal.Z and calibration.Z is normal.Z and calibration.Z95 == normal.Z95
