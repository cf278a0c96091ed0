"""The province-day through the product's own entry points: upload → `process` → `nightly`.

One `process` run per upload kind (reference, filing, …, claim), each after that kind's objects
landed, so the time of every kind is measured on its own; stage order is the one `process` keeps
anyway. `process` and `nightly` are the flows `skillsub process` and `skillsub nightly` run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager

from sqlalchemy import func, select

from bench.province_data import KIND_ORDER, TODAY, ProvinceDay
from infra import db
from infra.bootstrap import Services

PHASES = ["reference", *KIND_ORDER]
Stage = Callable[[str, int], AbstractContextManager]  # (stage name, rows) → timing context


def upload(svc: Services, day: ProvinceDay, keys: list[str], workers: int = 8) -> None:
    """Put the objects as institutions do: many at once."""
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: svc.store.put(k, day.objects[k]), keys))


def run(svc: Services, day: ProvinceDay, stage: Stage, *, by_kind: bool = True) -> list[dict]:
    """Upload and process the day kind by kind (or all at once, one `process`), then run the nightly
    flow as of the generator's today."""
    from flows.nightly import nightly
    from flows.process_upload import process_pending
    from tasks import prefect as ptasks

    ptasks.use(svc)  # what `skillsub process` / `nightly` do with the services of the settings
    outcomes: list[dict] = []
    with ptasks.in_process():  # as `skillsub process` / `nightly` run them: no flow heartbeat
        for phase in PHASES if by_kind else ["all"]:
            keys = day.keys_of(phase) if by_kind else list(day.objects)
            rows = sum(day.rows[k] for k in keys)
            with stage("upload", rows):
                upload(svc, day, keys)
            with stage(f"process {phase}", rows):
                outcomes += process_pending()
        with stage("nightly", sum(day.rows.values())):
            nightly(TODAY.isoformat())
    return outcomes


def found_codes(svc: Services) -> tuple[dict[str, set[str]], Counter[str], dict[str, set[str]]]:
    """(codes per upload key, findings per code, classes per settlement-time code) from the database."""
    u, v, f = db.uploads, db.row_verdicts, db.findings
    per_key: dict[str, set[str]] = {}
    with svc.engine.connect() as conn:
        keys = dict(conn.execute(select(u.c.id, u.c.key)).all())
        for upload_id, codes in conn.execute(select(v.c.upload_id, v.c.rule_codes).where(v.c.rule_codes != "")):
            per_key.setdefault(keys[upload_id], set()).update(filter(None, codes.split(";")))
        by_code: Counter[str] = Counter()
        late: dict[str, set[str]] = {}
        for code, upload_id, class_id in conn.execute(select(f.c.rule_code, f.c.upload_id, f.c.class_id)):
            by_code[code] += 1
            if upload_id is not None:
                per_key.setdefault(keys[upload_id], set()).add(code)
            else:
                late.setdefault(code, set()).add(class_id)
    return per_key, by_code, late


def missing_plants(svc: Services, day: ProvinceDay) -> list[str]:
    """Planted problems whose rule code the pipeline did not report where it should (empty when all came back)."""
    per_key, _, late = found_codes(svc)
    missing = []
    for p in day.plants:
        if p.key == "nightly":
            if p.class_id not in late.get(p.code, set()):
                missing.append(f"{p.code} of class {p.class_id} at settlement")
        elif p.code not in per_key.get(p.key, set()):
            missing.append(f"{p.code} in {p.key}")
    return missing


def verdict_counts(svc: Services) -> Counter[str]:
    v = db.row_verdicts
    with svc.engine.connect() as conn:
        return Counter(dict(conn.execute(select(v.c.verdict, func.count()).group_by(v.c.verdict)).all()))
