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


def test_hot_queries_use_indexes(app, auth):
    """Every lookup on a request path searches an index; none scans a table."""
    from sqlalchemy import text

    auth.signup("alice")
    queries = {
        "access owner": "SELECT users.id FROM users JOIN refresh_families ON "
                        "refresh_families.user_id = users.id WHERE users.id = 1 AND "
                        "refresh_families.id = 'f' AND EXISTS (SELECT 1 FROM revoked_access_tokens "
                        "WHERE jti = 'j')",
        "rotate": "UPDATE refresh_tokens SET rotated_at = 1 WHERE jti = 'j' AND family_id = 'f' "
                  "AND rotated_at IS NULL",
        "successor": "SELECT * FROM refresh_tokens WHERE family_id = 'f' AND generation = 2",
        "family history": "SELECT * FROM refresh_tokens WHERE family_id = 'f' ORDER BY generation",
        "login": "SELECT * FROM users WHERE username_key = 'alice'",
        "throttle": "SELECT count(*) FROM login_failures WHERE key = 'user:alice' AND at > 5",
        "purge tokens": "DELETE FROM refresh_tokens WHERE expires_at <= 5",
        "purge denylist": "DELETE FROM revoked_access_tokens WHERE expires_at <= 5",
    }
    with app.app_context():
        for name, sql in queries.items():
            plan = " | ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), f"{name}: {plan}"
