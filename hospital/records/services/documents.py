"""Medical documents in the record: uploaded, recognised by their bytes, withdrawn when entered in
error."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import Conflict, DomainError, NotFound
from core.uploads import JPEG, PDF, PNG, upload_content_type
from hospital.icd10 import icd10_validate_list
from hospital.records.models import (
    MedicalDocument,
)
from hospital.records.services.entries import (
    ACCOUNT,
    check_date_not_future,
    entry_source,
    record_entry_log,
    record_writer,
)
from hospital.rules import figure


def document_content_type(upload: Any) -> str:
    """The document's real content type: a PDF, JPEG or PNG within the size limit."""
    return upload_content_type(
        upload,
        allowed=(PDF, JPEG, PNG),
        max_bytes=figure("MEDICAL_DOCUMENT_MAX_BYTES"),
        field="file",
        too_large=_("The file must be at most %(mb)s MB."),
        wrong_type=_("The file must be a PDF, JPEG or PNG."),
    )


def medical_document_upload(
    *,
    actor: Any,
    patient_id: int,
    kind: str,
    hospital_name: str,
    document_date: dt.date,
    file: Any,
    diagnosis_codes: list[str] | None = None,
    title: str = "",
) -> MedicalDocument:
    """A document from elsewhere, uploaded by the patient's account (doctors read them)."""
    patient, reason = record_writer(
        actor=actor, patient_id=patient_id, action="create", object_type="medicaldocument"
    )
    if reason != ACCOUNT:
        raise Conflict(
            _("Documents are uploaded by the patient's account."), code="patient_uploads"
        )
    if kind not in MedicalDocument.Kind.values:
        raise DomainError(_("Choose the kind of document."), field="kind")
    hospital_name = (hospital_name or "").strip()
    if not hospital_name:
        raise DomainError(_("Name the hospital that issued the document."), field="hospital_name")
    if document_date is None:
        raise DomainError(_("Give the document's date."), field="document_date")
    check_date_not_future(document_date, "document_date")
    codes = icd10_validate_list(list(diagnosis_codes or []), field="diagnosis_codes")
    content_type = document_content_type(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        document = MedicalDocument(
            patient=patient,
            kind=kind,
            title=(title or "").strip()[:150],
            hospital_name=hospital_name[:150],
            document_date=document_date,
            diagnosis_codes=codes,
            content_type=content_type,
            size=file.size,
            sha256=digest.hexdigest(),
            original_name=(getattr(file, "name", "") or "")[-200:],
            source=entry_source(reason),
            recorded_by=actor,
        )
        document.file.save("upload", file, save=False)
        document.save()
        record_entry_log(actor, patient, "create", document, reason)
    return document


def medical_document_mark_entered_in_error(
    *, actor: Any, patient_id: int, document_id: int
) -> MedicalDocument:
    patient, _reason = record_writer(
        actor=actor,
        patient_id=patient_id,
        action="update",
        object_type="medicaldocument",
        object_id=document_id,
    )
    with transaction.atomic():
        document = (
            MedicalDocument.objects.select_for_update()
            .filter(pk=document_id, patient=patient)
            .first()
        )
        if document is None:
            raise NotFound(_("No such document on this record."))
        if document.status == MedicalDocument.Status.ENTERED_IN_ERROR:
            return document
        document.status = MedicalDocument.Status.ENTERED_IN_ERROR
        document.save(update_fields=["status", "updated_at"])
        record_entry_log(actor, patient, "update", document, "entered_in_error")
    return document
