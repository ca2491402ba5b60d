import math

import pandas as pd
import pytest

from cscbook.core.markers import PUBLISHED, parse_cell, parse_series


@pytest.mark.parametrize(
    "raw, reason",
    [("c", "suppressed"), ("x", "not available"), ("z", "not applicable"), ("low", "low (below 0.5)"),
     ("u", "low reliability"), (":", "not available"), ("", "not published"), (" C ", "suppressed"),
     ("LOW", "low (below 0.5)")],
)
def test_each_marker_is_missing_with_its_reason_never_zero(raw, reason):
    value, status = parse_cell(raw)
    assert math.isnan(value)
    assert status == reason


def test_numbers_parse_with_thousands_separators():
    assert parse_cell("4,418") == (4418.0, PUBLISHED)
    assert parse_cell("0") == (0.0, PUBLISHED)


def test_series_keeps_reasons_per_cell():
    values, status = parse_series(pd.Series(["12", "c", "x", "z", "low", "3.5"]))
    assert values.isna().tolist() == [False, True, True, True, True, False]
    assert status.tolist() == [PUBLISHED, "suppressed", "not available", "not applicable", "low (below 0.5)", PUBLISHED]
    assert values.sum() == 15.5  # markers are never counted as zero or as numbers


def test_unknown_text_names_the_row():
    with pytest.raises(ValueError, match=r"'n/a' at row 2"):
        parse_series(pd.Series(["1", "2", "n/a"]))
