"""The rule catalogue of spec/rules.md: code → stage, effect and the reason people read.

Rule codes are part of the product's interface (outbox, findings, exports, reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Effect(StrEnum):
    REJECT_FILE = "reject_file"
    REJECT_ROW = "reject_row"
    EXCLUDE = "exclude"
    HOLD_TRAINEE = "hold_trainee"
    HOLD_CLASS = "hold_class"
    WARN = "warn"
    CUT = "cut"


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ACCEPTED_FLAGGED = "accepted_flagged"


@dataclass(frozen=True)
class Rule:
    code: str
    stage: str  # a lifecycle stage, or "any"
    effect: Effect
    zh: str
    en: str


_E = Effect
RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("FILE-UNREADABLE", "any", _E.REJECT_FILE, "文件无法读取（不是CSV或XLSX，或已损坏）", "file cannot be read (not CSV/XLSX, or corrupt)"),
    Rule("FILE-MISSING-COLUMN", "any", _E.REJECT_FILE, "缺少必填列", "a required column is missing"),
    Rule("FILE-TOO-LARGE", "any", _E.REJECT_FILE, "文件超过大小或行数上限", "file exceeds the size or row limit"),
    Rule("SEC-FOREIGN-INSTITUTION", "any", _E.REJECT_FILE, "文件涉及其他机构", "file names an institution other than the uploader"),
    Rule("ROW-FORMAT", "any", _E.REJECT_ROW, "单元格格式错误或缺少必填值", "a cell cannot be parsed or a required value is missing"),
    Rule("ROW-UNKNOWN-CLASS", "any", _E.REJECT_ROW, "班级未在本机构备案", "class is not filed under this institution"),
    Rule("FIL-INST-UNKNOWN", "filing", _E.REJECT_ROW, "机构不在机构目录中", "institution is not in the institutions registry"),
    Rule("FIL-INST-BLACKLISTED", "filing", _E.REJECT_ROW, "机构已被禁止承担政府补贴性培训", "institution is blacklisted from subsidised training"),
    Rule("FIL-INST-UNQUALIFIED", "filing", _E.REJECT_ROW, "机构无该职业培训资质", "institution is not qualified for this occupation"),
    Rule("FIL-DATES", "filing", _E.REJECT_ROW, "开结班日期或计划课时不合理", "end before start, or planned hours impossible in the period"),
    Rule("FIL-LATE", "filing", _E.HOLD_CLASS, "开班后补备案", "class filed after it started"),
    Rule("FIL-HOURS-MISMATCH", "filing", _E.HOLD_CLASS, "课表课时与计划课时不符或课次超出班期", "scheduled hours differ from planned hours, or a session lies outside the class dates"),
    Rule("FIL-TEACHER-CLASH", "filing", _E.HOLD_CLASS, "同一教师同时段在两处授课", "the same teacher teaches two overlapping sessions"),
    Rule("FIL-VENUE-CLASH", "filing", _E.WARN, "不同机构同一地点同时段上课", "classes of different institutions share a venue at overlapping times"),
    Rule("FIL-NO-STANDARD", "filing", _E.WARN, "无该培训类型、职业和等级的补贴标准", "no subsidy amount for this training type, occupation and level"),
    Rule("ENR-ID-INVALID", "enrollment", _E.REJECT_ROW, "身份证号无效", "ID number is invalid (GB 11643)"),
    Rule("ENR-AGE", "enrollment", _E.REJECT_ROW, "开班时年龄不在允许范围", "age at class start is outside the allowed range"),
    Rule("ENR-PENSIONER", "enrollment", _E.EXCLUDE, "按月领取养老金人员不享受补贴", "draws a monthly pension: not eligible"),
    Rule("ENR-DUPLICATE", "enrollment", _E.REJECT_ROW, "同一人在花名册中重复", "the same person twice in one class roster"),
    Rule("ENR-CATEGORY-CONFLICT", "enrollment", _E.HOLD_TRAINEE, "申报为无业类别但正由其他单位参保", "declared without employer but insured by another employer"),
    Rule("ENR-NOT-INSURED", "settlement", _E.EXCLUDE, "技能提升补贴仅限参保职工", "skill upgrade subsidy needs an insured employee"),
    Rule("ENR-ELIGIBILITY", "enrollment", _E.REJECT_ROW, "不符合该培训类型的申报条件", "row lacks what its training type requires"),
    Rule("ENR-OVER-CAPACITY", "enrollment", _E.HOLD_CLASS, "报名人数超过备案计划人数", "more enrolled than the filed capacity"),
    Rule("ENR-OVERLAP", "enrollment", _E.HOLD_TRAINEE, "同一人同时段参加两个班（一人多班）", "the same person in two classes with overlapping sessions"),
    Rule("ENR-SHARED-PHONE", "enrollment", _E.HOLD_TRAINEE, "同一手机号被多人使用", "one phone number used by several people"),
    Rule("ENR-ANNUAL-CAP", "enrollment", _E.EXCLUDE, "本年度补贴培训已达上限", "4th or later subsidised training in the year"),
    Rule("ENR-REPEAT-LEVEL", "enrollment", _E.EXCLUDE, "同职业同等级已享受过补贴", "same occupation and level already subsidised"),
    Rule("ENR-EXCLUSIVE", "settlement", _E.EXCLUDE, "政策不允许同时享受的补贴", "benefits the policy forbids together"),
    Rule("ATT-NOT-ENROLLED", "attendance", _E.REJECT_ROW, "签到人员不在花名册（疑似虚假学员）", "check-in by someone not on the roster"),
    Rule("ATT-INVALID-TIME", "attendance", _E.REJECT_ROW, "签退早于签到或记录超过14小时", "check-out before check-in, or record longer than 14 h"),
    Rule("ATT-OUTSIDE-SESSION", "attendance", _E.REJECT_ROW, "考勤记录不在任何课次时段", "no scheduled session overlaps the record"),
    Rule("ATT-CLASH", "attendance", _E.HOLD_TRAINEE, "同一人同时段在两个班签到（疑似代签）", "the same person checked in to two classes at once"),
    Rule("ATT-BURST", "attendance", _E.HOLD_CLASS, "同一设备同一秒内大量签到（疑似批量伪造）", "many check-ins on one device within one second"),
    Rule("ATT-CLONED-PATTERN", "attendance", _E.HOLD_CLASS, "全班多日签到签退时间完全相同", "whole class shares identical check-in/out times on several days"),
    Rule("ATT-DEVICE-SHARED", "attendance", _E.WARN, "同一设备同日被两家机构使用", "one device used by two institutions on the same day"),
    Rule("ATT-LOW", "settlement", _E.EXCLUDE, "出勤课时低于最低要求", "attended hours below the minimum"),
    Rule("ASM-NOT-ENROLLED", "assessment", _E.REJECT_ROW, "考核人员不在花名册", "assessed person not on the roster"),
    Rule("ASM-SCORE", "assessment", _E.REJECT_ROW, "成绩超出范围或与合格结论不符", "score out of range or disagrees with passed"),
    Rule("ASM-LOW-ATTENDANCE", "assessment", _E.HOLD_TRAINEE, "出勤不足但考核合格", "passed although attendance is below the minimum"),
    Rule("ASM-BEFORE-END", "assessment", _E.WARN, "考核早于最后一次课", "exam before the class's last session"),
    Rule("ASM-SELF-ASSESSED", "assessment", _E.WARN, "培训机构自行考核", "assessor is the training institution itself"),
    Rule("ASM-UNIFORM", "assessment", _E.HOLD_CLASS, "全班成绩完全相同", "every score in the class is identical"),
    Rule("ASM-ASSESSOR", "assessment", _E.HOLD_CLASS, "评价机构未备案或已列入黑名单",
         "assessor is not a registered assessment institution, or is blacklisted"),
    Rule("CRT-NO-PASS", "certificate", _E.REJECT_ROW, "无考核合格记录", "no passed assessment for this person and class"),
    Rule("CRT-MISMATCH", "certificate", _E.REJECT_ROW, "证书职业或等级与班级不符", "certificate occupation or level differs from the class"),
    Rule("CRT-BEFORE-EXAM", "certificate", _E.REJECT_ROW, "发证日期早于考核日期", "issued before the exam date"),
    Rule("CRT-DUPLICATE-NO", "certificate", _E.REJECT_ROW, "证书编号已发给其他人或班级", "certificate number already issued to another person or class"),
    Rule("ADV-NOT-ELIGIBLE", "advance", _E.REJECT_ROW, "该班级不符合先行拨付条件", "class is not eligible for an advance"),
    Rule("ADV-DUPLICATE", "advance", _E.REJECT_ROW, "该班级已先行拨付", "the class already received an advance"),
    Rule("ADV-OVER-CAP", "advance", _E.CUT, "申请金额超过预计补贴的50%，已核减", "request above 50 % of the projected subsidy: cut"),
    Rule("ADV-HELD", "advance", _E.HOLD_CLASS, "班级存在待审核事项，暂缓拨付", "class has an open hold: payment waits"),
    Rule("ADV-CREDIT", "advance", _E.HOLD_CLASS, "机构信用等级不适用信用支付或已被禁入，暂缓拨付",
         "the institution's credit rating receives no advance (信用支付), or it is blacklisted: payment waits"),
    Rule("SET-OVERCLAIM", "settlement", _E.WARN, "申请金额超过核定补贴", "requested more than the computed subsidy"),
    Rule("SET-RECOVERY", "settlement", _E.WARN, "预拨资金超过应得补贴，发出追回通知", "advance exceeds what was earned: recovery order issued"),
    Rule("SET-HELD", "settlement", _E.HOLD_CLASS, "班级存在待审核事项，暂缓结算", "class has an open hold: settlement waits"),
)}

HOLD_EFFECTS = frozenset({Effect.HOLD_TRAINEE, Effect.HOLD_CLASS})

# A rule's detail naming another institution's side is this marker; the reason says it without naming it
# (spec/rules.md: a reason never names another institution's classes, people, employers or registry facts).
ANOTHER_INSTITUTION = "another-institution"
_ANOTHER: dict[str, tuple[str, str]] = {
    "ENR-OVERLAP": ("同时参加另一机构时段重叠的班级", "also enrolled in an overlapping class of another institution"),
    "ATT-CLASH": ("同一时段在另一机构的班级签到", "also checked in to a class of another institution at the same time"),
    "FIL-TEACHER-CLASH": ("该教师同一时段在另一机构授课", "the teacher also teaches a class of another institution at the same time"),
    "FIL-VENUE-CLASH": ("该地点同一时段由另一机构使用", "the venue is also used by another institution at the same time"),
    "ATT-DEVICE-SHARED": ("该设备同日由另一机构使用", "the device is also used by another institution on the same day"),
    "ENR-CATEGORY-CONFLICT": ("由其他单位参保", "insured by another employer"),
}


def verdict_for(codes: list[str]) -> Verdict:
    """One row's verdict from the rule codes that hit it (spec/lifecycle.md: every row ends in one)."""
    effects = {RULES[c].effect for c in codes}
    if effects & {Effect.REJECT_ROW, Effect.REJECT_FILE}:
        return Verdict.REJECTED
    if effects & (HOLD_EFFECTS | {Effect.EXCLUDE}):
        return Verdict.ACCEPTED_FLAGGED
    return Verdict.ACCEPTED


def finding_status(effect: Effect) -> str:
    """Initial status: holds and exclusions stay open until resolved or decided; the rest hold nothing."""
    return "open" if effect in HOLD_EFFECTS or effect == Effect.EXCLUDE else "none"


def reasons(codes: list[str], details: dict[str, str] | None = None) -> tuple[str, str]:
    """The Chinese and English reasons for a row, one clause per rule code, in code order."""
    details = details or {}
    zh, en = [], []
    for code in sorted(set(codes)):
        rule = RULES[code]
        parts = [p for p in (details.get(code) or "").split("; ") if p]
        other = _ANOTHER.get(code, ("涉及另一机构", "involves another institution"))
        zh_parts = [other[0] if p == ANOTHER_INSTITUTION else p for p in dict.fromkeys(parts)]
        en_parts = [other[1] if p == ANOTHER_INSTITUTION else p for p in dict.fromkeys(parts)]
        zh.append(f"{code}: {rule.zh}" + (f" ({'; '.join(zh_parts)})" if zh_parts else ""))
        en.append(f"{code}: {rule.en}" + (f" ({'; '.join(en_parts)})" if en_parts else ""))
    return "；".join(zh), "; ".join(en)
