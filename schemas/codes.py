"""Code lists used in upload cells (spec/uploads.md, "Codes used in cells").

Each code list maps every accepted spelling (English key, Chinese label, synonyms)
to the canonical English key that is stored.
"""

from __future__ import annotations

STAGES = ("filing", "enrollment", "attendance", "assessment", "certificate", "advance", "settlement")

# Upload kinds under inbox/<uscc>/<kind>/ and the lifecycle stage their findings carry.
UPLOAD_KINDS = ("filing", "schedule", "roster", "attendance", "assessment", "certificate", "claim")
UPLOAD_STAGE = {
    "filing": "filing",
    "schedule": "filing",
    "roster": "enrollment",
    "attendance": "attendance",
    "assessment": "assessment",
    "certificate": "certificate",
    "claim": "advance",  # a claim's stage is decided per row by its kind (advance / settlement)
}
REFERENCE_DATASETS = ("institutions", "occupations", "subsidy_catalog", "pensioners", "low_income", "insured")


def _codes(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Spelling → canonical key; keys match case-insensitively (callers lower-case ASCII)."""
    out: dict[str, str] = {}
    for key, spellings in table.items():
        out[key.lower()] = key
        for s in spellings:
            out[s.lower()] = key
    return out


LEVEL = _codes({
    "special": ("专项职业能力", "专项"),
    "5": ("五级", "初级工", "初级"),
    "4": ("四级", "中级工", "中级"),
    "3": ("三级", "高级工", "高级"),
    "2": ("二级", "技师"),
    "1": ("一级", "高级技师"),
})
TRAINING_TYPE = _codes({
    "pre_job": ("岗前培训",),
    "on_job": ("在岗培训",),
    "transfer": ("转岗转业培训",),
    "employment": ("就业技能培训",),
    "entrepreneurship": ("创业培训",),
    "safety": ("安全技能培训",),
    "apprentice": ("新型学徒制",),
    "work_as_training": ("以工代训",),
    "technician_research": ("技师研修",),
    "skill_upgrade": ("技能提升",),
})
CATEGORY = _codes({
    "employee": ("企业职工",),
    "migrant": ("农村转移就业劳动者",),
    "graduate": ("高校毕业生",),
    "unemployed": ("失业人员",),
    "hardship": ("就业困难人员",),
    "disabled": ("残疾人",),
    "poverty": ("脱贫劳动力", "建档立卡", "脱贫劳动力/建档立卡"),
    "veteran": ("退役军人",),
    "school_leaver": ("未继续升学初高中毕业生",),
    "other": ("其他",),
})
PAYER = _codes({"individual": ("个人",), "employer": ("企业",), "institution": ("机构",), "free": ("免费", "政府", "免费/政府")})
METHOD = _codes({"social_card": ("社保卡",), "face": ("人脸",), "online": ("线上",)})
MODE = _codes({"offline": ("线下",), "online": ("线上",)})
CERTIFICATE_TYPE = _codes({
    "qualification": ("职业资格证书",),
    "skill_level": ("职业技能等级证书",),
    "special_ability": ("专项职业能力证书",),
    "special_operation": ("特种作业操作证",),
    "training": ("培训合格证书",),
    "special_equipment": ("特种设备作业人员证",),
})
CLAIM_KIND = _codes({"advance": ("先行拨付",), "final": ("结算",)})
INSTITUTION_KIND = _codes({"enterprise": ("企业",), "school": ("学校", "院校"), "training_org": ("培训机构",), "assessor": ("评价机构",)})
RATING = _codes({"A": (), "B": (), "C": (), "D": ()})
LOW_INCOME_KIND = _codes({"poverty": ("建档立卡",), "dibao": ("低保",), "zero_employment": ("零就业家庭",)})

# Categories that claim to have no employer (ENR-CATEGORY-CONFLICT).
NO_EMPLOYER_CATEGORIES = frozenset({"unemployed", "hardship", "graduate", "school_leaver"})
# Training types whose roster rows must name an employer (ENR-ELIGIBILITY).
EMPLOYER_TRAINING_TYPES = frozenset(
    {"pre_job", "on_job", "transfer", "apprentice", "skill_upgrade", "work_as_training"}
)

CODE_LISTS: dict[str, dict[str, str]] = {
    "level": LEVEL,
    "training_type": TRAINING_TYPE,
    "category": CATEGORY,
    "payer": PAYER,
    "method": METHOD,
    "mode": MODE,
    "certificate_type": CERTIFICATE_TYPE,
    "claim_kind": CLAIM_KIND,
    "institution_kind": INSTITUTION_KIND,
    "rating": RATING,
    "low_income_kind": LOW_INCOME_KIND,
}


def canonical_values(list_name: str) -> list[str]:
    """The stored keys of one code list, for set expectations in the gates."""
    return sorted(set(CODE_LISTS[list_name].values()))
