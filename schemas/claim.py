"""Claim (补贴申请) upload rows (spec/uploads.md): kind advance (先行拨付) or final (结算), amount in yuan."""

from __future__ import annotations

from schemas.rows import Code, Fen, Text, UploadRow, col


class ClaimRow(UploadRow):
    natural_key = ("class_id", "kind")

    class_id: Text = col("班级编号")
    kind: Code("claim_kind") = col("申请类型")
    amount_fen: Fen = col("申请金额", en="amount")
