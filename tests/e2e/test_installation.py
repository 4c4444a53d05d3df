"""`onevisit init` makes the installation (its id, test-clock flag) and its secret; `onevisit info` shows them."""

from __future__ import annotations

import stat

from services.installation import KeyFileError, purpose_key, secret_key
from services.settings import Settings


def test_init_makes_an_installation_once_and_info_shows_it(run, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'hall.db'}")
    monkeypatch.setenv("ONEVISIT_KEY_FILE", str(tmp_path / "keys" / "secret.key"))

    first = run("init", "--test-clock", "--no-catalog")
    assert first.code == 0, first.err
    made = run("info", "--json").json()
    assert len(made["installation"]) == 32 and int(made["installation"], 16) >= 0
    assert made["test_clock"] is True and made["key_file_present"] is True
    assert made["schema_revision"] is not None and made["catalog_version"] is None
    assert stat.S_IMODE((tmp_path / "keys" / "secret.key").stat().st_mode) == 0o600

    again = run("init", "--no-catalog")  # an existing database keeps its id and its flag
    assert again.code == 0, again.err
    assert run("info", "--json").json() == made
    plain = run("info")
    assert made["installation"] in plain.out and "test clock: True" in plain.out


def test_a_database_made_without_the_flag_cannot_be_given_it_later(run, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("ONEVISIT_KEY_FILE", str(tmp_path / "secret.key"))
    assert run("init", "--no-catalog").code == 0
    later = run("init", "--test-clock")
    assert later.code == 0 and "keeps ignoring ONEVISIT_NOW" in later.err
    assert run("info", "--json").json()["test_clock"] is False


def test_info_before_init_refuses_without_creating_anything(run, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = run("info")
    assert result.code != 0 and "Traceback" not in result.err
    assert not (tmp_path / "none.db").exists()


def test_the_secret_is_kept_and_keys_differ_by_purpose(tmp_path):
    settings = Settings(key_file=tmp_path / "secret.key")
    key = secret_key(settings)
    assert len(key) == 32 and secret_key(settings) == key
    assert purpose_key(settings, b"audit") != purpose_key(settings, b"session")
    (tmp_path / "secret.key").write_text("not hex\n")
    try:
        secret_key(settings)
    except KeyFileError as error:
        assert "secret.key" in str(error)
    else:
        raise AssertionError("a damaged key file was accepted")
