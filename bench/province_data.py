"""A seeded province-day of uploads with 1–3 % planted problems (the benchmark's and its test's data).

Five classes per institution, 30 trainees per class, 24 four-hour sessions, one attendance record per
trainee and session: 2,000 classes are 400 institutions, ~2,800 files and ~1.6 M rows (of which
1.44 M attendance), as measured in shared/notes/traps.md. Files come as XLSX, CSV UTF-8 and CSV GBK,
with English or Chinese headers (spec/uploads.md). Every planted problem is recorded with the upload
key (or "nightly") where a correct pipeline reports its rule code.

Planted problems are extra rows or deliberate changes that do not cascade: a roster row planted to be
rejected belongs to someone with no attendance, a trainee whose score is planted wrong gets no
certificate. Not planted: FILE-TOO-LARGE (a 50 MiB file), ADV-DUPLICATE (needs an advance already
paid) and the settlement-time history rules (ENR-NOT-INSURED, ENR-ANNUAL-CAP, ENR-REPEAT-LEVEL,
ENR-EXCLUSIVE).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from infra.samples import csv_bytes, make_uscc, person, xlsx_bytes
from schemas.assessment import AssessmentRow
from schemas.attendance import AttendanceRow
from schemas.certificate import CertificateRow
from schemas.claim import ClaimRow
from schemas.enrollment import RosterRow
from schemas.filing import FilingRow, ScheduleRow
from schemas.rules import RULES, Effect

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, 0, 0)
START = TODAY - timedelta(days=45)
SESSIONS = 24
LAST = START + timedelta(days=SESSIONS - 1)
END = START + timedelta(days=27)
EXAM = LAST + timedelta(days=1)
ISSUED = EXAM + timedelta(days=2)
TRAINEES, CAPACITY, PER_INSTITUTION = 30, 40, 5
SESSION_START, SESSION_END = "08:30", "12:30"  # 4 h × 24 sessions = 96 planned hours
OCCUPATIONS = [("4-10-01-02", "育婴员", "是", "1500"), ("6-18-01-01", "焊工", "否", "1800"),
               ("4-03-02-01", "中式烹调师", "否", "1200"), ("4-14-02-02", "电工", "是", "1600"),
               ("4-10-04-01", "保健按摩师", "否", "1000")]
REGIONS = ["320506", "320505", "320508", "320509", "320581", "320582", "320583", "320585"]
EMPLOYER = make_uscc(9)
BLACKLISTED, UNREGISTERED = make_uscc(7), make_uscc(8)
ROW_RATE = 0.015  # share of rows carrying a planted problem, per kind
CLASS_RATE = 0.05  # share of classes carrying a class-level planted problem

ROW_PLANTS = {
    "filing": ["FIL-DATES", "FIL-INST-UNQUALIFIED", "FIL-NO-STANDARD", "ROW-FORMAT"],
    "schedule": ["ROW-UNKNOWN-CLASS", "ROW-FORMAT"],
    "roster": ["ENR-ID-INVALID", "ENR-AGE", "ENR-DUPLICATE", "ENR-ELIGIBILITY", "ROW-FORMAT", "ENR-PENSIONER",
               "ENR-CATEGORY-CONFLICT", "ENR-SHARED-PHONE"],
    "attendance": ["ATT-NOT-ENROLLED", "ATT-INVALID-TIME", "ATT-OUTSIDE-SESSION", "ROW-FORMAT"],
    "assessment": ["ASM-NOT-ENROLLED", "ASM-SCORE", "ASM-SELF-ASSESSED", "ASM-BEFORE-END", "ROW-FORMAT"],
    "certificate": ["CRT-NO-PASS", "CRT-MISMATCH", "CRT-BEFORE-EXAM", "CRT-DUPLICATE-NO", "ROW-FORMAT"],
    "claim": ["ADV-OVER-CAP", "ADV-NOT-ELIGIBLE", "SET-OVERCLAIM", "ROW-UNKNOWN-CLASS", "ROW-FORMAT"],
}
CLASS_PLANTS = ["FIL-LATE", "FIL-HOURS-MISMATCH", "FIL-TEACHER-CLASH", "FIL-VENUE-CLASH", "ENR-OVER-CAPACITY",
                "ENR-OVERLAP", "ATT-BURST", "ATT-CLONED-PATTERN", "ATT-DEVICE-SHARED", "ATT-LOW", "ASM-UNIFORM"]
MODELS = {"filing": FilingRow, "schedule": ScheduleRow, "roster": RosterRow, "attendance": AttendanceRow,
          "assessment": AssessmentRow, "certificate": CertificateRow, "claim": ClaimRow}
KIND_ORDER = ["filing", "schedule", "roster", "attendance", "assessment", "certificate", "claim"]


@dataclass(frozen=True)
class Plant:
    code: str
    key: str  # the upload whose verdicts or findings carry the code; "nightly" for settlement-time rules
    class_id: str | None = None


@dataclass
class ProvinceDay:
    classes: int
    institutions: list[str]
    objects: dict[str, bytes] = field(default_factory=dict)  # key → bytes, in upload order per phase
    rows: dict[str, int] = field(default_factory=dict)  # key → data rows
    plants: list[Plant] = field(default_factory=list)

    def phase(self, key: str) -> str:
        parts = key.split("/")
        return "reference" if parts[0] == "reference" else parts[2]

    def keys_of(self, phase: str) -> list[str]:
        return [k for k in self.objects if self.phase(k) == phase]

    def rows_of(self, phase: str) -> int:
        return sum(self.rows[k] for k in self.keys_of(phase))

    def planted_codes(self) -> Counter[str]:
        return Counter(p.code for p in self.plants)


@dataclass
class _Class:
    index: int
    inst: int
    uscc: str
    class_id: str
    occupation: tuple[str, str, str, str]
    project_based: bool
    teacher: str
    venue: str
    people: list[str]
    plants: set[str] = field(default_factory=set)
    partner: _Class | None = None  # the earlier institution's class a cross-institution plant collides with
    capacity: int = CAPACITY
    filed_on: date = START - timedelta(days=10)


def person_no(p: int) -> str:
    """The p-th distinct valid ID number (born 1970–, so 16–60 years old at the class start)."""
    rest = p // len(REGIONS)
    return person(rest % 1000, date(1970, 1, 1) + timedelta(days=3 * (rest // 1000)), REGIONS[p % len(REGIONS)])


def _spread(rng: random.Random, codes: list[str], units: int, rate: float) -> list[str]:
    """max(len(codes), rate × units) plants, round-robin over the codes (every code at least once)."""
    n = max(len(codes), round(rate * units)) if units else 0
    return [codes[i % len(codes)] for i in range(n)]


class _Builder:
    def __init__(self, classes: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_inst = max(2, round(classes / PER_INSTITUTION))
        self.insts = [make_uscc(1000 + i) for i in range(self.n_inst)]
        self.limited = {i for i in range(self.n_inst) if i % 4 == 1}  # qualified for two occupations only
        self.day = ProvinceDay(classes, self.insts)
        self.next_person = 0
        self.phones: dict[str, str] = {}
        self.classes: list[_Class] = []
        for c in range(classes):
            inst = c * self.n_inst // classes
            uscc = self.insts[inst]
            occ = OCCUPATIONS[(c + inst) % (2 if inst in self.limited else len(OCCUPATIONS))]
            self.classes.append(_Class(c, inst, uscc, f"C{c:05d}", occ, c % 5 != 4,
                                       person_no(10_000_000 + c), f"{uscc[-6:]} 第{c}教室", self.people(TRAINEES)))
        self.pensioners: list[str] = []
        self.insured: list[str] = []
        for code in _spread(self.rng, CLASS_PLANTS, classes, CLASS_RATE):
            cls = self.classes[self.rng.randrange(classes)]
            cls.plants.add(code)
            if code in ("FIL-TEACHER-CLASH", "FIL-VENUE-CLASH", "ENR-OVERLAP", "ATT-DEVICE-SHARED"):
                others = [o for o in self.classes if o.inst != cls.inst]
                if not others:
                    cls.plants.discard(code)
                    continue
                # the collision is reported on the later of the two uploads (stored rows meet staged ones)
                partner = max(others, key=lambda o: (o.inst < cls.inst, -abs(o.inst - cls.inst)))
                if partner.inst > cls.inst:
                    cls.plants.discard(code)
                    cls, partner = partner, cls
                    cls.plants.add(code)
                cls.partner = partner
                if code == "FIL-TEACHER-CLASH":
                    cls.teacher = partner.teacher
                if code == "FIL-VENUE-CLASH":
                    cls.venue = partner.venue
            if code == "FIL-LATE":
                cls.filed_on = START + timedelta(days=2)
            if code == "ENR-OVER-CAPACITY":
                cls.capacity = TRAINEES - 5

    def phone(self, id_number: str) -> str:
        """One phone per person, 13xxxxxxxxx, in order of first use."""
        return self.phones.setdefault(id_number, f"13{len(self.phones) + 1:09d}")

    def people(self, n: int) -> list[str]:
        out = [person_no(self.next_person + i) for i in range(n)]
        self.next_person += n
        return out

    def plant(self, code: str, kind: str, cls: _Class | None, uscc: str | None = None) -> None:
        self.day.plants.append(Plant(code, self.key(uscc or cls.uscc, kind), cls.class_id if cls else None))

    def key(self, uscc: str, kind: str) -> str:
        i = self.insts.index(uscc) if uscc in self.insts else 0
        return f"inbox/{uscc}/{kind}/{kind}-{TODAY:%Y%m%d}.{'xlsx' if self.xlsx(i, kind) else 'csv'}"

    @staticmethod
    def xlsx(i: int, kind: str) -> bool:
        return {"filing": i % 3 == 0, "roster": i % 3 == 1, "assessment": i % 4 == 2, "certificate": i % 4 == 2,
                "claim": i % 4 == 1}.get(kind, False)

    def put(self, key: str, kind: str, header_lang: str, encoding: str, fields: list[str], rows: list[list[object]]) -> None:
        model = MODELS[kind]
        names = [model.headers()[f] for f in fields]  # English header → field (amount → amount_fen)
        header = [model.zh_header(n) if header_lang == "zh" else model.en_header(n) for n in names]
        self.day.objects[key] = (xlsx_bytes(header, rows) if key.endswith(".xlsx")
                                 else csv_bytes(header, rows, encoding))
        self.day.rows[key] = len(rows)

    def put_inst(self, i: int, kind: str, fields: list[str], rows: list[list[object]]) -> None:
        uscc = self.insts[i]
        self.put(self.key(uscc, kind), kind, "zh" if (i // 2) % 2 == 0 else "en", "gbk" if i % 2 else "utf-8", fields, rows)


def province_day(classes: int = 2000, seed: int = 10) -> ProvinceDay:
    """The deterministic province-day for `classes` classes (same seed, same bytes)."""
    b = _Builder(classes, seed)
    by_inst: dict[int, list[_Class]] = {}
    for cls in b.classes:
        by_inst.setdefault(cls.inst, []).append(cls)
    state: dict = {}
    for kind in KIND_ORDER:
        rows = {i: BUILDERS[kind](b, by_inst.get(i, []), state) for i in range(b.n_inst)}
        units = [(i, r) for i in range(b.n_inst) for r in range(len(rows[i]))]
        for code in _spread(b.rng, ROW_PLANTS[kind], len(units), ROW_RATE):
            for _ in range(50):  # a place where the problem can be planted without touching another plant
                i, r = units[b.rng.randrange(len(units))]
                if kind == "filing" and code == "FIL-INST-UNQUALIFIED":
                    if not b.limited:
                        break
                    i = sorted(b.limited)[r % len(b.limited)]
                    r = 0
                cls = next(c for c in by_inst[i] if c.class_id == rows[i][r][FIELDS[kind].index("class_id")])
                extra = ROW_PLANTERS[kind](b, cls, code, rows[i], state)
                if extra is not None:
                    rows[i].extend(extra)
                    b.plant(code, kind, cls)
                    break
        for i in range(b.n_inst):
            if rows[i]:
                b.put_inst(i, kind, FIELDS[kind], rows[i])
    # A held class is not settled, so it has no exclusions yet: a class plant or a row plant that holds it
    # (ASM-ASSESSOR lands on a random assessment row, so in a large day it can meet an ATT-LOW class).
    holds = {code for code, rule in RULES.items() if rule.effect == Effect.HOLD_CLASS}
    held = {p.class_id for p in b.day.plants if p.code in holds}
    for cls in b.classes:
        if "ATT-LOW" in cls.plants and not cls.plants & holds and cls.class_id not in held:
            b.day.plants.append(Plant("ATT-LOW", "nightly", cls.class_id))
    _reference(b)
    _files(b)
    return b.day


FIELDS = {
    "filing": ["class_id", "institution_uscc", "occupation_code", "occupation_name", "level", "training_type",
               "project_based", "start_date", "end_date", "planned_hours", "capacity", "venue", "teacher_id", "filed_on"],
    "schedule": ["class_id", "session_date", "start_time", "end_time", "mode"],
    "roster": ["class_id", "id_number", "name", "phone", "category", "employer_uscc", "payer", "enrolled_on"],
    "attendance": ["class_id", "id_number", "check_in", "check_out", "method", "device_id"],
    "assessment": ["class_id", "id_number", "exam_date", "score", "passed", "assessor_uscc"],
    "certificate": ["certificate_no", "class_id", "id_number", "certificate_type", "occupation_code", "level", "issued_on"],
    "claim": ["class_id", "kind", "amount"],
}


def _filing_row(cls: _Class, **over: object) -> list[object]:
    code, name, _, _ = cls.occupation
    row = {"class_id": cls.class_id, "institution_uscc": cls.uscc, "occupation_code": code, "occupation_name": name,
           "level": "5", "training_type": "employment", "project_based": "是" if cls.project_based else "否",
           "start_date": START.isoformat(), "end_date": END.isoformat(), "planned_hours": SESSIONS * 4,
           "capacity": cls.capacity, "venue": cls.venue, "teacher_id": cls.teacher, "filed_on": cls.filed_on.isoformat()}
    row.update(over)
    return [row[f] for f in FIELDS["filing"]]


def _filing(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    """One row per class; class-level filing plants are decided in _Builder, reported here or on the schedule."""
    for c in classes:
        if "FIL-LATE" in c.plants:
            b.plant("FIL-LATE", "filing", c)
        for code in ("FIL-TEACHER-CLASH", "FIL-VENUE-CLASH", "FIL-HOURS-MISMATCH"):
            if code in c.plants:
                b.plant(code, "schedule", c)
    return [_filing_row(c) for c in classes]


def _plant_filing(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    n = state["filing_extra"] = state.get("filing_extra", 0) + 1
    extra = _Class(cls.index, cls.inst, cls.uscc, f"P{n:05d}", cls.occupation, True, person_no(20_000_000 + n),
                   f"{cls.venue} 附{n}", [])
    if code == "FIL-DATES":
        return [_filing_row(extra, start_date=END.isoformat(), end_date=START.isoformat())]
    if code == "FIL-INST-UNQUALIFIED":
        return [_filing_row(extra, occupation_code=OCCUPATIONS[-1][0], occupation_name=OCCUPATIONS[-1][1])]
    if code == "FIL-NO-STANDARD":
        return [_filing_row(extra, level="3")]
    return [_filing_row(extra, start_date="2026-13-45")]  # ROW-FORMAT


def _session_days() -> list[date]:
    return [START + timedelta(days=d) for d in range(SESSIONS)]


def _schedule(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    rows = []
    for c in classes:
        rows += [[c.class_id, d.isoformat(), SESSION_START, SESSION_END, "线下" if c.inst % 2 == 0 else "offline"]
                 for d in _session_days()]
        if "FIL-HOURS-MISMATCH" in c.plants:
            rows.append([c.class_id, (END + timedelta(days=3)).isoformat(), SESSION_START, SESSION_END, "offline"])
    return rows


def _plant_schedule(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    if code == "ROW-UNKNOWN-CLASS":
        return [["NOPE-" + cls.class_id, START.isoformat(), SESSION_START, SESSION_END, "offline"]]
    return [[cls.class_id, START.isoformat(), "14:00", "16:00", "混合"]]  # ROW-FORMAT: unknown mode, no hours


def _roster_row(b: _Builder, cls: _Class, id_number: str, p: int, **over: object) -> list[object]:
    row = {"class_id": cls.class_id, "id_number": id_number, "name": f"学员{p}", "phone": b.phone(id_number),
           "category": "农村转移就业劳动者" if p % 3 else "失业人员", "employer_uscc": "", "payer": "机构",
           "enrolled_on": (START - timedelta(days=5)).isoformat()}
    row.update(over)
    return [row[f] for f in FIELDS["roster"]]


def _roster(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    rows = []
    for c in classes:
        rows += [_roster_row(b, c, pid, c.index * 100 + k) for k, pid in enumerate(c.people)]
        if "ENR-OVERLAP" in c.plants and c.partner:
            twin = c.partner.people[0]
            rows.append(_roster_row(b, c, twin, 5_000_000 + c.index))
            b.plant("ENR-OVERLAP", "roster", c)
            b.plant("ATT-CLASH", "attendance", c)
        if "ENR-OVER-CAPACITY" in c.plants:
            b.plant("ENR-OVER-CAPACITY", "roster", c)
    return rows


def _plant_roster(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    pid = b.people(1)[0]
    p = b.next_person
    if code == "ENR-ID-INVALID":
        bad = pid[:-1] + ("0" if pid[-1] != "0" else "1")
        return [_roster_row(b, cls, bad, p)]
    if code == "ENR-AGE":
        child = person(p % 1000, START - timedelta(days=365 * 14), REGIONS[0])
        return [_roster_row(b, cls, child, p)]
    if code == "ENR-DUPLICATE":
        return [list(next(r for r in rows if r[0] == cls.class_id))]
    if code == "ENR-ELIGIBILITY":
        return [_roster_row(b, cls, pid, p, payer="企业")]
    if code == "ROW-FORMAT":
        return [_roster_row(b, cls, pid, p, category="火星人")]
    if code == "ENR-PENSIONER":
        b.pensioners.append(pid)
        return [_roster_row(b, cls, pid, p)]
    if code == "ENR-CATEGORY-CONFLICT":
        b.insured.append(pid)
        return [_roster_row(b, cls, pid, p, category="失业人员")]
    shared = b.phone(f"shared-{p}")  # ENR-SHARED-PHONE: three people, one phone
    return [_roster_row(b, cls, q, p, phone=shared) for q in [pid, *b.people(2)]]


def _stamp(d: date, hhmm: str, seconds: int) -> str:
    t = datetime.combine(d, datetime.strptime(hhmm, "%H:%M").time()) + timedelta(seconds=seconds)
    return f"{t:%Y-%m-%d %H:%M:%S}"


def _device(cls: _Class, k: int = 0) -> str:
    return f"DEV-{cls.uscc[-6:]}-{cls.index}" + (f"-{k}" if k else "")


def _attendance(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    rows = []
    rng = b.rng
    for c in classes:
        people = list(c.people)
        if "ENR-OVERLAP" in c.plants and c.partner:
            people.append(c.partner.people[0])
        low = people[1] if "ATT-LOW" in c.plants else None
        state.setdefault("low", set()).add(low)
        for s, d in enumerate(_session_days()):
            ins = rng.sample(range(-900, 0), len(people))  # distinct seconds: no accidental burst
            outs = [rng.randrange(0, 600) for _ in people]
            if "ATT-CLONED-PATTERN" in c.plants and s < 4:
                ins, outs = [-300] * len(people), [120] * len(people)
            if "ATT-BURST" in c.plants and s == 0:
                ins[:6] = [-60] * 6
            for k, pid in enumerate(people):
                if pid == low and s % 2:
                    continue
                device = _device(c, k % 8 + 1 if "ATT-CLONED-PATTERN" in c.plants else 0)
                if "ATT-DEVICE-SHARED" in c.plants and c.partner and s == 1:
                    device = _device(c.partner, 1 if "ATT-CLONED-PATTERN" in c.partner.plants else 0)
                rows.append([c.class_id, pid, _stamp(d, SESSION_START, ins[k]), _stamp(d, SESSION_END, outs[k]),
                             "人脸" if c.inst % 2 == 0 else "face", device])
        for code in ("ATT-BURST", "ATT-CLONED-PATTERN", "ATT-DEVICE-SHARED"):
            if code in c.plants:
                b.plant(code, "attendance", c)
    return rows


def _plant_attendance(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    d = START + timedelta(days=b.rng.randrange(SESSIONS))
    who = cls.people[b.rng.randrange(2, TRAINEES)]
    if code == "ATT-NOT-ENROLLED":
        return [[cls.class_id, b.people(1)[0], _stamp(d, SESSION_START, -30), _stamp(d, SESSION_END, 30), "face",
                 _device(cls)]]
    if code == "ATT-INVALID-TIME":
        return [[cls.class_id, who, _stamp(d, SESSION_END, 7), _stamp(d, SESSION_START, 9), "face", _device(cls)]]
    if code == "ATT-OUTSIDE-SESSION":
        return [[cls.class_id, who, _stamp(d, "19:00", 5), _stamp(d, "20:00", 11), "face", _device(cls)]]
    return [[cls.class_id, who, f"{d} 14:00", f"{d} 15:00", "face", _device(cls)]]  # ROW-FORMAT: no seconds


def _assessment(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    rows = []
    passed = state.setdefault("passed", {})
    for c in classes:
        people = [*c.people, *([c.partner.people[0]] if "ENR-OVERLAP" in c.plants and c.partner else [])]
        for k, pid in enumerate(people):
            score = 85 if "ASM-UNIFORM" in c.plants else b.rng.randrange(40, 99) if k % 20 == 7 else b.rng.randrange(62, 99)
            ok = score >= 60
            rows.append([c.class_id, pid, EXAM.isoformat(), score, "是" if ok else "否", EMPLOYER])
            if ok:
                passed[(c.class_id, pid)] = True
        if "ASM-UNIFORM" in c.plants:
            b.plant("ASM-UNIFORM", "assessment", c)
        if "ATT-LOW" in c.plants and passed.get((c.class_id, c.people[1])):
            b.plant("ASM-LOW-ATTENDANCE", "assessment", c)
    return rows


def _plant_assessment(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    if "ASM-UNIFORM" in cls.plants:
        return None  # a ghost's or a changed score would break the planted uniform scores
    if code == "ASM-NOT-ENROLLED":
        return [[cls.class_id, b.people(1)[0], EXAM.isoformat(), 80, "是", EMPLOYER]]
    mine = [r for r in rows if r[0] == cls.class_id and r[1] not in state.setdefault("asm_planted", set())
            and r[1] != cls.people[1]]
    if not mine:
        return None
    row = mine[b.rng.randrange(len(mine))]
    state["asm_planted"].add(row[1])
    if code == "ASM-SCORE":
        row[3], row[4] = 45, "是"
        state["passed"].pop((cls.class_id, row[1]), None)
    elif code == "ASM-SELF-ASSESSED":
        row[5] = cls.uscc
        b.plant("ASM-ASSESSOR", "assessment", cls)  # a training institution is no registered assessor either
    elif code == "ASM-BEFORE-END":
        row[2] = (START + timedelta(days=10)).isoformat()
    else:  # ROW-FORMAT
        row[3] = "八十"
        state["passed"].pop((cls.class_id, row[1]), None)
    return []


def _cert_row(cls: _Class, no: str, pid: str, **over: object) -> list[object]:
    row = {"certificate_no": no, "class_id": cls.class_id, "id_number": pid, "certificate_type": "职业技能等级证书",
           "occupation_code": cls.occupation[0], "level": "5", "issued_on": ISSUED.isoformat()}
    row.update(over)
    return [row[f] for f in FIELDS["certificate"]]


def _certificate(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    """Certificates for seven in ten passed trainees (40,000 of 60,000 assessed in a province-day)."""
    rows = []
    for c in classes:
        people = [*c.people, *([c.partner.people[0]] if "ENR-OVERLAP" in c.plants and c.partner else [])]
        rows += [_cert_row(c, _cert_no(c, k), pid) for k, pid in enumerate(people)
                 if k % 10 < 7 and state["passed"].get((c.class_id, pid))]
    return rows


def _plant_certificate(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    n = state["cert_extra"] = state.get("cert_extra", 0) + 1
    no = f"ZS{cls.index:06d}X{n:04d}"
    passed = [p for p in cls.people if state["passed"].get((cls.class_id, p))]
    if not passed:
        return None
    if code == "CRT-NO-PASS":
        failed = [p for p in cls.people if not state["passed"].get((cls.class_id, p))]
        return [_cert_row(cls, no, failed[0] if failed else b.people(1)[0])]
    if code == "CRT-MISMATCH":
        return [_cert_row(cls, no, passed[0], level="4")]
    if code == "CRT-BEFORE-EXAM":
        return [_cert_row(cls, no, passed[0], issued_on=(EXAM - timedelta(days=3)).isoformat())]
    if code == "CRT-DUPLICATE-NO":
        held = next((r for r in rows if r[1] == cls.class_id), None)
        return None if held is None else [_cert_row(cls, held[0], next(p for p in passed if p != held[2]))]
    return [_cert_row(cls, no, passed[0], certificate_type="奖状")]  # ROW-FORMAT


def _cert_no(cls: _Class, k: int) -> str:
    return f"ZS{cls.index:06d}{k:05d}"


def _claims(b: _Builder, classes: list[_Class], state: dict) -> list[list[object]]:
    rows = []
    for c in classes:
        amount = int(c.occupation[3])
        if c.project_based:
            rows.append([c.class_id, "先行拨付", f"{amount * 3}.00"])
        rows.append([c.class_id, "结算", f"{amount * 15}.00"])
        if c.plants & {"FIL-LATE", "FIL-HOURS-MISMATCH", "FIL-TEACHER-CLASH", "ENR-OVER-CAPACITY", "ATT-BURST",
                       "ATT-CLONED-PATTERN", "ASM-UNIFORM"}:
            if c.project_based:
                b.plant("ADV-HELD", "claim", c)
            b.plant("SET-HELD", "claim", c)
            b.plant("SET-OVERCLAIM", "claim", c)  # a held class has earned nothing yet
    return rows


def _plant_claim(b: _Builder, cls: _Class, code: str, rows: list, state: dict) -> list[list[object]]:
    amount = int(cls.occupation[3])
    if code == "ADV-OVER-CAP":
        for r in rows:
            if r[0] == cls.class_id and r[1] == "先行拨付":
                r[2] = f"{amount * TRAINEES}.00"
                return []
        return None
    if code == "ADV-NOT-ELIGIBLE":  # an advance for a class that is neither project-based nor an enterprise's
        if cls.project_based or any(r[0] == cls.class_id and r[1] == "先行拨付" for r in rows):
            return None
        return [[cls.class_id, "先行拨付", "100.00"]]
    if code == "SET-OVERCLAIM":
        for r in rows:
            if r[0] == cls.class_id and r[1] == "结算":
                r[2] = f"{amount * TRAINEES * 10}.00"
        return []
    if code == "ROW-UNKNOWN-CLASS":
        return [["NOPE-" + cls.class_id, "结算", "100.00"]]
    return [[cls.class_id, "预付款", "100.00"]]  # ROW-FORMAT: unknown claim kind


BUILDERS = {"filing": _filing, "schedule": _schedule, "roster": _roster, "attendance": _attendance,
            "assessment": _assessment, "certificate": _certificate, "claim": _claims}
ROW_PLANTERS = {"filing": _plant_filing, "schedule": _plant_schedule, "roster": _plant_roster,
                "attendance": _plant_attendance, "assessment": _plant_assessment, "certificate": _plant_certificate,
                "claim": _plant_claim}


def _reference(b: _Builder) -> None:
    day = b.day
    inst_rows = [[u, f"第{i}职业培训学校", "school" if i % 3 == 0 else "training_org",
                  ";".join(o[0] for o in OCCUPATIONS[:2]) if i in b.limited else "*", "A", "否", "否"]
                 for i, u in enumerate(b.insts)]
    inst_rows += [[EMPLOYER, "苏州评价中心", "assessor", "*", "A", "否", "否"],
                  [BLACKLISTED, "被禁入机构", "training_org", "*", "D", "是", "否"]]
    ref = {
        "institutions": (["uscc", "name", "kind", "qualified_occupations", "rating", "blacklisted", "difficult"], inst_rows, "utf-8"),
        "occupations": (["职业编码", "职业名称", "是否紧缺"], [[c, n, s] for c, n, s, _ in OCCUPATIONS], "gbk"),
        "subsidy_catalog": (["occupation_code", "level", "training_type", "amount"],
                            [[c, "5", "employment", a] for c, _, _, a in OCCUPATIONS], "utf-8"),
        "pensioners": (["身份证号"], [[p] for p in b.pensioners] or [[person_no(30_000_000)]], "utf-8"),
        "insured": (["id_number", "employer_uscc"], [[p, EMPLOYER] for p in b.insured] or [[person_no(30_000_001), EMPLOYER]], "utf-8"),
        "low_income": (["身份证号", "类型"], [[person_no(30_000_002), "低保"]], "gbk"),
    }
    refs = {}
    for name, (header, rows, enc) in ref.items():
        refs[f"reference/{name}/{TODAY:%Y-%m}.csv"] = (csv_bytes(header, rows, enc), len(rows))
    # reference first: the phase dict keeps insertion order, so rebuild with reference keys in front
    day.objects = {**{k: v for k, (v, _) in refs.items()}, **day.objects}
    day.rows.update({k: n for k, (_, n) in refs.items()})


def _files(b: _Builder) -> None:
    """Whole-file problems: unreadable, a missing column, a foreign institution, blacklisted and unknown institutions."""
    day, first = b.day, b.classes[0]
    rows = {}
    rows[f"inbox/{b.insts[0]}/roster/garbage.csv"] = (bytes(range(256)) * 8, 0, "FILE-UNREADABLE")
    rows[f"inbox/{b.insts[0]}/roster/no-phone.csv"] = (csv_bytes(
        ["班级编号", "身份证号", "姓名", "人员类别", "出资方", "报名日期"],
        [[first.class_id, first.people[0], "学员", "失业人员", "机构", START.isoformat()]]), 1, "FILE-MISSING-COLUMN")
    other = b.classes[-1]
    rows[f"inbox/{b.insts[-1]}/filing/foreign.csv"] = (csv_bytes(FIELDS["filing"], [_filing_row(
        _Class(0, 0, b.insts[0], "F00001", OCCUPATIONS[0], True, other.teacher, "外地", []))]), 1, "SEC-FOREIGN-INSTITUTION")
    for uscc, code in ((BLACKLISTED, "FIL-INST-BLACKLISTED"), (UNREGISTERED, "FIL-INST-UNKNOWN")):
        cls = _Class(0, 0, uscc, "Z00001", OCCUPATIONS[0], True, person_no(40_000_000), f"{uscc} 教室", [])
        rows[f"inbox/{uscc}/filing/classes.csv"] = (csv_bytes(FIELDS["filing"], [_filing_row(cls)], "gbk"), 1, code)
    for key, (data, n, code) in rows.items():
        day.objects[key] = data
        day.rows[key] = n
        day.plants.append(Plant(code, key))
