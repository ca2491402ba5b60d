"""Browser test of West Sussex's latest edition: the checks of site_checks.py."""

import pytest
from site_checks import *  # noqa: F401,F403  (the checks, collected here for this council)


@pytest.fixture(scope="module")
def council():
    return "938"
