"""The rule catalogue and upload formats in docs/ are generated from schemas/ and cannot drift."""

from schemas import docs
from schemas.rules import RULES
from tasks.kinds import KINDS
from tasks.reference import MODELS


def test_the_committed_pages_are_what_the_generator_writes_today() -> None:
    for name, render in docs.PAGES.items():
        assert (docs.DOCS / name).read_text(encoding="utf-8") == render(), f"docs/{name} is stale: python -m schemas.docs"


def test_the_check_mode_reports_a_stale_page(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setattr(docs, "DOCS", tmp_path)
    (tmp_path / "rules.md").write_text("# an old catalogue\n", encoding="utf-8")
    assert docs.main(["--check"]) == 1
    assert "docs/rules.md is stale" in capsys.readouterr().err
    assert docs.main([]) == 0
    assert docs.main(["--check"]) == 0


def test_the_pages_document_the_kinds_and_datasets_the_pipeline_reads() -> None:
    assert {k: m for k, (_, m) in docs.UPLOAD_MODELS.items()} == {k: kind.model for k, kind in KINDS.items()}
    assert {k: m for k, (_, m) in docs.REFERENCE_MODELS.items()} == MODELS


def test_every_rule_appears_with_both_languages_and_every_column_with_both_headers() -> None:
    rules, uploads = docs.render_rules(), docs.render_uploads()
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.stage} | {rule.effect.value} | {rule.zh} | {rule.en} |" in rules
    assert "| amount | 申请金额 | yes | yuan, at most 2 decimals |" in uploads
    assert "| check_in | 签到时间 | yes | date and time with seconds |" in uploads
    assert "| employer_uscc | 用人单位信用代码 |  | unified social credit code, 18 characters |" in uploads
    assert "| training_type | `skill_upgrade` | 技能提升 |" in uploads
