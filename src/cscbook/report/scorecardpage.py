"""The scorecard page's table from an edition's scorecard (:attr:`cscbook.models.results.EditionResults.scorecard`)
and funnels: the keyword arguments of :func:`cscbook.report.notebook.table` (the chapter adds its ``policy``).

    nb.table(**scorecardpage.scorecard_table(res.scorecard, res.funnels, ed), policy=ed.policy)
"""

from __future__ import annotations

import pandas as pd

from cscbook.models.benchmark import scorecard_page
from cscbook.models.benchmark import scorecard_table as fields_of
from cscbook.models.funnel import significance


def significance_words(funnels: dict, indicators, code: str) -> list[str]:
    """Each indicator's place against England's funnel limits, in the scorecard's short words ("no significant
    difference", "significantly higher than", ...); "not tested" where no funnel is drawn."""
    return [significance(funnels[i], code).replace("not significantly different from England",
                                                   "no significant difference").replace(" England", "")
            if i in funnels else "not tested" for i in indicators]


def headings(council_name: str, region: str) -> dict:
    """The scorecard download's column headings in words (the council's and its region's names for their values)."""
    return {"label": "Indicator", "unit": "Unit", "period": "Period", "value": council_name,
            "sn_median": "Neighbours (median)", "sn_min": "Neighbours (lowest)", "sn_max": "Neighbours (highest)",
            "region": region, "england": "England", "rank": "Rank (1 = highest value)", "councils": "Councils ranked",
            "rating": "Rating (England quartiles)", "travel": "Since last year",
            "significance": "Against England (funnel limits)"}


def scorecard_fields(card: pd.DataFrame, funnels: dict, code: str) -> pd.DataFrame:
    """The scorecard's fields, one column each (:func:`cscbook.models.benchmark.scorecard_table`), with each
    indicator's significance against England (:func:`significance_words`)."""
    fields = fields_of(card)
    fields["significance"] = significance_words(funnels, card["indicator"], code)
    return fields


def scorecard_table(card: pd.DataFrame, funnels: dict, ed) -> dict:
    """The scorecard page's table for an edition: the page joins unit, range and rank for reading
    (:func:`cscbook.models.benchmark.scorecard_page`); the download keeps each field apart, with headings in words."""
    fields = scorecard_fields(card, funnels, ed.council.code)
    names = headings(ed.council.name, ed.council.region)
    return dict(frame=scorecard_page(fields), caption=f"Scorecard: {ed.council.name}, edition {ed.quarter}",
                download=fields.rename(columns=names),
                labels={**names, "label": "Indicator (unit)", "sn_range": "Neighbours (range)",
                        "rank": "Rank (1 = highest)"})
