"""Bad settings fail at start with one clear line."""

import pytest

from infra.settings import SettingsError, load_settings


def test_an_unknown_policy_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLSUB_POLICY", "atlantis")
    with pytest.raises(SettingsError, match=r"^SKILLSUB_POLICY: .*atlantis"):
        load_settings()


def test_a_non_numeric_limit_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLSUB_MAX_ROWS", "many")
    with pytest.raises(SettingsError, match=r"^SKILLSUB_MAX_ROWS"):
        load_settings()


def test_database_url_defaults_to_a_sqlite_file_under_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("SKILLSUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SKILLSUB_DATABASE_URL", raising=False)
    assert load_settings().db_url == f"sqlite:///{tmp_path / 'skillsub.db'}"
