"""Absolute links for what leaves the site (emails, notifications): built on SITE_URL, the public
address from the settings, never on the Host header of whichever request happened to send them
(a worker has none, and a forged Host must not end up in a password reset link)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL.rstrip('/')}/{path.lstrip('/')}"


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).netloc
