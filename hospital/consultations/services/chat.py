"""Messages and attachments in a consultation, and the system's own notes in the chat."""

from __future__ import annotations

from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError
from core.system_text import SystemText
from core.uploads import JPEG, PDF, PNG, WEBP, upload_content_type
from hospital.consultations.models import Consultation, ConsultationMessage
from hospital.consultations.services.away import consultation_away_notify
from hospital.consultations.services.visits import (
    consultation_audit,
    consultation_locked_for_participant,
    consultation_system_message_add,
)
from hospital.doctors.services import doctor_check_may_practise
from hospital.rules import figure

S = Consultation.Status


def attachment_sniff(upload: Any) -> str:
    """The attachment's real content type: a photo (JPEG, PNG, WebP) or a PDF within the limit."""
    return upload_content_type(
        upload,
        allowed=(JPEG, PNG, WEBP, PDF),
        max_bytes=figure("CONSULTATION_ATTACHMENT_MAX_BYTES"),
        field="file",
        too_large=_("An attachment can be at most %(mb)s MB."),
        wrong_type=_("Attach a photo (JPEG, PNG or WebP) or a PDF document."),
        wrong_type_code="unsupported_type",
    )


@transaction.atomic
def consultation_post_message(
    *, user: Any, consultation_id: int, text: str = "", upload: Any = None
) -> ConsultationMessage:
    """A participant writes to the consultation: text, or a file (with an optional caption).
    The patient may add to a quick consult while it waits; nobody writes once it is over."""
    consultation = consultation_locked_for_participant(user, consultation_id)
    is_doctor = consultation.doctor is not None and consultation.doctor.user_id == user.pk
    if consultation.status not in (S.OPEN, S.WAITING):
        raise Conflict(
            _("The consultation is %(status)s: no more messages can be sent.")
            % {"status": consultation.get_status_display()},
            code="consultation_not_open",
        )
    if is_doctor and consultation.doctor is not None:
        doctor_check_may_practise(doctor=consultation.doctor)
    text = (text or "").strip()
    if upload is None and not text:
        raise DomainError(_("Write a message or attach a file."), field="text")
    if len(text) > 5000:
        raise DomainError(_("A message can be at most 5000 characters."), field="text")
    message = ConsultationMessage(consultation=consultation, sender=user, body=text)
    if upload is None:
        message.kind = ConsultationMessage.Kind.TEXT
    else:
        content_type = attachment_sniff(upload)
        message.kind = (
            ConsultationMessage.Kind.DOCUMENT
            if content_type == PDF
            else ConsultationMessage.Kind.IMAGE
        )
        message.attachment_type = content_type
        message.attachment_size = upload.size
        message.attachment_name = (getattr(upload, "name", "") or "")[-200:]
        message.attachment.save("upload", File(upload), save=False)
    message.save()
    consultation_audit(user, consultation, "create", f"message {message.kind}")
    message_id = message.pk
    transaction.on_commit(lambda: consultation_away_notify(message_id=message_id))
    return message


def consultation_post_system_message(
    *, consultation: Consultation, text: str | SystemText
) -> ConsultationMessage:
    """A line from the platform in the consultation (for example "prescription issued"), shown
    to both participants. Posting does not depend on the consultation's status."""
    if not isinstance(text, SystemText):
        text = (text or "").strip()[:5000]
    if not str(text).strip():
        raise DomainError(_("A system message needs text."), field="text")
    return consultation_system_message_add(consultation, text)
