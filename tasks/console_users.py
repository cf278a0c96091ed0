"""Use cases: the console's users (issue 14, "Who may do what").

Passwords are hashed with Argon2id (argon2-cffi); a login is refused without saying why beyond
"wrong name or password", and throttled: a user name or a client address with
`console_login_max_failures` failed attempts within `console_login_window_seconds` is refused until
the window has passed, even with the right password. Every attempt is recorded; adding or disabling
a user is in the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from infra import db
from infra.bootstrap import Services

ROLES = ("auditor", "operator", "viewer")
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so an unknown name costs as long as a wrong password.
_DUMMY = _HASHER.hash("not a password of anyone")


class UserRefused(ValueError):
    """The request cannot be done; the message says why in one line."""


class Throttled(Exception):
    """Too many failed logins for this name or this address: try again later."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def add_user(svc: Services, name: str, role: str, password: str, *, actor: str = "cli") -> User:
    name = name.strip()
    if role not in ROLES:
        raise UserRefused(f"role {role!r}: use auditor, operator or viewer")
    if not name or len(name) > 100:
        raise UserRefused("a user name of 1 to 100 characters is required")
    if len(password) < 10:
        raise UserRefused("a password of at least 10 characters is required")
    try:
        with svc.engine.begin() as conn:
            conn.execute(insert(db.console_users).values(name=name, role=role, password_hash=_HASHER.hash(password),
                                                         disabled=False, created_at=svc.now()))
            _audit(conn, svc, actor, "user.add", name, {"role": role})
    except IntegrityError:
        raise UserRefused(f"user {name!r} exists already") from None
    return User(name, role)


def disable_user(svc: Services, name: str, *, actor: str = "cli") -> None:
    u = db.console_users
    with svc.engine.begin() as conn:
        if conn.execute(update(u).where(u.c.name == name).values(disabled=True)).rowcount != 1:
            raise UserRefused(f"no user {name!r}")
        _audit(conn, svc, actor, "user.disable", name, {})


def active_user(svc: Services, name: str) -> User | None:
    """The user a session names, if it still exists and is not disabled (checked on every request)."""
    u = db.console_users
    with svc.engine.connect() as conn:
        row = conn.execute(select(u.c.name, u.c.role).where(u.c.name == name, u.c.disabled.is_(False))).first()
    return User(row.name, row.role) if row else None


def login(svc: Services, name: str, password: str, client: str) -> User | None:
    """The user, or None for a wrong name or password; Throttled before any check when over the limit."""
    s, a = svc.settings, db.login_attempts
    since = svc.now() - timedelta(seconds=s.console_login_window_seconds)
    name, client = name.strip()[:100], client[:64]
    with svc.engine.connect() as conn:
        failures = [conn.execute(select(func.count()).select_from(a).where(
            col == value, a.c.at > since, a.c.ok.is_(False))).scalar_one()
            for col, value in ((a.c.username, name), (a.c.client, client))]
        row = conn.execute(select(db.console_users).where(db.console_users.c.name == name)).mappings().first()
    if max(failures) >= s.console_login_max_failures:  # not recorded: the lock ends a window after the last real try
        raise Throttled(name)
    ok = False
    try:
        ok = _HASHER.verify(row["password_hash"] if row else _DUMMY, password) and row is not None \
            and not row["disabled"]
    except (VerificationError, InvalidHashError):
        ok = False
    _attempt(svc, name, client, ok)
    return User(row["name"], row["role"]) if ok and row else None


def _attempt(svc: Services, name: str, client: str, ok: bool) -> None:
    with svc.engine.begin() as conn:
        conn.execute(insert(db.login_attempts).values(at=svc.now(), username=name, client=client, ok=ok))


def _audit(conn, svc: Services, actor: str, action: str, subject: str, detail: dict) -> None:  # noqa: ANN001
    conn.execute(insert(db.audit_log).values(at=svc.now(), actor=actor, action=action, subject=subject,
                                             detail=json.dumps(detail, ensure_ascii=False)))
