"""The factory on a fresh checkout: instance folder, keys, tables, demo account, settings."""

import json
import multiprocessing
import os
import stat
from datetime import timedelta

import pytest
from conftest import TEST_KEYS, make_app

from app import create_app
from clinic import keys


def fresh_app(tmp_path, **config):
    """An app with no keys configured, as on a learner's laptop."""
    base = {"TESTING": True, "BCRYPT_ROUNDS": 4,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    return create_app({**base, **config}, instance_path=str(tmp_path / "instance"))


def test_keys_are_generated_into_the_instance_folder_with_mode_0600(tmp_path, monkeypatch):
    for name in keys.KEY_NAMES:
        monkeypatch.delenv(f"FLASK_{name}", raising=False)
    app = fresh_app(tmp_path)
    path = tmp_path / "instance" / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert {app.config[n] for n in keys.KEY_NAMES} == set(stored.values())
    assert len(set(stored.values())) == 3
    # A second start reads the same keys.
    assert fresh_app(tmp_path).config["JWT_ACCESS_KEY"] == stored["JWT_ACCESS_KEY"]


def _start(instance):
    """Run in a separate process: create an app, print its access key."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     instance_path=instance)
    return app.config["JWT_ACCESS_KEY"]


def test_workers_starting_at_once_share_the_same_keys(tmp_path):
    instance = str(tmp_path / "instance")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        seen = pool.map(_start, [instance] * 8)
    assert len(set(seen)) == 1
    leftovers = [p for p in os.listdir(instance) if p.startswith(".keys.json")]
    assert leftovers == []


def test_environment_overrides_the_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_JWT_ACCESS_KEY", "x" * 40)
    app = fresh_app(tmp_path)
    assert app.config["JWT_ACCESS_KEY"] == "x" * 40


@pytest.mark.parametrize("bad, problem", [("short", "shorter than"),
                                           ("secret", "well-known default"),
                                           ("changeme", "well-known default")])
def test_unsafe_keys_are_refused_at_start(tmp_path, bad, problem):
    with pytest.raises(keys.UnsafeKeyError, match=problem):
        fresh_app(tmp_path, **{**TEST_KEYS, "JWT_REFRESH_KEY": bad})


@pytest.mark.parametrize("missing", [None, "", 42])
def test_missing_keys_are_refused(missing):
    with pytest.raises(keys.UnsafeKeyError, match="missing"):
        keys.check_key("JWT_ACCESS_KEY", missing)


def test_access_and_refresh_keys_must_differ(tmp_path):
    same = TEST_KEYS["JWT_ACCESS_KEY"]
    with pytest.raises(keys.UnsafeKeyError, match="must differ"):
        fresh_app(tmp_path, JWT_ACCESS_KEY=same, JWT_REFRESH_KEY=same)


def test_lifetimes_accept_seconds_and_refuse_never(tmp_path):
    app = make_app(tmp_path, JWT_ACCESS_TOKEN_EXPIRES=30)
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=30)
    with pytest.raises(ValueError, match="never expire"):
        make_app(tmp_path, JWT_ACCESS_TOKEN_EXPIRES=False)


def test_defaults(tmp_path):
    app = make_app(tmp_path)
    config = app.config
    assert config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    assert config["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=7)
    assert config["JWT_TOKEN_LOCATION"] == ["cookies"]
    assert config["JWT_DECODE_ALGORITHMS"] == ["HS256"]
    assert config["BCRYPT_ROUNDS"] == 4  # tests; the default is 12
    assert create_app.__module__ == "app"


def test_default_bcrypt_cost_is_12():
    from clinic.config import Defaults
    assert Defaults.BCRYPT_ROUNDS == 12


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    app = create_app({"TESTING": True, "BCRYPT_ROUNDS": 4, **TEST_KEYS},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere.db")
    assert (tmp_path / "elsewhere.db").exists()


def test_demo_account_is_seeded_in_demo_mode(tmp_path):
    app = make_app(tmp_path, DEMO_MODE=True)
    client = app.test_client()
    login_page = client.get("/login").data.decode()
    assert app.config["DEMO_PASSWORD"] in login_page
    response = client.post("/api/auth/login", json={"username": app.config["DEMO_USERNAME"],
                                                    "password": app.config["DEMO_PASSWORD"]})
    assert response.status_code == 200


def test_demo_credentials_hidden_when_demo_mode_is_off(client, app):
    assert app.config["DEMO_PASSWORD"].encode() not in client.get("/login").data
