"""A small world for gate tests: registries, institutions A/B/C, helpers to upload and read verdicts."""

from __future__ import annotations

import json
import zlib
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from infra import db
from infra.samples import csv_bytes, make_uscc, person
from tasks.ingest import Outcome, process_object

A, B, C, D, EMP = make_uscc(1), make_uscc(2), make_uscc(3), make_uscc(4), make_uscc(9)
ASSESSOR = make_uscc(8)  # a registered assessment institution (评价机构, ASM-ASSESSOR)
TODAY = date(2026, 11, 26)
START = TODAY + timedelta(days=30)
END = START + timedelta(days=9)
TEACHER = person(900, date(1980, 5, 5))
PENSIONER = person(10, date(1970, 1, 1))
INSURED = person(11, date(1990, 2, 2))
LOW_INCOME = person(12, date(1991, 3, 3))


def people(n: int, offset: int = 100) -> list[str]:
    return [person(offset + i, date(1990, 1, 1) + timedelta(days=37 * i)) for i in range(n)]


def two_institutions(svc: Any) -> World:
    """Registries loaded, class A-1 filed by institution A and B-1 by institution B at overlapping hours."""
    world = World(svc)
    world.registries()
    world.file_class("A-1")
    world.file_class("B-1", B, start_time="09:00", end_time="17:00")
    return world


class World:
    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.n = 0

    def put(self, key: str, rows: list[dict[str, Any]], encoding: str = "utf-8", header: list[str] | None = None) -> Outcome:
        header = header or list(rows[0])
        data = csv_bytes(header, [[r.get(h, "") for h in header] for r in rows], encoding)
        return self.put_bytes(key, data)

    def put_bytes(self, key: str, data: bytes) -> Outcome:
        self.svc.store.put(key, data)
        return process_object(self.svc, key, "test-run")

    def upload(self, uscc: str, kind: str, rows: list[dict[str, Any]], **kw: Any) -> Outcome:
        self.n += 1
        return self.put(f"inbox/{uscc}/{kind}/{kind}-{self.n}.csv", rows, **kw)

    def verdicts(self, outcome: Outcome) -> dict[int, tuple[str, set[str]]]:
        with self.svc.engine.connect() as conn:
            rows = conn.execute(select(db.row_verdicts).where(db.row_verdicts.c.upload_id == outcome.upload_id)).mappings()
            return {r["row_no"]: (r["verdict"], set(filter(None, r["rule_codes"].split(";")))) for r in rows}

    def codes(self, outcome: Outcome) -> set[str]:
        return {c for _, codes in self.verdicts(outcome).values() for c in codes}

    def findings(self, code: str | None = None) -> list[dict[str, Any]]:
        q = select(db.findings)
        if code:
            q = q.where(db.findings.c.rule_code == code)
        with self.svc.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.order_by(db.findings.c.id)).mappings()]

    def count(self, table: Any) -> int:
        with self.svc.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def outbox(self, outcome: Outcome) -> tuple[str, dict[str, Any]]:
        key = outcome.key
        parts = key.split("/")
        name = parts[-1].rsplit(".", 1)[0]
        prefix = f"outbox/{parts[1]}/{parts[2]}/{name}"
        return (self.svc.store.get(prefix + ".result.csv").decode("utf-8-sig"),
                json.loads(self.svc.store.get(prefix + ".summary.json")))

    # --- the standard world
    def registries(self) -> None:
        self.put("reference/institutions/i.csv", [
            {"uscc": A, "name": "A 学校", "kind": "school", "qualified_occupations": "*", "rating": "A", "blacklisted": "否"},
            {"uscc": B, "name": "B 中心", "kind": "training_org", "qualified_occupations": "4-10-01-02", "rating": "B", "blacklisted": "否"},
            {"uscc": C, "name": "C 禁入", "kind": "training_org", "qualified_occupations": "*", "rating": "D", "blacklisted": "是"},
            {"uscc": EMP, "name": "企业", "kind": "enterprise", "qualified_occupations": "*", "rating": "A", "blacklisted": "否"},
            {"uscc": ASSESSOR, "name": "评价中心", "kind": "assessor", "qualified_occupations": "*", "rating": "A",
             "blacklisted": "否"},
        ])
        self.put("reference/occupations/o.csv", [{"occupation_code": "4-10-01-02", "occupation_name": "育婴员", "shortage": "yes"}])
        self.put("reference/subsidy_catalog/c.csv", [{"occupation_code": "4-10-01-02", "level": "5", "training_type": "employment", "amount": "1500"}])
        self.put("reference/pensioners/p.csv", [{"id_number": PENSIONER}])
        self.put("reference/insured/i.csv", [{"id_number": INSURED, "employer_uscc": EMP}])
        self.put("reference/low_income/l.csv", [{"id_number": LOW_INCOME, "kind": "dibao"}])

    @staticmethod
    def class_row(class_id: str, uscc: str, **over: Any) -> dict[str, Any]:
        row = {"class_id": class_id, "institution_uscc": uscc, "occupation_code": "4-10-01-02", "occupation_name": "育婴员",
               "level": "5", "training_type": "employment", "project_based": "yes", "start_date": START.isoformat(),
               "end_date": END.isoformat(), "planned_hours": "40", "capacity": "30", "venue": f"{uscc} {class_id} 教室",
               "teacher_id": person(zlib.crc32(f"{uscc}{class_id}".encode()) % 1000, date(1980, 5, 5))}
        row.update(over)
        return row

    def file_class(self, class_id: str, uscc: str = A, sessions: int = 5, start_time: str = "08:00",
                   end_time: str = "16:00", **over: Any) -> None:
        out = self.upload(uscc, "filing", [self.class_row(class_id, uscc, **over)])
        assert out.status == "done", out
        if sessions:
            self.schedule(class_id, uscc, sessions, start_time, end_time)

    def schedule(self, class_id: str, uscc: str = A, sessions: int = 5, start_time: str = "08:00", end_time: str = "16:00") -> Outcome:
        rows = [{"class_id": class_id, "session_date": (START + timedelta(days=i)).isoformat(), "start_time": start_time,
                 "end_time": end_time, "mode": "offline"} for i in range(sessions)]
        return self.upload(uscc, "schedule", rows)

    def enrol(self, class_id: str, ids: list[str], uscc: str = A) -> None:
        out = self.upload(uscc, "roster", [self.roster_row(class_id, p, f"138{i:08d}") for i, p in enumerate(ids)])
        assert out.counts["rejected"] == 0, self.verdicts(out)

    @staticmethod
    def check(class_id: str, id_number: str, day: int = 0, cin: str = "08:00:05", cout: str = "15:59:40",
              method: str = "face", device: str = "DEV-1") -> dict[str, Any]:
        d = (START + timedelta(days=day)).isoformat()
        return {"class_id": class_id, "id_number": id_number, "check_in": f"{d} {cin}", "check_out": f"{d} {cout}",
                "method": method, "device_id": device}

    @staticmethod
    def exam(class_id: str, id_number: str, score: str = "80", passed: str = "是", assessor: str = "", day: int = 10) -> dict[str, Any]:
        return {"class_id": class_id, "id_number": id_number, "exam_date": (START + timedelta(days=day)).isoformat(),
                "score": score, "passed": passed, "assessor_uscc": assessor or ASSESSOR}

    @staticmethod
    def cert(no: str, class_id: str, id_number: str, **over: Any) -> dict[str, Any]:
        row = {"certificate_no": no, "class_id": class_id, "id_number": id_number, "certificate_type": "skill_level",
               "occupation_code": "4-10-01-02", "level": "5", "issued_on": (START + timedelta(days=12)).isoformat()}
        row.update(over)
        return row

    @staticmethod
    def roster_row(class_id: str, id_number: str, phone: str = "13800000000", **over: Any) -> dict[str, Any]:
        row = {"class_id": class_id, "id_number": id_number, "name": "学员", "phone": phone, "category": "migrant",
               "employer_uscc": "", "payer": "individual", "enrolled_on": TODAY.isoformat()}
        row.update(over)
        return row
