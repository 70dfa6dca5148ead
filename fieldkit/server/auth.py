"""Bearer tokens (only their hash is stored), roles, and the dependency yielding the user.

A missing, wrong or disabled token is 401 with the same words, so a caller learns nothing
about which names exist.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from fieldkit.server import db

TOKEN_PREFIX = "fk_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "a valid token is needed (Authorization: Bearer TOKEN)",
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_user(request: Request) -> db.User:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized()
    return user_of(request, token.strip())


def user_of(request: Request, token: str) -> db.User:
    with request.app.state.engine.connect() as conn:
        user = db.user_for_token(conn, token)
    if user is None or user.disabled:
        raise _unauthorized()
    return user


def page_user(request: Request) -> db.User:
    """For the HTML pages a browser opens: the bearer header, or the cookie `/login` set.
    Only pages that read take the cookie, so no other site can make a browser change data."""
    if request.headers.get("authorization"):
        return current_user(request)
    token = request.cookies.get(COOKIE, "").strip()
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "log in first at /login",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return user_of(request, token)


COOKIE = "fieldkit_token"
CurrentUser = Annotated[db.User, Depends(current_user)]
PageUser = Annotated[db.User, Depends(page_user)]


def require_role(user: db.User, *roles: str) -> None:
    if user.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the role {' or '.join(roles)}")
