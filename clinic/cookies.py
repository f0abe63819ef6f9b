"""Setting and clearing the four session cookies.

Flask-JWT-Extended's set_*_cookies decode the token to find its CSRF value, which fails for an
access token that has already expired. The CSRF values are known here, so the cookies are set
directly, with the library's own names, paths and attributes.
"""

import time

from flask import Response
from flask_jwt_extended import unset_jwt_cookies
from flask_jwt_extended.config import config

from .tokens import SignedPair


def set_session_cookies(response: Response, pair: SignedPair) -> None:
    """Set the access and refresh cookies and their CSRF twins for one signed pair.

    Both cookies live as long as the refresh token, so an expired access token still arrives
    and answers token_expired (a clear reason) rather than token_missing.
    """
    max_age = max(pair.refresh_expires_at - int(time.time()), 0)
    cookies = (
        (config.access_cookie_name, pair.access, config.access_cookie_path, True),
        (config.refresh_cookie_name, pair.refresh, config.refresh_cookie_path, True),
        (config.access_csrf_cookie_name, pair.access_csrf, config.access_csrf_cookie_path, False),
        (config.refresh_csrf_cookie_name, pair.refresh_csrf, config.refresh_csrf_cookie_path,
         False),
    )
    for name, value, path, httponly in cookies:
        response.set_cookie(name, value, max_age=max_age, path=path, httponly=httponly,
                            secure=config.cookie_secure, samesite=config.cookie_samesite,
                            domain=config.cookie_domain)


def clear_session_cookies(response: Response) -> None:
    """Remove all four cookies (the library knows each one's path)."""
    unset_jwt_cookies(response)
