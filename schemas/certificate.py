"""Certificate (证书) upload rows (spec/uploads.md, stage 5); the number is unique across the province."""

from __future__ import annotations

from schemas.rows import Code, Day, IdNumber, Text, UploadRow, col


class CertificateRow(UploadRow):
    natural_key = ("certificate_no",)

    certificate_no: Text = col("证书编号")
    class_id: Text = col("班级编号")
    id_number: IdNumber = col("身份证号")
    certificate_type: Code("certificate_type") = col("证书类型")
    occupation_code: Text = col("职业编码")
    level: Code("level") = col("等级")
    issued_on: Day = col("发证日期")
