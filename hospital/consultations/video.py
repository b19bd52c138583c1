"""Video rooms for consultations, behind a small provider interface.

The default provider is a self-hosted Jitsi-style server: a room is a URL on that server whose
name cannot be guessed (an HMAC of the consultation id with a key of ours), and joining carries a
short-lived signed token the server checks. It only builds URLs, so it works offline; another
provider (a hosted video API) plugs in through the `VIDEO_PROVIDER` setting.

Settings: VIDEO_PROVIDER (dotted path of a VideoProvider class), VIDEO_ROOM_BASE_URL (host, with
an optional path), VIDEO_ROOM_SECRET_KEY (defaults to a key derived from SECRET_KEY).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from hospital.rules import figure

DEFAULT_PROVIDER = "hospital.consultations.video.JitsiStyleProvider"
DEFAULT_BASE_URL = "meet.xinglin.test"


@dataclass(frozen=True)
class VideoJoin:
    room_name: str
    room_url: str
    join_url: str
    token: str
    expires_at: dt.datetime


class VideoProvider(Protocol):
    def room_name(self, *, consultation_id: int) -> str: ...

    def join(
        self, *, consultation_id: int, participant_id: int, display_name: str, is_moderator: bool
    ) -> VideoJoin: ...


def _secret() -> bytes:
    configured = getattr(settings, "VIDEO_ROOM_SECRET_KEY", "")
    if configured:
        return configured.encode()
    # A key of its own, so a leaked room name tells nothing about SECRET_KEY and vice versa.
    return hashlib.sha256(b"xinglin-video-rooms:" + settings.SECRET_KEY.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class JitsiStyleProvider:
    """Rooms on a self-hosted Jitsi Meet (or compatible) server, with JWT join tokens."""

    def __init__(self) -> None:
        base = getattr(settings, "VIDEO_ROOM_BASE_URL", "") or DEFAULT_BASE_URL
        base = base.removeprefix("https://").removeprefix("http://").strip("/")
        self.base = base

    def room_name(self, *, consultation_id: int) -> str:
        digest = hmac.new(_secret(), f"consultation:{consultation_id}".encode(), hashlib.sha256)
        return f"xl-{consultation_id}-{digest.hexdigest()[:32]}"

    def token(
        self,
        *,
        room_name: str,
        participant_id: int,
        display_name: str,
        is_moderator: bool,
        expires_at: dt.datetime,
    ) -> str:
        """An HS256 JWT in the shape Jitsi's token authentication expects."""
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "aud": "xinglin",
            "iss": "xinglin",
            "sub": self.base.split("/")[0],
            "room": room_name,
            "exp": int(expires_at.timestamp()),
            "context": {
                "user": {
                    "id": str(participant_id),
                    "name": display_name,
                    "moderator": is_moderator,
                }
            },
        }
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
            for part in (header, claims)
        )
        signature = hmac.new(_secret(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def join(
        self, *, consultation_id: int, participant_id: int, display_name: str, is_moderator: bool
    ) -> VideoJoin:
        room_name = self.room_name(consultation_id=consultation_id)
        expires_at = timezone.now() + figure("VIDEO_JOIN_TOKEN_TTL")
        token = self.token(
            room_name=room_name,
            participant_id=participant_id,
            display_name=display_name,
            is_moderator=is_moderator,
            expires_at=expires_at,
        )
        room_url = f"https://{self.base}/{room_name}"
        return VideoJoin(
            room_name=room_name,
            room_url=room_url,
            join_url=f"{room_url}?jwt={token}",
            token=token,
            expires_at=expires_at,
        )


def video_provider() -> VideoProvider:
    provider_class = import_string(getattr(settings, "VIDEO_PROVIDER", "") or DEFAULT_PROVIDER)
    return provider_class()
