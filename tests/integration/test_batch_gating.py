"""Batch gating: uploads that cannot meet share one gate run, and every verdict, finding, promoted row
and outbox answer is what processing them one by one in the same order gives (issue 10)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from infra import db
from infra.objectstore import MemoryStore
from infra.samples import csv_bytes, person, scenario
from tasks.ingest import process_batch, process_object
from tasks.pending import pending_keys
from tests.conftest import TODAY, _wipe, make_services
from tests.integration.world import START, A, B, World

PROMOTED = ("classes", "sessions", "enrolments", "attendance", "attendance_hours", "assessments", "certificates")


def snapshot(svc: Any) -> dict[str, Any]:
    """Everything a user can see after processing, with database ids replaced by object keys."""
    with svc.engine.connect() as conn:
        keys = dict(conn.execute(select(db.uploads.c.id, db.uploads.c.key)).all())

        def rows(table: Any, drop: tuple[str, ...] = ()) -> list[tuple]:
            out = []
            for m in conn.execute(select(table)).mappings():
                d = {k: v for k, v in m.items() if k not in ("id", "created_at", "run_id", *drop)}
                for ref in ("upload_id", "duplicate_of"):
                    if d.get(ref) is not None:
                        d[ref] = keys[d[ref]]
                out.append(tuple(sorted((k, str(v)) for k, v in d.items())))
            return sorted(out)

        snap = {"uploads": rows(db.uploads, ("claimed_at", "received_at", "processed_at", "answered_at")),
                "verdicts": rows(db.row_verdicts), "findings": rows(db.findings)}
        for name in PROMOTED:
            snap[name] = rows(db.metadata.tables[name], ("updated_at", "computed_at"))
    snap["answers"] = {k: svc.store.get(k) for k in sorted(o.key for o in svc.store.list("outbox/"))
                       if k.endswith(".result.csv")}
    snap["summaries"] = {k: _summary(svc.store.get(k)) for k in sorted(o.key for o in svc.store.list("outbox/"))
                         if k.endswith(".summary.json")}
    return snap


def _summary(data: bytes) -> dict[str, Any]:
    s = json.loads(data)
    return {k: v for k, v in s.items() if k not in ("upload_id", "run_id", "duplicate_of", "answered_at")}


class Counting:
    """Counts the gate runs of a Services' GX gate."""

    def __init__(self, svc: Any) -> None:
        self.svc, self.gate, self.runs = svc, svc.gate(), []
        self._run = self.gate.run

    def __enter__(self) -> Counting:
        def run(kind: str, table: str, uploads: Any) -> Any:
            self.runs.append((uploads,) if isinstance(uploads, int) else tuple(uploads))
            return self._run(kind, table, uploads)

        self.gate.run = run
        return self

    def __exit__(self, *exc: object) -> None:
        del self.gate.run
        with self.svc.engine.connect() as conn:
            self.keys = dict(conn.execute(select(db.uploads.c.id, db.uploads.c.key)).all())


def one_by_one_then_batched(engine: Any, objects: dict[str, bytes]) -> tuple[dict, dict, Counting]:
    """The same objects processed one at a time and as one batch, each on a clean database and store."""
    runs = []
    for batched in (False, True):
        _wipe(engine)
        svc = make_services(engine, MemoryStore())
        for key, data in objects.items():
            svc.store.put(key, data)
        keys = pending_keys(svc)
        with Counting(svc) as counting:
            if batched:
                process_batch(svc, keys, "test-run")
            else:
                for key in keys:
                    process_object(svc, key, "test-run")
        runs.append((snapshot(svc), counting))
    (alone, _), (together, counting) = runs
    return alone, together, counting


def test_the_sample_scenario_gets_the_verdicts_of_one_by_one(engine) -> None:  # noqa: ANN001
    sc = scenario(TODAY)
    alone, together, counting = one_by_one_then_batched(engine, sc.objects)
    for part in alone:
        assert together[part] == alone[part], part
    runs = [{counting.keys[u] for u in run} for run in counting.runs]
    # A's and B's rosters share a trainee (ENR-OVERLAP), their schedules a teacher: never in one run.
    ra, rb = (next(k for k in sc.objects if f"/{sc.inst[x]}/roster/" in k and "garbage" not in k
                   and "no-phone" not in k) for x in "AB")
    assert not any({ra, rb} <= run for run in runs)
    sa, sb = (next(k for k in sc.objects if f"/{sc.inst[x]}/schedule/" in k) for x in "AB")
    assert not any({sa, sb} <= run for run in runs)


def test_a_burst_of_rosters_that_share_nobody_is_one_gate_run(engine) -> None:  # noqa: ANN001
    store = MemoryStore()
    _wipe(engine)
    w = World(make_services(engine, store))
    w.registries()
    for uscc, cid in ((A, "A-1"), (B, "B-1")):
        w.file_class(cid, uscc)
    setup = {o.key: store.get(o.key) for o in store.list("reference/") + store.list("inbox/")}
    rosters = {f"inbox/{uscc}/roster/{cid}-{n}.csv": csv_bytes(
        list(World.roster_row(cid, "")),
        [list(World.roster_row(cid, p, f"137{n}{i:07d}").values()) for i, p in enumerate(people)])
        for n, (uscc, cid, people) in enumerate(((A, "A-1", POOL_PEOPLE[:2]), (B, "B-1", POOL_PEOPLE[2:4]),
                                                  (A, "A-1", POOL_PEOPLE[4:5])))}
    alone, together, counting = one_by_one_then_batched(engine, {**setup, **rosters})
    for part in alone:
        assert together[part] == alone[part], part
    runs = [{counting.keys[u] for u in run} for run in counting.runs]
    first, second, third = rosters
    # Two institutions, nobody in common: one round. A's second roster is a round of its own (after A's
    # first), judged ahead in the same GX run: a run over it alone once A's first is applied judges it the
    # same (tasks/ingest._gate_ahead), so it is never gated again.
    assert runs == [run for run in runs if first not in run] + [{first, second, third}]


def test_rosters_naming_the_same_trainees_are_one_gate_run_unless_an_earlier_one_changes_a_verdict(engine) -> None:  # noqa: ANN001
    store = MemoryStore()
    _wipe(engine)
    w = World(make_services(engine, store))
    w.registries()
    for uscc, cid in ((A, "A-1"), (B, "B-1")):
        w.file_class(cid, uscc)  # the same days and hours: a trainee in both is ENR-OVERLAP
    setup = {o.key: store.get(o.key) for o in store.list("reference/") + store.list("inbox/")}

    def roster(cid: str, people: list[str]) -> bytes:
        return csv_bytes(list(World.roster_row(cid, "")), [list(World.roster_row(cid, p).values()) for p in people])

    # The stack bench's burst: every roster names the same trainees (one round each), in classes nobody
    # filed, so every row is rejected and none changes what the next one is judged on.
    unknown = {f"inbox/{uscc}/roster/X-{n}.csv": roster(f"X-{n}", POOL_PEOPLE[:2]) for n, uscc in enumerate((A, B, A, B))}
    alone, together, counting = one_by_one_then_batched(engine, {**setup, **unknown})
    for part in alone:
        assert together[part] == alone[part], part
    runs = [{counting.keys[u] for u in run} for run in counting.runs]
    assert set(unknown) in runs and not [run for run in runs if run & set(unknown) and run != set(unknown)]

    # B's roster meets A's accepted trainee in an overlapping class. Judged ahead in one run, A's roster saw
    # B's staged trainee, which a run over it alone does not: A's is gated again. B's was judged with A's
    # trainee in view, as a run over it alone gives once A's is applied: kept, flagged as one by one.
    ra, rb = f"inbox/{A}/roster/A-1.csv", f"inbox/{B}/roster/B-1.csv"
    alone, together, counting = one_by_one_then_batched(engine, {**setup, ra: roster("A-1", POOL_PEOPLE[:1]),
                                                                 rb: roster("B-1", POOL_PEOPLE[:1])})
    for part in alone:
        assert together[part] == alone[part], part
    assert "ENR-OVERLAP" in together["summaries"][f"outbox/{B}/roster/B-1.summary.json"]["rule_codes"]
    runs = [{counting.keys[u] for u in run} for run in counting.runs]
    assert {ra, rb} in runs and {ra} in runs and {rb} not in runs


# A small world drawn at random: institutions A and B file classes whose teachers, venues, trainees,
# phones and devices come from small pools, so their uploads meet often, and sometimes do not.
POOL_PEOPLE = [person(300 + i, date(1985, 1, 1) + timedelta(days=97 * i)) for i in range(6)]
POOL_TEACHERS = [person(950 + i, date(1979, 3, 3)) for i in range(2)]
POOL_PHONES = ["13900000001", "13900000002", "13900000003"]


@st.composite
def uploads(draw: st.DrawFn) -> dict[str, bytes]:
    objects: dict[str, bytes] = {}
    for uscc in draw(st.permutations([A, B])):
        n_classes = draw(st.integers(1, 2))
        for c in range(n_classes):
            cid = f"{uscc[-3:]}-{c}"
            row = World.class_row(cid, uscc, teacher_id=draw(st.sampled_from(POOL_TEACHERS)),
                                  venue=draw(st.sampled_from(["东吴北路1号", "宝带西路2号"])))
            objects[f"inbox/{uscc}/filing/{cid}.csv"] = csv_bytes(list(row), [list(row.values())])
            days = draw(st.integers(1, 3))
            start = draw(st.sampled_from(["08:00", "09:00", "13:00"]))
            objects[f"inbox/{uscc}/schedule/{cid}.csv"] = csv_bytes(
                ["class_id", "session_date", "start_time", "end_time", "mode"],
                [[cid, (START + timedelta(days=d)).isoformat(), start, "17:00", "offline"] for d in range(days)])
            people = draw(st.lists(st.sampled_from(POOL_PEOPLE), min_size=1, max_size=4))
            objects[f"inbox/{uscc}/roster/{cid}.csv"] = csv_bytes(
                list(World.roster_row(cid, "")),
                [list(World.roster_row(cid, p, draw(st.sampled_from(POOL_PHONES))).values()) for p in people])
            checks = [World.check(cid, p, day=draw(st.integers(0, days - 1)),
                                  cin=draw(st.sampled_from(["08:00:05", "09:00:05", "13:00:05"])),
                                  device=draw(st.sampled_from(["DEV-1", "DEV-2"])))
                      for p in draw(st.lists(st.sampled_from(POOL_PEOPLE), min_size=1, max_size=5))]
            objects[f"inbox/{uscc}/attendance/{cid}.csv"] = csv_bytes(list(checks[0]), [list(r.values()) for r in checks])
    return objects


_REGISTRIES: dict[str, bytes] = {}


def registry_objects(engine: Any) -> dict[str, bytes]:
    """The standard world's reference files as bytes; the same every time, so made once (processing them
    to get them costs a gate run per file, and each example processes them twice anyway)."""
    if not _REGISTRIES:
        store = MemoryStore()
        _wipe(engine)
        World(make_services(engine, store)).registries()
        _REGISTRIES.update({o.key: store.get(o.key) for o in store.list("reference/")})
    return dict(_REGISTRIES)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=uploads())
def test_random_batches_get_the_verdicts_of_one_by_one(engine, objects: dict[str, bytes]) -> None:  # noqa: ANN001
    alone, together, _ = one_by_one_then_batched(engine, {**registry_objects(engine), **objects})
    for part in alone:
        assert together[part] == alone[part], part


def test_every_check_of_every_stage_runs_over_a_batch_of_uploads(svc) -> None:  # noqa: ANN001
    from tasks.kinds import KINDS

    for kind in KINDS.values():
        result = svc.gate().run(kind.name, kind.staging.name, [1, 2, 3])  # raises when a check cannot run
        assert result.success and not result.hits, kind.name
