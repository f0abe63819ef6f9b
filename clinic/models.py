"""Database tables: users, refresh-token families and their rotations, revocations, throttling."""

from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(timezone.utc)


class User(db.Model):
    """An account. Usernames are unique regardless of letter case."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    username_key: Mapped[str] = mapped_column(String(40), unique=True)  # lower-cased username
    password_hash: Mapped[bytes] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_json(self) -> dict:
        """The public view of an account, as the API returns it."""
        return {"id": self.id, "username": self.username}


class RefreshFamily(db.Model):
    """One login: every refresh token rotated from it belongs to the same family."""

    __tablename__ = "refresh_families"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[int] = mapped_column(Integer)  # seconds since the epoch
    revoked_at: Mapped[int | None] = mapped_column(Integer)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # logout, reuse

    tokens: Mapped[list["RefreshToken"]] = relationship(
        back_populates="family", order_by="RefreshToken.generation", passive_deletes=True
    )


class RefreshToken(db.Model):
    """One generation of a family: the refresh token and the access token issued with it.

    Only identifiers and times are stored, never a token itself. They are enough to sign the
    very same pair again, which is how a request that lost the race to refresh gets the
    winner's cookies instead of a second branch of the family.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (UniqueConstraint("family_id", "generation"),)  # one successor, never two
    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(
        ForeignKey("refresh_families.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)
    csrf: Mapped[str] = mapped_column(String(36))
    access_jti: Mapped[str] = mapped_column(String(36))
    access_csrf: Mapped[str] = mapped_column(String(36))
    access_expires_at: Mapped[int] = mapped_column(Integer)
    rotated_at: Mapped[int | None] = mapped_column(Integer)

    family: Mapped[RefreshFamily] = relationship(back_populates="tokens")


class RevokedAccessToken(db.Model):
    """An access token logged out before it expired; kept until it would have expired."""

    __tablename__ = "revoked_access_tokens"
    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)


class LoginFailure(db.Model):
    """A failed login, counted against a username and against a client address."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))  # "user:<name>" or "addr:<ip>"
    at: Mapped[int] = mapped_column(Integer, index=True)
