"""The period reports' charts (issue 12 point 2): money per month, the funnel, findings by family,
institutions by rating — matplotlib's Agg backend, Chinese labels in the CJK font that `make system-deps`
installs (fonts-noto-cjk). Without that font the labels would be empty boxes, so it fails loudly instead.
"""

from __future__ import annotations

import io
import warnings
from functools import cache

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from schemas.report_period import KIND_LABELS, KINDS
from tasks.period_report import FUNNEL, FUNNEL_LABELS

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC")
COLOURS = {"advance": "#3b6ea5", "settlement": "#4c9a5b", "recovery": "#c0504d"}


class NoCJKFont(RuntimeError):
    """No font with Chinese glyphs is installed: charts would show boxes for every label."""


@cache
def cjk_font() -> font_manager.FontProperties:
    """The installed CJK font, found through matplotlib's font manager (not a hard-coded path)."""
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return font_manager.FontProperties(fname=installed[family])
    raise NoCJKFont("no CJK font for chart labels (looked for " + ", ".join(CJK_FAMILIES) +
                    "); install one with `make system-deps` (Debian: fonts-noto-cjk)")


def _fig(width: float = 6.4, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _label(fig: Figure) -> None:
    """Every text of the figure in the CJK font (it carries Latin glyphs too)."""
    font = cjk_font()
    for text in fig.findobj(Text):
        size = text.get_fontsize()
        text.set_fontproperties(font)
        text.set_fontsize(size)


def money_per_month(model: dict) -> Figure:
    fig = _fig()
    ax = fig.add_subplot()
    months = [m["month"] for m in model["money"]["per_month"]]
    bottom_pos = [0.0] * len(months)
    bottom_neg = [0.0] * len(months)
    for kind in KINDS:
        values = [m[kind] / 100 for m in model["money"]["per_month"]]
        base = bottom_neg if kind == "recovery" else bottom_pos
        ax.bar(months, values, bottom=list(base), color=COLOURS[kind], label=" ".join(KIND_LABELS[kind]))
        for i, v in enumerate(values):
            base[i] += v
    ax.axhline(0, color="#555", linewidth=0.8)
    ax.set_title("按月记账金额（元） Money booked per month (yuan)")
    ax.legend(fontsize=10)
    ax.tick_params(axis="x", labelrotation=45, labelsize=9)
    return fig


def funnel(model: dict) -> Figure:
    fig = _fig()
    ax = fig.add_subplot()
    totals = model["people"]["totals"]
    labels = [f"{FUNNEL_LABELS[s][0]} {FUNNEL_LABELS[s][1]}" for s in FUNNEL]
    values = [totals[s] for s in FUNNEL]
    bars = ax.barh(labels[::-1], values[::-1], color="#3b6ea5")
    ax.bar_label(bars, padding=3, fontsize=10)
    ax.set_title("培训漏斗（人） Training funnel (people)")
    return fig


def findings_by_family(model: dict) -> Figure:
    fig = _fig()
    ax = fig.add_subplot()
    fams = [f["family"] for f in model["findings"]["by_family"]]
    ax.set_title("按规则类别的问题（条） Findings by rule family")
    if not fams:
        ax.text(0.5, 0.5, "本期无问题 no findings in this period", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    width = 0.2
    names = {"opened": "新增 opened", "confirmed": "确认 confirmed", "dismissed": "驳回 dismissed",
             "resolved": "解除 resolved"}
    for i, step in enumerate(names):
        values = [f[step] for f in model["findings"]["by_family"]] or [0]
        ax.bar([x + (i - 1.5) * width for x in range(len(fams))], values, width, label=names[step])
    ax.set_xticks(range(len(fams)), fams)
    ax.legend(fontsize=10)
    return fig


def institutions_by_rating(model: dict) -> Figure:
    fig = _fig()
    ax = fig.add_subplot()
    ratings = model["ratings"] or {"—": 0}
    bars = ax.bar([f"{r}级" if r != "—" else "未评 none" for r in ratings], list(ratings.values()), color="#7f6aa5")
    ax.bar_label(bars, padding=2, fontsize=10)
    ax.set_title("机构信用等级分布 Institutions by rating")
    return fig


CHARTS = {"money_per_month": money_per_month, "funnel": funnel, "findings_by_family": findings_by_family,
          "institutions_by_rating": institutions_by_rating}


def _rc() -> dict:
    """rcParams that put the CJK font first for every text matplotlib makes, ticks drawn later included."""
    return {"font.family": "sans-serif", "font.sans-serif": [cjk_font().get_name(), "DejaVu Sans"],
            "axes.unicode_minus": False, "font.size": 11, "axes.titlesize": 12}


def figure(name: str, model: dict) -> Figure:
    with matplotlib.rc_context(_rc()):
        fig = CHARTS[name](model)
        _label(fig)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG; a missing glyph is an error, not a silent box."""
    buf = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context(_rc()):
        warnings.simplefilter("always")
        fig.savefig(buf, format="png")
    missing = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    if missing:
        raise NoCJKFont(f"chart labels need glyphs the font lacks: {missing[0]}")
    return buf.getvalue()


def render_all(model: dict) -> dict[str, bytes]:
    return {name: png(figure(name, model)) for name in CHARTS}
