"""Figures quoted in the source documents beside the official statistics that cover the same thing.

Each quoted figure names the official measure it is compared with (``official_measure`` in
``data/curated/quoted_figures.csv``), and that measure must match what the quote is about: children
"coming into care" are the children who *started* to be looked after in the year (``cla_started``); the
number "in care" or "looked after" is the stock at 31 March (``cla_at_31_march``); referrals are referrals.

One quoted figure gets one verdict, against the basis its source states. A quote that restates a figure from an
earlier paper and cites it as its basis (``cites`` names that figure) is judged on the earlier paper's basis:
the 2015 review's "looked after children by 14%" restates the September 2014 Cabinet report's "young people
coming into the care of the authority of about 14%", so both are compared with children starting care, and the
comparison table shows the figure once, with every source that quotes it. The tolerances are those of
:func:`cscbook.models.claims.agreement` (the methods page states them).
"""

from __future__ import annotations

import re

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.data.timeline import quoted_figures
from cscbook.models.claims import AGREE_PP, ROUGHLY_PP
from cscbook.models.claims import agreement as agreement_words
from cscbook.models.indicators import la_panel

LABELS = {"referrals": "referrals in the year", "cla_at_31_march": "children looked after on 31 March",
          "cla_started": "children starting to be looked after in the year"}

#: What a quote says it measures -> the official measure that matches it. First match wins: "coming into
#: (the) care" before the generic "care"/"looked after".
MEANINGS = [
    (re.compile(r"(coming|came|come)\s+into\s+(the\s+)?care|(entering|enter|entered)\s+(the\s+)?care"
                r"|start(ing|ed|s)?\s+(to\s+be\s+looked\s+after|care)", re.I),
     "cla_started"),
    (re.compile(r"looked after|in care|children in care", re.I), "cla_at_31_march"),
    (re.compile(r"referrals?", re.I), "referrals"),
]

_SHORT = {"agrees": "yes", "roughly agrees": "roughly", "does not agree": "no"}


def agreement(quoted: float, official: float) -> str:
    """'yes' within AGREE_PP points, 'roughly' within ROUGHLY_PP, else 'no' (see :func:`cscbook.models.claims.agreement`)."""
    return _SHORT[agreement_words(quoted, official, AGREE_PP, ROUGHLY_PP)]


def measure_for_quote(quote: str) -> str | None:
    """The official measure a quote's wording calls for, or None when no rule matches."""
    for pattern, measure in MEANINGS:
        if pattern.search(quote):
            return measure
    return None


def check_measures(figs: pd.DataFrame) -> None:
    """Every compared row's official_measure matches its quote's meaning (a restatement's: the cited figure's
    quote) and its official_comparison; a restatement is compared as the figure it cites."""
    by_id = figs.set_index("figure_id") if "figure_id" in figs.columns else None
    for i, f in figs.iterrows():
        cited = f.get("cites", "") or ""
        if cited:
            line = i + 2
            if by_id is None or cited not in by_id.index:
                raise CSCBookError(f"data/curated/quoted_figures.csv line {line} ({f['figure_id']}): cites "
                                   f"{cited!r}, which is not a figure_id of the file; name the figure it restates")
            basis = by_id.loc[cited]
            if (f["official_measure"], f["official_comparison"]) != (basis["official_measure"],
                                                                     basis["official_comparison"]):
                raise CSCBookError(f"data/curated/quoted_figures.csv line {line} ({f['figure_id']}): it cites "
                                   f"{cited} but is compared with {f['official_comparison'] or 'nothing'}; compare "
                                   f"it as {cited} is ({basis['official_comparison']})")
    for i, f in figs.iterrows():
        if not f["official_comparison"]:
            continue
        line = i + 2
        indicator = f["official_comparison"].split(":")[0]
        if f["official_measure"] != indicator:
            raise CSCBookError(f"data/curated/quoted_figures.csv line {line} ({f['figure_id']}): official_measure "
                               f"{f['official_measure']!r} differs from official_comparison "
                               f"{f['official_comparison']!r}; "
                               "make them name the same measure")
        cited = f.get("cites", "") or ""
        quote = by_id.at[cited, "quote"] if cited and by_id is not None and cited in by_id.index else f["quote"]
        wanted = measure_for_quote(quote)
        if wanted is not None and wanted != f["official_measure"]:
            raise CSCBookError(f"data/curated/quoted_figures.csv line {line} ({f['figure_id']}): the quote is about "
                               f"{LABELS.get(wanted, wanted)} but is compared with {f['official_measure']}; "
                               f"set official_measure to {wanted}")


def quoted_vs_official(la: str, as_of=None) -> pd.DataFrame:
    """Quoted figures with an official comparison, one row per figure (a restatement citing it is listed in
    ``also_in``, not judged again): quoted value, official value, agreement, official basis. ``as_of`` (a
    Quarter): the official figures as published by its end (None: the latest)."""
    figs = quoted_figures(as_of)
    check_measures(figs)
    figs = figs[(figs["la_code"] == la) & (figs["official_comparison"] != "")].copy()
    restated = figs[figs["cites"] != ""].groupby("cites")["source"].agg(list)
    figs = figs[figs["cites"] == ""]
    panel = la_panel(as_of=as_of)
    rows = []
    for _, f in figs.iterrows():
        indicator, start, end = f["official_comparison"].split(":")
        if (la, int(start)) not in panel.index or (la, int(end)) not in panel.index:
            continue  # a year not yet published by then: nothing official to compare with
        a = panel.at[(la, int(start)), indicator]
        b = panel.at[(la, int(end)), indicator]
        if pd.isna(a) or pd.isna(b):
            continue
        official = (b - a) / a * 100
        rows.append(dict(
            figure_id=f["figure_id"], measure=f["measure"], period=f["period"], quoted_value=float(f["value"]),
            unit=f["unit"], source=f["source"], official_measure=indicator, official_value=official,
            official_basis=f"DfE {LABELS.get(indicator, indicator)}: {a:,.0f} ({start}) and {b:,.0f} ({end}), "
                           "years ending 31 March",
            agrees=agreement(float(f["value"]), official),
            also_in="; ".join(restated.get(f["figure_id"], [])),
        ))
    return pd.DataFrame(rows)
