"""Figures quoted in the source documents beside the official statistics that cover the same thing."""

from __future__ import annotations

import pandas as pd

from .indicators import la_panel
from .timeline import quoted_figures

#: Percentage-point gaps for "yes" and "roughly".
AGREE_PP = 1.0
ROUGHLY_PP = 5.0


LABELS = {"referrals": "referrals in the year", "cla_at_31_march": "children looked after on 31 March"}


def agreement(quoted: float, official: float) -> str:
    gap = abs(quoted - official)
    if gap <= AGREE_PP:
        return "yes"
    if gap <= ROUGHLY_PP:
        return "roughly"
    return "no"


def quoted_vs_official(la: str) -> pd.DataFrame:
    """Quoted figures with an official comparison: quoted value, official value, agreement, official basis."""
    figs = quoted_figures()
    figs = figs[(figs["la_code"] == la) & (figs["official_comparison"] != "")].copy()
    panel = la_panel()
    rows = []
    for _, f in figs.iterrows():
        indicator, start, end = f["official_comparison"].split(":")
        a = panel.at[(la, int(start)), indicator]
        b = panel.at[(la, int(end)), indicator]
        official = (b - a) / a * 100
        rows.append(dict(
            figure_id=f["figure_id"], measure=f["measure"], period=f["period"], quoted_value=float(f["value"]),
            unit=f["unit"], source=f["source"], official_value=official,
            official_basis=f"DfE {LABELS.get(indicator, indicator)}: {a:,.0f} ({start}) and {b:,.0f} ({end}), "
                           "years ending 31 March",
            agrees=agreement(float(f["value"]), official),
        ))
    return pd.DataFrame(rows)
