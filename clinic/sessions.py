"""Logins as refresh-token families: start, rotate with reuse detection, revoke, purge."""

import logging
import secrets
import time
from functools import cache

from flask import current_app
from sqlalchemy import delete, exists, select, update

from .errors import ApiError
from .extensions import db
from .models import RefreshFamily, RefreshToken, RevokedAccessToken, User
from .tokens import CurrentUser, SignedPair, sign_pair

log = logging.getLogger(__name__)

# One query answers "who owns this access token, and is it still allowed?" on every request.
_ACCESS_OWNER = (
    select(User.id, User.username, RefreshFamily.revoked_at,
           exists().where(RevokedAccessToken.jti == db.bindparam("jti")))
    .join(RefreshFamily, RefreshFamily.user_id == User.id)
    .where(User.id == db.bindparam("uid"), RefreshFamily.id == db.bindparam("fam"))
)


def new_id() -> str:
    """A random identifier: 128 bits in 22 URL-safe characters, shorter than a UUID."""
    return secrets.token_urlsafe(16)


def now() -> int:
    """Seconds since the epoch; tokens and rows store whole seconds."""
    return int(time.time())


def start_session(user: User) -> SignedPair:
    """Open a new family for a fresh login and sign its first pair of tokens."""
    family = RefreshFamily(id=new_id(), user_id=user.id, created_at=now())
    row = _new_generation(family.id, 0, now())
    db.session.add_all([family, row])
    db.session.commit()
    return sign_pair(user.id, family.id, row)


def rotate(claims: dict) -> tuple[SignedPair, bool]:
    """Swap a refresh token for the next pair; return the pair and whether it is new.

    Exactly one request can rotate a token. A request that lost that race within the grace
    window gets the winner's pair again (False), which is no new branch of the family.
    Anything older is reuse: the family is revoked.
    """
    jti, family_id, user_id = _claim(claims, "jti"), _claim(claims, "fam"), int(_claim(claims, "sub"))
    family = db.session.get(RefreshFamily, family_id)
    if family is None or family.user_id != user_id or family.revoked_at is not None:
        raise ApiError("token_revoked")
    moment = now()
    won = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.family_id == family_id,
               RefreshToken.rotated_at.is_(None))
        .values(rotated_at=moment)
    ).rowcount == 1
    if won:
        row = db.session.get(RefreshToken, jti)
        successor = _new_generation(family_id, row.generation + 1, moment)
        db.session.add(successor)
        db.session.commit()
        return sign_pair(user_id, family_id, successor), True
    db.session.rollback()
    successor = _successor_within_grace(jti, moment)
    if successor is not None:
        # Two tabs, or a retry after a lost answer; but also what a thief holding the previous
        # token looks like if they time it well. Log it, so a pattern can be noticed.
        log.warning("refresh grace: family %s generation %s handed out again",
                    family_id, successor.generation)
        return sign_pair(user_id, family_id, successor), False
    revoke_family(family_id, "reuse")
    raise ApiError("refresh_reused")


def _successor_within_grace(jti: str, moment: int) -> RefreshToken | None:
    """The current token that replaced `jti`, if `jti` was replaced just now; else None."""
    row = db.session.get(RefreshToken, jti)
    if row is None or row.rotated_at is None:
        return None
    grace = min(int(current_app.config["REFRESH_GRACE_SECONDS"]), 30)
    if moment - row.rotated_at > grace:
        return None
    successor = db.session.scalar(
        select(RefreshToken).where(RefreshToken.family_id == row.family_id,
                                   RefreshToken.generation == row.generation + 1))
    if successor is None or successor.rotated_at is not None:
        return None  # the successor was rotated too: `jti` is two generations old
    return successor


def revoke_family(family_id: str, reason: str) -> None:
    """End a login: no token of this family is accepted any more."""
    db.session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id == family_id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)
    )
    db.session.commit()


def end_session(refresh_claims: dict | None, access_claims: dict | None) -> None:
    """Log out: revoke the family and deny the access token until it would expire."""
    for claims in (refresh_claims, access_claims):
        if claims and isinstance(claims.get("fam"), str):
            revoke_family(claims["fam"], "logout")
    if access_claims and isinstance(access_claims.get("jti"), str):
        jti = access_claims["jti"]
        if db.session.get(RevokedAccessToken, jti) is None:
            db.session.add(RevokedAccessToken(jti=jti, expires_at=int(access_claims["exp"])))
            db.session.commit()


def refresh_csrf_of(access_claims: dict) -> str | None:
    """The CSRF value of the refresh token issued together with this access token."""
    return db.session.scalar(
        select(RefreshToken.csrf).where(RefreshToken.family_id == access_claims["fam"],
                                        RefreshToken.generation == access_claims.get("gen")))


def find_access_owner(claims: dict) -> CurrentUser | None:
    """The owner of a verified access token, or None when it or its family was revoked."""
    try:
        params = {"uid": int(claims["sub"]), "fam": str(claims["fam"]), "jti": str(claims["jti"])}
    except (KeyError, TypeError, ValueError):
        return None
    sql, order = _compiled_access_owner(db.engine)
    # This runs on every request. Through the driver directly it costs about a fifth of
    # what Connection.execute costs (bench/me_vs_bare.py); the pool still lends the connection.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, [params[name] for name in order] if order else params)
            found = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool
    if found is None or found[2] is not None or found[3]:
        return None
    return CurrentUser(found[0], found[1])


@cache
def _compiled_access_owner(engine) -> tuple[str, list[str] | None]:
    """The owner query as this database's SQL, and the order of its parameters if positional."""
    compiled = _ACCESS_OWNER.compile(dialect=engine.dialect)
    order = list(compiled.positiontup) if compiled.positional else None
    return str(compiled), order


def family_history(family_id: str) -> list[RefreshToken]:
    """Every generation of a family, oldest first, for the dashboard."""
    return list(db.session.scalars(
        select(RefreshToken).where(RefreshToken.family_id == family_id)
        .order_by(RefreshToken.generation)))


def purge_expired() -> dict[str, int]:
    """Delete rows that can no longer matter because their tokens have expired."""
    moment = now()
    counts = {"refresh_tokens": db.session.execute(
        delete(RefreshToken).where(RefreshToken.expires_at <= moment)).rowcount}
    # A family whose every token has expired (and so been deleted) is over.
    counts["refresh_families"] = db.session.execute(
        delete(RefreshFamily).where(RefreshFamily.id.not_in(select(RefreshToken.family_id)))
    ).rowcount
    counts["revoked_access_tokens"] = db.session.execute(
        delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= moment)).rowcount
    db.session.commit()
    return counts


def _new_generation(family_id: str, generation: int, issued_at: int) -> RefreshToken:
    """A row describing the next pair of tokens of a family."""
    config = current_app.config
    return RefreshToken(
        jti=new_id(), family_id=family_id, generation=generation, issued_at=issued_at,
        expires_at=issued_at + int(config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()),
        csrf=new_id(), access_jti=new_id(), access_csrf=new_id(),
        access_expires_at=issued_at + int(config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    )


def _claim(claims: dict, name: str) -> str:
    """A claim that must be a string; a token without it is refused as invalid_claims."""
    value = claims.get(name)
    if not isinstance(value, str):
        raise ApiError("invalid_claims", detail=f"claim '{name}' is missing or not a string")
    return value
