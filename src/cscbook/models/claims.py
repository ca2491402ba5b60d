"""Claims: generated sentences that carry their figures, where each figure comes from, and the rule that words them.

A :class:`Claim` renders its sentence from a template, its figures and its wordings. Each :class:`Wording`
names a rule from :data:`RULES` and the figures the rule reads; :meth:`Claim.check` recomputes every rule
from the figures and confirms the words agree, that every interval contains its estimate and that every
date the sentence advises on lies after the bound it must follow (the edition's quarter end).

The rules and their tolerances:

``share``       "most" only over 50% (by more than ``ABOUT_HALF_PP``), "about half" within ``ABOUT_HALF_PP``
                percentage points of 50%, "less than half" below that; over several shares, the words common
                to all, else each in turn.
``change``      "rose"/"fell" (or "up"/"down") follow the sign of the change; "unchanged" when the
                percentage change rounds to zero at the places shown.
``agreement``   a quoted figure "agrees" with an official one within ``AGREE_PP`` percentage points,
                "roughly agrees" within ``ROUGHLY_PP``, else "does not agree".
``likelihood``  a probability in words: "almost certainly" from 90%, "likely" from two in three, "more likely
                than not" over a half, else "only about one year in N" with N the nearest whole number to 1/p.
``bias``        a backtest bias in words: "ran high"/"ran low" by about the amount, or "showed no material
                bias" within ``BIAS_TOLERANCE`` of the mean level.
``plural``      "is" for one, "are" otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.data.tables import CLA_LEGACY, release_for
from cscbook.models.indicators import BY_NAME, COUNTS, period_label

#: "about half": within this many percentage points of 50%.
ABOUT_HALF_PP = 0.5
#: quoted against official percentage changes: "agrees" within, "roughly agrees" within.
AGREE_PP = 1.0
ROUGHLY_PP = 5.0
#: a backtest bias smaller than this share of the mean monthly level is "no material bias".
BIAS_TOLERANCE = 0.05
#: a likeliest peak month with a probability below this says little: the headline leaves the month out.
WEAK_PEAK = 1.5 / 12


# ---------------------------------------------------------------------------------------------------
# Wording rules: figures in, words out


def share(*pcts: float, tol: float = ABOUT_HALF_PP) -> str:
    """'most' (over 50% + tol), 'about half' (within tol of 50%), 'less than half'; several: common words."""
    def one(p):
        if p > 50 + tol:
            return "most"
        if p >= 50 - tol:
            return "about half"
        return "less than half"
    words = list(dict.fromkeys(one(float(p)) for p in pcts))
    return words[0] if len(words) == 1 else " then ".join(one(float(p)) for p in pcts)


def pct_change(before: float, after: float) -> float:
    """Percentage change from ``before`` to ``after`` (``after`` minus ``before``, over ``before``, times 100)."""
    return (after - before) / before * 100


def change(before: float, after: float, places: int = 0, style: str = "rose") -> str:
    """'rose'/'fell' ('up'/'down' with style='up') by sign; 'unchanged' when the change rounds to zero."""
    pct = pct_change(before, after) if before else (0.0 if after == before else math.copysign(math.inf, after - before))
    if round(pct, places) == 0:
        return "unchanged"
    up = pct > 0
    if style == "up":
        return "up" if up else "down"
    return "rose" if up else "fell"


def agreement(quoted: float, official: float, agree: float = AGREE_PP, roughly: float = ROUGHLY_PP) -> str:
    """Whether a quoted percentage agrees with the official one: 'agrees' within ``agree`` points, 'roughly agrees'
    within ``roughly`` points, else 'does not agree'."""
    gap = abs(quoted - official)
    if gap <= agree:
        return "agrees"
    if gap <= roughly:
        return "roughly agrees"
    return "does not agree"


def likelihood(p: float) -> str:
    """A probability ``p`` (0 to 1) in words: 'almost certainly', 'likely', 'more likely than not', or how rarely
    (about one in N)."""
    if p >= 0.9:
        return "almost certainly"
    if p >= 2 / 3:
        return "likely"
    if p > 0.5:
        return "more likely than not"
    n = max(2, round(1 / p)) if p > 0 else None
    return f"only about one year in {NUMBER_WORDS.get(n, str(n))}" if n else "almost never"


NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten",
                11: "eleven", 12: "twelve"}


def bias_words(bias: float, level: float, tol: float = BIAS_TOLERANCE, unit: str = "") -> str:
    """A backtest bias (forecast minus actual, a month) in words against the series' ``level``: no material bias within
    ``tol`` of it, else high or low by about how much."""
    if abs(bias) < tol * abs(level):
        return "showed no material bias"
    return f"ran {'high' if bias > 0 else 'low'} by about {abs(bias):,.0f} {unit + ' ' if unit else ''}a month"


def plural(n: float) -> str:
    """'is' for one, 'are' otherwise (the verb agreeing with a count ``n``)."""
    return "is" if n == 1 else "are"


RULES = {
    "share": (share, f"'most' only over 50%; 'about half' within {ABOUT_HALF_PP} points of 50%; else 'less than half'"),
    "change": (change, "'rose'/'up' or 'fell'/'down' by the sign of the change; 'unchanged' when it rounds to zero"),
    "agreement": (agreement, f"'agrees' within {AGREE_PP} points, 'roughly agrees' within {ROUGHLY_PP} points"),
    "likelihood": (likelihood, "probability in words; below one half: 'only about one year in N', N = 1/p rounded"),
    "bias": (bias_words, f"'ran high'/'ran low' by the backtest bias; none within {BIAS_TOLERANCE:.0%} of the level"),
    "plural": (plural, "'is' for one, 'are' otherwise"),
}


# ---------------------------------------------------------------------------------------------------
# Claim objects


@dataclass(frozen=True)
class Figure:
    """One figure a sentence states (or reads), with the file and row it comes from."""
    name: str
    value: object  # number, ISO date (str or date) or label
    source: str  # file (under data/) or the computation that produced it
    row: str = ""  # row identifier in that file, e.g. "old_la_code=825, year=2023, no_further_action_percent"
    fmt: str = "{}"

    @property
    def shown(self) -> str:
        """The figure as the sentence prints it (``fmt`` applied to ``value``)."""
        return self.fmt.format(self.value)


@dataclass(frozen=True)
class Wording:
    """Words in the sentence (``key`` in the template) chosen by ``rule`` from the named figures."""
    key: str
    rule: str
    figures: tuple[str, ...]
    words: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Interval:
    """An interval the sentence states: the names of the figures holding its estimate and its lower and upper bounds
    (checked to hold the estimate)."""
    estimate: str
    lower: str
    upper: str


@dataclass(frozen=True)
class After:
    """The date figure ``date`` must lie after the date figure ``bound``."""
    date: str
    bound: str


def _as_date(v) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, pd.Period):
        return v.start_time.date()
    text = str(v)
    return pd.Period(text, freq="M").start_time.date() if len(text) == 7 else date.fromisoformat(text)


@dataclass
class Claim:
    """One sentence of the book with its figures (each with its source), the rules that choose its words, the intervals
    and dates it states, and the chapter that shows the evidence."""
    template: str
    chapter: str
    figures: tuple[Figure, ...] = ()
    wordings: tuple[Wording, ...] = ()
    intervals: tuple[Interval, ...] = ()
    after: tuple[After, ...] = ()
    name: str = ""
    _by_name: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self):
        self._by_name = {f.name: f for f in self.figures}

    def value(self, name: str):
        """The value of the figure called ``name``."""
        return self._by_name[name].value

    @property
    def text(self) -> str:
        """The sentence: the template filled with each figure as shown and each wording's words."""
        values = {f.name: f.shown for f in self.figures}
        values.update({w.key: w.words for w in self.wordings})
        return self.template.format(**values)

    @property
    def rules(self) -> str:
        """The rules that word the sentence and the checks on its intervals and dates, in words."""
        parts = [f"{w.rule}: {RULES[w.rule][1]}" for w in self.wordings]
        parts += [f"interval: {i.lower} <= {i.estimate} <= {i.upper}" for i in self.intervals]
        parts += [f"date: {a.date} after {a.bound}" for a in self.after]
        return "; ".join(parts)

    def problems(self) -> list[str]:
        """Every disagreement between the sentence's words and its figures (empty when the claim holds)."""
        out = []
        for w in self.wordings:
            fn = RULES[w.rule][0]
            expected = fn(*[self.value(n) for n in w.figures], **dict(w.params))
            if expected != w.words:
                out.append(f"{w.key}: says {w.words!r}, rule {w.rule} gives {expected!r}")
        for i in self.intervals:
            lo, est, hi = (float(self.value(n)) for n in (i.lower, i.estimate, i.upper))
            if not lo <= est <= hi:
                out.append(f"interval {i.lower}..{i.upper} ({lo:g} to {hi:g}) does not contain {i.estimate} ({est:g})")
        for a in self.after:
            if not _as_date(self.value(a.date)) > _as_date(self.value(a.bound)):
                out.append(f"{a.date} ({self.value(a.date)}) is not after {a.bound} ({self.value(a.bound)})")
        return out

    def check(self) -> bool:
        """True when the words agree with the figures; raises CSCBookError naming the first problem otherwise."""
        bad = self.problems()
        if bad:
            raise CSCBookError(f"claim {self.name or self.template[:40]!r}: {bad[0]}")
        return True

    def evidence(self) -> pd.DataFrame:
        """One row per figure: name, value as shown, source file and row."""
        return pd.DataFrame([dict(figure=f.name, value=f.shown, source=f.source, row=f.row) for f in self.figures],
                            columns=["figure", "value", "source", "row"])


def worded(key: str, rule: str, figures: tuple[str, ...], values: list, **params) -> Wording:
    """A wording whose words are computed by the rule (so a builder cannot pick words the rule would not)."""
    fn = RULES[rule][0]
    return Wording(key, rule, tuple(figures), fn(*values, **params), tuple(params.items()))


def fact_check_table(claims: list[Claim]) -> pd.DataFrame:
    """The fact-check page's table: one row per figure of each claim, with the claim, rule and check result."""
    rows = []
    for n, c in enumerate(claims, start=1):
        bad = c.problems()
        status = "holds" if not bad else "fails: " + "; ".join(bad)
        for f in c.figures or (Figure("(none)", "", ""),):
            rows.append(dict(claim=n, sentence=c.text, figure=f.name, value=f.shown, source=f.source, row=f.row,
                             rule=c.rules or "stated figures only", check=status))
    return pd.DataFrame(rows, columns=["claim", "sentence", "figure", "value", "source", "row", "rule", "check"])


# ---------------------------------------------------------------------------------------------------
# Where official figures come from


def source_of(indicator: str, year: int, where: str, as_of=None) -> tuple[str, str]:
    """(file, row) of an indicator's value in data/official; ``where`` names the geography ("old_la_code=825",
    "England"). Rates name the count's file and the population's. Files come from the data manifest: the
    release current at quarter ``as_of`` (the newest when None)."""
    if indicator in BY_NAME:
        table, measure, kind = BY_NAME[indicator].table, BY_NAME[indicator].measure, BY_NAME[indicator].kind
    else:
        (table, measure), kind = COUNTS[indicator], "count"
    if table == "cla" and year < 2019:
        table = CLA_LEGACY
    file = release_for(table, as_of).file
    row = f"{where}, {period_label(indicator, year)}, {measure}"
    if kind == "rate":
        file += f" / {release_for('population', as_of).file}"
        row += f" per 10,000 children (mid-{year - 1} population)"
    return "data/official/" + file.replace(" / ", " / data/official/"), row


#: the first words of the decision claim when nothing calls for a decision
NO_DECISION = "No decision needed this quarter"


#: the first words of the note, beside other decisions, that the capacity plan calls for no recruitment
NO_RECRUITMENT = "No recruitment decision"
