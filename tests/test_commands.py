"""Command-line commands."""

from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import LoginFailure, RefreshFamily, RefreshToken, RevokedAccessToken


def test_reset_demo_creates_and_restores_the_demo_account(app, runner, auth):
    result = runner.invoke(args=["reset-demo"])
    assert result.exit_code == 0 and "Demo account ready: demo" in result.output
    assert auth.login("demo", app.config["DEMO_PASSWORD"]).status_code == 200


def test_purge_expired_removes_only_dead_rows(app, runner, auth):
    auth.signup("alice")
    auth.logout()
    auth.login("alice", "wrong password")
    with app.app_context():
        # Age everything: expired tokens, an expired denylist entry, an old failure.
        for model, column in ((RefreshToken, "expires_at"), (RevokedAccessToken, "expires_at"),
                              (LoginFailure, "at")):
            for row in db.session.scalars(select(model)):
                setattr(row, column, 1000)
        db.session.commit()
    auth.signup("bob")  # bob's login is alive and must survive
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "refresh_tokens: 1 removed" in result.output
    assert "refresh_families: 1 removed" in result.output
    assert "login_failures: 2 removed" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RefreshToken)) == 1
        assert db.session.scalar(select(func.count()).select_from(RefreshFamily)) == 1
        assert db.session.scalar(select(func.count()).select_from(RevokedAccessToken)) == 0
    assert auth.client.get("/api/me").status_code == 200
