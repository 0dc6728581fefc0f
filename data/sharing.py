"""Who may open, save and change what users make (saved questions, dashboards), decided once.

Viewers open what is shared with them and make nothing; analysts make, share, and change their
own; admins change everyone's. Something a user may not open is "not found", exactly as something
that does not exist, so an id tells a stranger nothing.
"""
from __future__ import annotations

ROLES = ("viewer", "analyst", "admin")
SHARING = ("private", "everyone", "roles")
MAX_NAME, MAX_DESCRIPTION = 200, 2000


class SharingError(ValueError):
    """A refusal the user may read: what is wrong and what to do."""


class NotFound(SharingError):
    """Nothing with that id that this user may open."""


def can_create(user) -> bool:
    return user.role in ("analyst", "admin")


def can_edit(user, owner_id: int) -> bool:
    """Admins change anything; analysts what they own; viewers nothing."""
    return user.role == "admin" or (user.role == "analyst" and owner_id == user.user_id)


def visible(alias: str) -> str:
    """SQL true for the rows of table `alias` the user of `who()`'s parameters may open."""
    return (f"(:admin OR {alias}.owner_id = :uid OR {alias}.sharing = 'everyone' "
            f"OR ({alias}.sharing = 'roles' AND :role = ANY ({alias}.shared_roles)))")


def who(user) -> dict:
    return {"admin": user.role == "admin", "uid": user.user_id, "role": user.role}


def matching(alias: str, search) -> tuple[str, dict]:
    """SQL that keeps the rows of `alias` whose name, description or owner (`u.username`) holds
    every word of `search` (at most five, as typed: LIKE's wildcards are escaped), and its parameters."""
    sql, params = "", {}
    for k, w in enumerate([w for w in str(search or "")[:100].split() if w][:5]):
        sql += f" AND ({alias}.name ILIKE :w{k} OR {alias}.description ILIKE :w{k} OR u.username ILIKE :w{k})"
        params[f"w{k}"] = "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sql, params


def shared_text(sharing: str, roles) -> str:
    if sharing == "everyone":
        return "everyone"
    if sharing == "roles":
        return "roles: " + ", ".join(roles)
    return "only the owner"


def an_id(raw, what: str) -> int:
    """A row id from a URL or a request; NotFound for anything that cannot be one."""
    text = str(raw)
    if not text.isdigit() or len(text) > 9:
        raise NotFound(f"there is no {what} {text[:20]!r}")
    return int(text)


def details(name, description, sharing, roles) -> tuple[str, str, str, list[str]]:
    """A name, description and sharing as kept: trimmed and checked; SharingError says what is wrong."""
    name = str(name or "").strip()
    if not name:
        raise SharingError("give it a name")
    if len(name) > MAX_NAME:
        raise SharingError(f"the name is longer than {MAX_NAME} characters")
    description = str(description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise SharingError(f"the description is longer than {MAX_DESCRIPTION:,} characters")
    if sharing not in SHARING:
        raise SharingError(f"share with one of {', '.join(SHARING)}, not {str(sharing)[:20]!r}")
    roles = list(dict.fromkeys(roles or ()))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise SharingError(f"there is no role {str(unknown[0])[:20]!r} (roles: {', '.join(ROLES)})")
    if sharing == "roles" and not roles:
        raise SharingError("choose the roles to share with, or share with everyone")
    return name, description, sharing, (roles if sharing == "roles" else [])
