"""The demo's mailbox: with DEBUG on and no EMAIL_URL, mail is printed on the console as before
and also kept under var/mail/, one .eml file a message, for the page /dev/mail/ to show. Web
and worker write there alike, so reminders sent by Celery show up too."""

from __future__ import annotations

import email
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

MAILBOX_LIMIT = 50


def _mailbox_dir() -> Path:
    return Path(settings.DEMO_MAILBOX_DIR)


class DemoMailboxBackend(ConsoleEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        folder = _mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            # Named by time first, so the newest sort last; the suffix keeps two in one
            # nanosecond (web and worker) apart.
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes())
        return sent


@dataclass(frozen=True)
class MailboxMessage:
    sent_at: datetime | None
    to: str
    subject: str
    body: str


def demo_mailbox_messages(*, limit: int = MAILBOX_LIMIT) -> list[MailboxMessage]:
    """The newest messages first."""
    folder = _mailbox_dir()
    if not folder.is_dir():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        date = parsed.get("Date")
        messages.append(
            MailboxMessage(
                sent_at=parsedate_to_datetime(date) if date else None,
                to=str(parsed.get("To", "")),
                subject=str(parsed.get("Subject", "")),
                body=part.get_content() if part is not None else "",
            )
        )
    return messages
