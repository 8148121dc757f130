"""Users file: salted slow hashes, role lookup, first-start accounts, the ``tda users`` command."""

from __future__ import annotations

import io
import json
import stat

import pytest

from app.auth import UserError, UserStore, create_user, ensure_initial_users, role_of, verify
from app.settings import ROLES


@pytest.fixture
def store(tmp_path):
    return UserStore.for_data_dir(tmp_path)


def test_create_and_verify(store):
    store.create_user("anna", "geheim-wachtwoord", "casemanager")
    assert store.verify("anna", "geheim-wachtwoord")
    assert store.role_of("anna") == "casemanager"


# fmt: off
@pytest.mark.parametrize("name, password", [
    ("anna", "fout-wachtwoord"),          # wrong password
    ("anna", ""),                          # empty password
    ("anna", "geheim-wachtwoord "),        # trailing space is a different password
    ("bob", "geheim-wachtwoord"),          # unknown user
    ("", "geheim-wachtwoord"),             # no user name
    ("anna", "x" * 5000),                  # absurdly long password
    ("anna", "geheim\x00wachtwoord"),      # control character
    (None, None),                          # not strings at all
])
# fmt: on
def test_verify_refuses(store, name, password):
    store.create_user("anna", "geheim-wachtwoord", "casemanager")
    assert store.verify(name, password) is False


def test_file_holds_only_salted_argon2_hashes(store):
    store.create_user("anna", "zelfde-wachtwoord", "employer")
    store.create_user("piet", "zelfde-wachtwoord", "employer")
    raw = store.path.read_text()
    assert "zelfde-wachtwoord" not in raw
    users = json.loads(raw)["users"]
    assert users["anna"]["hash"].startswith("$argon2id$")
    assert users["anna"]["hash"] != users["piet"]["hash"]  # salted
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


# fmt: off
@pytest.mark.parametrize("name, password, role", [
    ("anna", "geheim-wachtwoord", "admin"),        # unknown role
    ("anna", "kort", "employer"),                  # too short
    ("an na", "geheim-wachtwoord", "employer"),    # space in name
    ("", "geheim-wachtwoord", "employer"),         # empty name
    ("../etc", "geheim-wachtwoord", "employer"),   # path-like name
    ("a" * 100, "geheim-wachtwoord", "employer"),  # too long
])
# fmt: on
def test_create_user_rejects_bad_input(store, name, password, role):
    with pytest.raises(UserError):
        store.create_user(name, password, role)


def test_duplicate_needs_replace(store):
    store.create_user("anna", "geheim-wachtwoord", "employer")
    with pytest.raises(UserError):
        store.create_user("anna", "ander-wachtwoord", "trainer")
    store.create_user("anna", "ander-wachtwoord", "trainer", replace=True)
    assert store.role_of("anna") == "trainer"
    assert store.verify("anna", "ander-wachtwoord")
    assert not store.verify("anna", "geheim-wachtwoord")


def test_role_changes_seen_by_running_store(tmp_path):
    running = UserStore.for_data_dir(tmp_path)
    create_user(tmp_path, "anna", "geheim-wachtwoord", "employer")
    assert running.role_of("anna") == "employer"
    create_user(tmp_path, "anna", "geheim-wachtwoord", "reviewer", replace=True)
    assert running.role_of("anna") == "reviewer"
    assert role_of(tmp_path, "nobody") is None


def test_ensure_initial_users_once(tmp_path):
    lines: list[str] = []
    created = ensure_initial_users(tmp_path, lines.append)
    assert set(created) == set(ROLES)
    store = UserStore.for_data_dir(tmp_path)
    for name, password in created.items():
        assert store.role_of(name) == name
        assert verify(tmp_path, name, password)
        assert any(password in line for line in lines)  # printed once
        assert password not in store.path.read_text()   # stored only as a hash
    assert len(set(created.values())) == len(ROLES)
    lines.clear()
    assert ensure_initial_users(tmp_path, lines.append) == {}
    assert lines == []


def test_users_command_add_and_list(tmp_path, monkeypatch, capsys):
    import argparse

    from app.commands import users as users_cmd

    parser = argparse.ArgumentParser(prog="tda")
    users_cmd.register(parser.add_subparsers(dest="command", required=True))

    def main(argv):
        args = parser.parse_args(argv)
        try:
            return args.func(args)
        except UserError:
            return 1

    monkeypatch.setenv("TDA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("lang-genoeg-wachtwoord\n"))
    assert main(["users", "add", "marie", "--role", "reviewer"]) == 0
    assert verify(tmp_path, "marie", "lang-genoeg-wachtwoord")
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert main(["users", "add", "joost", "--role", "employer"]) == 1
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "marie" in out and "reviewer" in out and "joost" not in out
