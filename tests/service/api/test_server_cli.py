"""The service's commands: db upgrade, admin create-key and revoke-key."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli import app
from service.settings import Settings

runner = CliRunner()


def test_create_key_bootstraps_an_admin_and_revoke_key_stops_it(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("SYMBIOSIS_DATABASE_URL", url)
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    created = runner.invoke(app, ["admin", "create-key", "--role", "admin"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("sym_")
    with TestClient(create_app(Settings(database_url=url))) as client:
        headers = {"Authorization": f"Bearer {key}"}
        me = client.get("/api/v1/me", headers=headers).json()
        assert me["role"] == "admin"
        assert runner.invoke(app, ["admin", "revoke-key", str(me["key_id"])]).exit_code == 0
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    missing = runner.invoke(app, ["admin", "create-key", "--role", "company", "--company", "ghost"])
    assert missing.exit_code == 2 and "ghost" in missing.output
    assert runner.invoke(app, ["admin", "revoke-key", "999"]).exit_code == 2


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SYMBIOSIS_PORT", "9123")
    monkeypatch.setenv("SYMBIOSIS_MAX_UPLOAD_BYTES", "5000")
    settings = Settings()
    assert (settings.port, settings.max_upload_bytes, settings.database_url) == (9123, 5000, "sqlite:///./symbiosis.db")
