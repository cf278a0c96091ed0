"""Use case: answer the uploader — <name>.result.csv (every row, verdict, reasons) and <name>.summary.json."""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, wait
from itertools import accumulate
from typing import Any

from sqlalchemy import select, update

from infra import db
from infra.bootstrap import Services
from infra.objectstore import background
from schemas.layout import Route, outbox_prefix
from schemas.rules import RULES, reasons
from tasks import standing

_FORMULA_START = ("=", "+", "@", "\t", "\r")
# A cell of a raw JSON array that starts as neutralise() looks for ("-" included, numbers or not): each cell
# starts right after "[" or "," (and white space), where an unescaped quote can only open a string. Rows
# without one (nearly all) skip neutralise() cell by cell (issue 10); a false alarm only costs that call. A
# raw text has no unescaped line end, so a file's texts joined by "\n" are searched at once first.
_MAY_RUN = re.compile(r'[\[,]\s*"(?:[=+@-]|\\[tr])')


def neutralise(cell: str) -> str:
    """Cells people open in Excel must not run as formulas (CSV injection): prefix a quote."""
    if cell.startswith(_FORMULA_START) or (cell.startswith("-") and not _is_number(cell)):
        return "'" + cell
    return cell


def may_run(raws: Sequence[str]) -> set[int]:
    """The positions of the raw JSON texts with a cell neutralise() may change: one search for a whole file."""
    joined = "\n".join(raws)
    hits = [m.start() for m in _MAY_RUN.finditer(joined)]
    if not hits:
        return set()
    starts = list(accumulate((len(t) + 1 for t in raws), initial=0))
    return {bisect_right(starts, at) - 1 for at in hits}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def answer(svc: Services, upload_id: int) -> str:
    """Write the outbox pair for an upload (a duplicate gets its original's verdicts); returns the prefix."""
    return answer_many(svc, [upload_id])[0]


def answer_many(svc: Services, upload_ids: Sequence[int]) -> list[str]:
    """answer() for several uploads (a gate round's, issue 10): their rows read on one connection, every file
    PUT side by side, and answered_at set in one statement for each upload whose two files both landed (then
    the first failed PUT is raised: the others stay unanswered for the sweep, tasks/pending.unanswered)."""
    answers = Answers(svc)
    prefixes = answers.write(upload_ids)
    answers.flush()
    return prefixes


class Answers:
    """The answers of one batch (issue 10): each write reads its uploads' rows now and hands their PUTs to the
    store's thread pool without waiting, so they land while the next round is checked and applied. A write
    first waits for the PUTs of the one before (a later answer of an upload never lands before an earlier
    one); answered_at is set once an upload's two files landed. `flush()` waits for what still runs and raises
    the first failed PUT (the uploads it left unanswered are answered by the sweep, tasks/pending.unanswered)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._running: list[tuple[int, list[Future[None]]]] = []

    def pending(self) -> set[int]:
        """Uploads whose answer is on its way: answered, as far as a later write is concerned."""
        return {upload_id for upload_id, _ in self._running}

    def write(self, upload_ids: Sequence[int]) -> list[str]:
        prefixes, files = _answers(self.svc, upload_ids)
        self.flush()
        self._running = [(upload_id, [background().submit(self.svc.store.put, *item) for item in pair])
                         for upload_id, pair in files]
        return prefixes

    def flush(self) -> None:
        running, self._running = self._running, []
        if not running:
            return
        wait([f for _, fs in running for f in fs])
        landed = [upload_id for upload_id, fs in running if all(f.exception() is None for f in fs)]
        if landed:
            with self.svc.engine.begin() as conn:
                conn.execute(update(db.uploads).where(db.uploads.c.id.in_(landed)).values(answered_at=self.svc.now()))
        failure = next((f.exception() for _, fs in running for f in fs if f.exception() is not None), None)
        if failure is not None:
            raise failure


def _answers(svc: Services, upload_ids: Sequence[int]) -> tuple[list[str], list[tuple[int, list[tuple[str, bytes, str]]]]]:
    """The outbox prefixes and files of these uploads, their rows as they stand now (read on one connection)."""
    ids = list(dict.fromkeys(upload_ids))
    if not ids:
        return [], []
    u = db.uploads
    files: list[tuple[int, list[tuple[str, bytes, str]]]] = []
    prefixes = []
    with svc.engine.connect() as conn:
        ups: dict[int, Any] = {row["id"]: row for row in conn.execute(select(u).where(u.c.id.in_(ids))).mappings()}
        sources = {up["duplicate_of"] for up in ups.values() if up["duplicate_of"] and up["duplicate_of"] not in ups}
        if sources:
            ups |= {row["id"]: row for row in conn.execute(select(u).where(u.c.id.in_(sorted(sources)))).mappings()}
        wanted = sorted({ups[i]["duplicate_of"] or i for i in ids})
        rv = db.row_verdicts
        by_source: dict[int, list[Any]] = {i: [] for i in wanted}
        found = conn.execute(select(rv).where(rv.c.upload_id.in_(wanted)).order_by(rv.c.upload_id, rv.c.row_no))
        names = list(found.keys())  # plain dicts: a RowMapping rebuilt its key view at every dict(row) (issue 10)
        for v in found.all():  # fetched at once, not row by row
            row = dict(zip(names, v, strict=True))
            by_source[row["upload_id"]].append(row)
        for upload_id in ids:
            up = ups[upload_id]
            src = ups[up["duplicate_of"] or upload_id]
            verdicts, changed_at = standing.current(conn, src, by_source[src["id"]])  # what happened since the gate (issue 11.3)
            prefix, pair = _answer_files(up, src, verdicts, changed_at)
            prefixes.append(prefix)
            files.append((upload_id, pair))
    return prefixes, files


def _answer_files(up: Mapping[str, Any], src: Mapping[str, Any], verdicts: Sequence[Mapping[str, Any]],
                  changed_at: Any) -> tuple[str, list[tuple[str, bytes, str]]]:
    """The outbox prefix and its two files (result CSV, summary JSON) for an upload and its source."""
    upload_id, source = up["id"], src["id"]
    r = Route(up["area"], up["kind"], up["name"], up["uscc"])
    prefix = outbox_prefix(r)
    header_info = json.loads(src["header"]) if src["header"] else {"cells": [], "ignored": []}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    # The uploaded header comes back too: its cells are as untrusted as the rows'.
    w.writerow([*(neutralise(c) for c in header_info["cells"]), "row_no", "verdict", "rule_codes", "reason_zh",
                "reason_en"])
    risky = may_run([v["raw"] for v in verdicts])
    for i, v in enumerate(verdicts):
        cells = json.loads(v["raw"])
        if i in risky:
            cells = [neutralise(c) for c in cells]
        zh, en = v["reason_zh"], v["reason_en"]  # empty on most rows: nothing to neutralise
        w.writerow([*cells, v["row_no"], v["verdict"], v["rule_codes"], neutralise(zh) if zh else "",
                    neutralise(en) if en else ""])
    reason_zh, reason_en = _file_reasons(src["reason"])
    if not verdicts and src["status"] in ("quarantined", "rejected"):
        code = (src["reason"] or "").partition(": ")[0]
        w.writerow([""] * len(header_info["cells"]) + [0, "rejected", code, reason_zh, reason_en])
    by_code = rows_by_code(verdicts)
    summary: dict[str, Any] = {
        "key": up["key"], "upload_id": upload_id, "run_id": up["run_id"], "sha256": up["sha256"],
        "status": up["status"], "duplicate": up["status"] == "duplicate", "duplicate_of": up["duplicate_of"],
        "gate": _gate_outcome(src["status"], src["rows_rejected"], src["rows_flagged"]),
        "failed_checks": [{"rule_code": c["rule_code"], "check": c["check"], "rows": c["rows"]}
                          for c in json.loads(src["gate_checks"] or "[]") if not c["success"] and c["rows"]],
        "rule_codes": {code: {"rows": n, "effect": RULES[code].effect.value, "zh": RULES[code].zh,
                              "en": RULES[code].en} for code, n in sorted(by_code.items())},
        "reason": src["reason"], "reason_zh": reason_zh, "reason_en": reason_en,
        "rows": {"total": src["rows_total"] or 0, "accepted": src["rows_accepted"] or 0,
                 "rejected": src["rows_rejected"] or 0, "accepted_flagged": src["rows_flagged"] or 0},
        "updated_at": str(max(changed_at, up["processed_at"]) if changed_at and up["processed_at"] else up["processed_at"]),
        "ignored_columns": header_info.get("ignored", []),
        "data_docs": (f"reports/{src['processed_at']:%Y-%m-%d}/datadocs/upload-{source}-{src['kind']}.html"
                      if src["gate_checks"] and src["processed_at"] else None),
        "processed_at": str(up["processed_at"]),
    }
    if changed_at is not None:  # the counts of the rows as they stand now
        summary["rows"] |= {v: sum(1 for r in verdicts if r["verdict"] == v) for v in ("accepted", "rejected", "accepted_flagged")}
    return prefix, [  # side by side; answered_at is set only once both landed
        (f"{prefix}.result.csv", ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"),
        (f"{prefix}.summary.json", json.dumps(summary, ensure_ascii=False, indent=1).encode("utf-8"), "application/json"),
    ]


def rows_by_code(verdicts: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """How many rows carry each rule code: the counts an institution checks against the verdicts."""
    return Counter(code for v in verdicts for code in set((v["rule_codes"] or "").split(";")) if code)


def _file_reasons(reason: str | None) -> tuple[str, str]:
    """A file-level reason ("CODE: detail") in Chinese and English; empty when the file was not rejected."""
    code, _, detail = (reason or "").partition(": ")
    if code not in RULES:
        return reason or "", reason or ""
    return reasons([code], {code: detail})


def _gate_outcome(status: str, rejected: int | None, flagged: int | None) -> str:
    if status in ("quarantined", "rejected"):
        return "file_rejected"
    if rejected:
        return "rows_rejected"
    if flagged:
        return "passed_with_flags"
    return "passed"
