"""Generated sample uploads with planted problems, for the demo and the tests (never committed as files)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from schemas.cells import uscc_check_char
from schemas.idcard import make_id_number


def make_uscc(seq: int, prefix: str = "9132050") -> str:
    body = f"{prefix}{seq:010d}"[:17]
    return body + uscc_check_char(body)


def person(seq: int, born: date, region: str = "320506") -> str:
    """A valid ID number (region 320506 吴中区 on purpose: stdnum's table lacks it)."""
    return make_id_number(f"{region}{born:%Y%m%d}{seq % 1000:03d}")


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FILING_ZH = ["班级编号", "机构信用代码", "职业编码", "职业名称", "等级", "培训类型", "项目制", "开班日期", "结业日期",
             "计划课时", "计划人数", "培训地点", "授课教师身份证号"]
ROSTER_ZH = ["班级编号", "身份证号", "姓名", "手机号", "人员类别", "用人单位信用代码", "出资方", "报名日期"]
SCHEDULE_EN = ["class_id", "session_date", "start_time", "end_time", "mode"]


@dataclass
class Scenario:
    """Objects to upload (key → bytes) and the verdicts a correct system gives them."""

    today: date
    objects: dict[str, bytes] = field(default_factory=dict)
    expected_rows: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # key → label → (verdict, code)
    expected_files: dict[str, str] = field(default_factory=dict)  # key → status
    inst: dict[str, str] = field(default_factory=dict)
    # The money story: a class of A paid an advance and settled, then a hold found after payment.
    money: dict[str, bytes] = field(default_factory=dict)  # uploaded with `objects`
    late: dict[str, bytes] = field(default_factory=dict)  # uploaded after the first settlement
    money_class: str = ""
    late_hold: str = ""  # the trainee the late upload puts on hold


def scenario(today: date) -> Scenario:
    """Three institutions, two good classes sharing a teacher, and one planted case per upload-time rule."""
    sc = Scenario(today)
    a, b, c = make_uscc(1), make_uscc(2), make_uscc(3)
    employer, assessor = make_uscc(9), make_uscc(8)
    sc.inst = {"A": a, "B": b, "C": c, "employer": employer, "assessor": assessor}
    start = today + timedelta(days=30)
    end = start + timedelta(days=9)
    teacher = person(900, date(1980, 5, 5))

    sc.objects["reference/institutions/2026-11.csv"] = csv_bytes(
        ["uscc", "name", "kind", "qualified_occupations", "rating", "blacklisted", "difficult"],
        [[a, "苏州技工学校", "school", "*", "A", "否", "否"],
         [b, "吴中培训中心", "training_org", "4-10-01-02", "B", "否", "否"],
         [c, "被禁入机构", "training_org", "*", "D", "是", "否"],
         [employer, "苏州制造有限公司", "enterprise", "*", "A", "否", "是"],
         [assessor, "苏州职业技能评价中心", "assessor", "*", "A", "否", "否"]])
    sc.objects["reference/occupations/2026.csv"] = csv_bytes(
        ["职业编码", "职业名称", "是否紧缺"], [["4-10-01-02", "育婴员", "是"], ["6-18-01-01", "焊工", "否"]], "gbk")
    sc.objects["reference/subsidy_catalog/2026.csv"] = csv_bytes(
        ["occupation_code", "level", "training_type", "amount"],
        [["4-10-01-02", "5", "employment", "1500.00"], ["6-18-01-01", "4", "safety", "900"]])
    pensioner = person(10, date(1970, 1, 1))
    insured_elsewhere = person(11, date(1990, 2, 2))
    sc.objects["reference/pensioners/2026-11.csv"] = csv_bytes(["身份证号"], [[pensioner]])
    sc.objects["reference/insured/2026-11.csv"] = csv_bytes(["id_number", "employer_uscc"], [[insured_elsewhere, employer]])

    def filing_row(cid: str, inst: str, occ: str, ttype: str, s: date, e: date, hours: int = 40, venue: str = "苏州市吴中区东吴北路1号"):
        return [cid, inst, occ, "育婴员" if occ.startswith("4") else "焊工", "初级工", ttype, "是", s.isoformat(), e.isoformat(),
                hours, 30, venue, teacher]

    key_fa = f"inbox/{a}/filing/2026-A.xlsx"
    sc.objects[key_fa] = xlsx_bytes(FILING_ZH, [
        filing_row("A-001", a, "4-10-01-02", "就业技能培训", start, end),
        filing_row("A-002", a, "4-10-01-02", "岗前培训", today - timedelta(days=3), today + timedelta(days=6)),
        filing_row("A-003", a, "4-10-01-02", "就业技能培训", end, start),
        filing_row("A-004", a, "6-18-01-01", "创业培训", start, end),
    ])
    sc.expected_rows[key_fa] = {"A-001": ("accepted", ""), "A-002": ("accepted_flagged", "FIL-LATE"),
                                "A-003": ("rejected", "FIL-DATES"), "A-004": ("accepted", "FIL-NO-STANDARD")}
    key_fb = f"inbox/{b}/filing/b-classes.csv"
    sc.objects[key_fb] = csv_bytes(FILING_ZH, [
        filing_row("B-001", b, "4-10-01-02", "就业技能培训", start, end, venue="吴中区宝带西路2号"),
        filing_row("B-002", b, "6-18-01-01", "安全技能培训", start, end),
    ], "gbk")
    sc.expected_rows[key_fb] = {"B-001": ("accepted", ""), "B-002": ("rejected", "FIL-INST-UNQUALIFIED")}
    key_fc = f"inbox/{c}/filing/c.csv"
    sc.objects[key_fc] = csv_bytes(FILING_ZH, [filing_row("C-001", c, "4-10-01-02", "就业技能培训", start, end)])
    sc.expected_rows[key_fc] = {"C-001": ("rejected", "FIL-INST-BLACKLISTED")}

    days = [start + timedelta(days=i) for i in range(5)]
    key_sa = f"inbox/{a}/schedule/A-001.csv"
    sc.objects[key_sa] = csv_bytes(SCHEDULE_EN, [["A-001", d.isoformat(), "08:00", "16:00", "offline"] for d in days]
                                   + [["A-404", days[0].isoformat(), "08:00", "16:00", "offline"]])
    sc.expected_rows[key_sa] = {"A-001": ("accepted", ""), "A-404": ("rejected", "ROW-UNKNOWN-CLASS")}
    key_sb = f"inbox/{b}/schedule/B-001.csv"  # same teacher as A-001, same days: a clash
    sc.objects[key_sb] = csv_bytes(SCHEDULE_EN, [["B-001", d.isoformat(), "09:00", "17:00", "线下"] for d in days])
    sc.expected_rows[key_sb] = {"B-001": ("accepted_flagged", "FIL-TEACHER-CLASH")}

    good = [person(100 + i, date(1995, 1, 1) + timedelta(days=40 * i)) for i in range(4)]
    phone_shared = "13912345678"
    child = person(12, today - timedelta(days=365 * 14))
    key_ra = f"inbox/{a}/roster/A-001-学员.csv"
    sc.objects[key_ra] = csv_bytes(ROSTER_ZH, [
        ["A-001", good[0], "王小明", "13800000001", "失业人员", "", "个人", today.isoformat()],
        ["A-001", good[1][:-1] + good[1][-1].lower(), "李娜", phone_shared, "农村转移就业劳动者", "", "个人", today.isoformat()],
        ["A-001", good[2], "赵强", phone_shared, "农村转移就业劳动者", "", "个人", today.isoformat()],
        ["A-001", good[3], "钱芳", phone_shared, "其他", "", "免费", today.isoformat()],
        ["A-001", good[0], "王小明", "13800000001", "失业人员", "", "个人", today.isoformat()],
        ["A-001", good[0][:-1] + ("0" if good[0][-1] != "0" else "1"), "假身份", "13800000002", "其他", "", "个人", today.isoformat()],
        ["A-001", child, "童工", "13800000003", "其他", "", "个人", today.isoformat()],
        ["A-001", pensioner, "退休者", "13800000004", "其他", "", "个人", today.isoformat()],
        ["A-001", insured_elsewhere, "孙莉", "13800000005", "失业人员", "", "个人", today.isoformat()],
        ["A-002", good[0], "王小明", "13800000001", "失业人员", "", "企业", today.isoformat()],
        ["A-001", good[0], "王小明", "13800000001", "火星人", "", "个人", "2026-13-45"],
    ], "gbk")
    sc.expected_rows[key_ra] = {
        # row 2 is accepted by its own gate; B's roster (below) enrols the same person at the same hours:
        # B completed the pattern and is held, A's side is a warning for auditors only (issue 13.4)
        "row2": ("accepted", ""), "row3": ("accepted_flagged", "ENR-SHARED-PHONE"),
        "row6": ("rejected", "ENR-DUPLICATE"), "row7": ("rejected", "ENR-ID-INVALID"), "row8": ("rejected", "ENR-AGE"),
        "row9": ("accepted_flagged", "ENR-PENSIONER"), "row10": ("accepted_flagged", "ENR-CATEGORY-CONFLICT"),
        "row11": ("rejected", "ENR-ELIGIBILITY"), "row12": ("rejected", "ROW-FORMAT"),
    }
    key_rb = f"inbox/{b}/roster/B-001.csv"  # good[0] is in A-001 at the same hours: 一人多班
    sc.objects[key_rb] = csv_bytes(
        ["class_id", "id_number", "name", "phone", "category", "employer_uscc", "payer", "enrolled_on"],
        [["B-001", good[0], "王小明", "13800000001", "unemployed", "", "individual", today.isoformat()],
         ["B-001", person(200, date(1988, 8, 8)), "周杰", "13800000009", "migrant", "", "individual", today.isoformat()]])
    sc.expected_rows[key_rb] = {"row2": ("accepted_flagged", "ENR-OVERLAP"), "row3": ("accepted", "")}
    sc.objects[f"inbox/{a}/roster/garbage.csv"] = bytes(range(256)) * 8
    sc.expected_files[f"inbox/{a}/roster/garbage.csv"] = "quarantined"
    sc.objects[f"inbox/{a}/roster/no-phone.csv"] = csv_bytes(
        ["班级编号", "身份证号", "姓名", "人员类别", "出资方", "报名日期"],
        [["A-001", good[0], "王小明", "失业人员", "个人", today.isoformat()]])
    sc.expected_files[f"inbox/{a}/roster/no-phone.csv"] = "rejected"
    _money_story(sc, start, end)
    return sc


def _money_story(sc: Scenario, start: date, end: date) -> None:
    """A-101: three trainees in free training (paid to the institution, 1,500 each from the catalogue),
    an advance of 50 % claimed at once, attendance and passes, a final claim; later B enrols one of them
    in B-001 at the same hours (ENR-OVERLAP, found after the class was paid)."""
    a, b, assessor = sc.inst["A"], sc.inst["B"], sc.inst["assessor"]
    cid = sc.money_class = "A-101"
    teacher, days = person(901, date(1982, 6, 6)), [start + timedelta(days=i) for i in range(5)]
    trainees = [person(300 + i, date(1993, 3, 3) + timedelta(days=50 * i)) for i in range(3)]
    sc.late_hold = trainees[0]
    sc.money[f"inbox/{a}/filing/{cid}.csv"] = csv_bytes(FILING_ZH, [[
        cid, a, "4-10-01-02", "育婴员", "初级工", "就业技能培训", "是", start.isoformat(), end.isoformat(), 40, 30,
        "苏州市吴中区东吴北路3号", teacher]])
    sc.money[f"inbox/{a}/schedule/{cid}.csv"] = csv_bytes(
        SCHEDULE_EN, [[cid, d.isoformat(), "08:00", "16:00", "offline"] for d in days])
    sc.money[f"inbox/{a}/roster/{cid}.csv"] = csv_bytes(ROSTER_ZH, [
        [cid, t, f"学员{i}", f"1370000010{i}", "失业人员", "", "免费", sc.today.isoformat()] for i, t in enumerate(trainees)])
    sc.money[f"inbox/{a}/attendance/{cid}.csv"] = csv_bytes(
        ["class_id", "id_number", "check_in", "check_out", "method", "device_id"],
        [[cid, t, f"{d} 07:5{i}:0{k}", f"{d} 16:0{i}:1{k}", "face", f"A101-{i}"]
         for i, t in enumerate(trainees) for k, d in enumerate(days)])
    sc.money[f"inbox/{a}/assessment/{cid}.csv"] = csv_bytes(
        ["class_id", "id_number", "exam_date", "score", "passed", "assessor_uscc"],
        [[cid, t, (start + timedelta(days=10)).isoformat(), 80 + i, "是", assessor] for i, t in enumerate(trainees)])
    sc.money[f"inbox/{a}/claim/{cid}-advance.csv"] = csv_bytes(["class_id", "kind", "amount"], [[cid, "advance", "2250"]])
    sc.money[f"inbox/{a}/claim/{cid}-final.csv"] = csv_bytes(["class_id", "kind", "amount"], [[cid, "final", "4500"]])
    sc.late[f"inbox/{b}/roster/B-001-late.csv"] = csv_bytes(ROSTER_ZH, [
        ["B-001", trainees[0], "学员0", "13700000100", "失业人员", "", "个人", sc.today.isoformat()]])
