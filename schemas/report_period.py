"""Period reports as data (issue 12 point 2): the period arithmetic and the pure assembly of counted
numbers into the report model. 山西 "建立工作情况月报、季报、年报制度"; 苏州 "季报、年报制度"; 韶关
"资金使用情况每月25日前报送". Queries live in tasks/period_report.py, rendering in tasks/report_render.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from schemas.cells import fen_to_yuan

Kind = Literal["monthly", "quarterly", "annual"]
KIND_ZH = {"monthly": "月报", "quarterly": "季报", "annual": "年报"}
KINDS = ("advance", "settlement", "recovery")
KIND_LABELS = {"advance": ("先行拨付", "advances"), "settlement": ("结算拨付", "settlements"),
               "recovery": ("追回", "recoveries")}


@dataclass(frozen=True)
class Period:
    """[start, end) of a month, quarter or year; `label` names it in keys and titles (2026-10, 2026-Q4, 2026)."""

    kind: Kind
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarterly":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def title_zh(self) -> str:
        if self.kind == "monthly":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarterly":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    def previous(self) -> Period:
        months = {"monthly": 1, "quarterly": 3, "annual": 12}[self.kind]
        return Period(self.kind, _add_months(self.start, -months), self.start)

    def months(self) -> list[date]:
        """First day of every month in the period."""
        out, m = [], self.start
        while m < self.end:
            out.append(m)
            m = _add_months(m, 1)
        return out

    def trailing_months(self, n: int = 12) -> list[date]:
        """The n months up to the period's end (the money-per-month chart's axis)."""
        return [_add_months(self.end, i) for i in range(-n, 0)]

    @property
    def year_start(self) -> date:
        return date(self.start.year, 1, 1)


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def parse_period(text: str, kind: Kind | None = None) -> Period:
    """"2026-10" (month), "2026-Q4" (quarter) or "2026" (year); `kind` insists on one of them."""
    text = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"no month {text!r}")
        p = Period("monthly", date(year, month, 1), _add_months(date(year, month, 1), 1))
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        start = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        p = Period("quarterly", start, _add_months(start, 3))
    elif re.fullmatch(r"\d{4}", text):
        p = Period("annual", date(int(text), 1, 1), date(int(text) + 1, 1, 1))
    else:
        raise ValueError(f"not a period: {text!r} (YYYY-MM, YYYY-Qn or YYYY)")
    if kind is not None and p.kind != kind:
        raise ValueError(f"{text!r} is not a {kind} period")
    return p


def last_complete(kind: Kind, today: date) -> Period:
    """The latest period of this kind that has ended before `today` (what a scheduled run reports)."""
    this = parse_period({"monthly": f"{today:%Y-%m}", "quarterly": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                         "annual": str(today.year)}[kind])
    return this.previous()


def yuan(fen: int) -> str:
    """Yuan with two decimals, recoveries negative (the ledger's own rendering)."""
    return fen_to_yuan(int(fen))


def rate(part: int, whole: int) -> str | None:
    """A percentage with one decimal ("87.5"), None when there is nothing to divide by."""
    if not whole:
        return None
    return str((Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))


def change(now: int, before: int) -> dict:
    """This period against the previous: both values, the difference and the relative change (%)."""
    return {"now": now, "before": before, "delta": now - before, "percent": rate(now - before, before)}


def progress(done: int, target: int | Decimal | None) -> dict | None:
    if target is None:
        return None
    return {"done": done, "target": target if isinstance(target, int) else str(target),
            "percent": rate(done, int(target)) if target else None}


def money_block(by_kind_fen: dict[str, int], by_fund_fen: dict[str, int]) -> dict:
    """The money of a period: exact integer fen for machines, yuan with two decimals for readers."""
    kinds = {k: int(by_kind_fen.get(k, 0)) for k in KINDS}
    funds = {f: int(v) for f, v in sorted(by_fund_fen.items())}
    net = sum(kinds.values())
    return {"by_kind_fen": kinds, "by_fund_fen": funds, "net_fen": net,
            "by_kind_yuan": {k: yuan(v) for k, v in kinds.items()},
            "by_fund_yuan": {f: yuan(v) for f, v in funds.items()}, "net_yuan": yuan(net)}
