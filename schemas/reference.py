"""Reference registry rows maintained by the department (spec/uploads.md, "Reference datasets")."""

from __future__ import annotations

from schemas.rows import Code, Fen, Flag, IdNumber, Text, UploadRow, Uscc, col


class InstitutionRef(UploadRow):
    natural_key = ("uscc",)
    uscc: Uscc = col("信用代码")
    name: Text = col("名称")
    kind: Code("institution_kind") = col("类型")
    qualified_occupations: Text = col("可培训职业")
    rating: Code("rating") = col("信用等级")
    blacklisted: Flag = col("是否禁入")
    difficult: Flag = col("困难企业", required=False)
    self_evaluation: Flag = col("自主评价备案", required=False)


class OccupationRef(UploadRow):
    natural_key = ("occupation_code",)
    occupation_code: Text = col("职业编码")
    occupation_name: Text = col("职业名称")
    shortage: Flag = col("是否紧缺")


class SubsidyCatalogRef(UploadRow):
    natural_key = ("occupation_code", "level", "training_type")
    occupation_code: Text = col("职业编码")
    level: Code("level") = col("等级")
    training_type: Code("training_type") = col("培训类型")
    amount_fen: Fen = col("补贴标准", en="amount")


class PensionerRef(UploadRow):
    natural_key = ("id_number",)
    id_number: IdNumber = col("身份证号")


class LowIncomeRef(UploadRow):
    natural_key = ("id_number", "kind")
    id_number: IdNumber = col("身份证号")
    kind: Code("low_income_kind") = col("类型")


class InsuredRef(UploadRow):
    natural_key = ("id_number", "employer_uscc")
    id_number: IdNumber = col("身份证号")
    employer_uscc: Uscc = col("参保单位信用代码")
