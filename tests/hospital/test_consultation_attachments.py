import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hospital.consultations.models import ConsultationMessage
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.consultation_factories import OpenConsultationFactory, api_client_for
from tests.hospital.factories import PDF_BYTES, PNG_BYTES, DoctorFactory

pytestmark = pytest.mark.django_db

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def _post_file(client, consultation, name, content, content_type="image/jpeg", text=""):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        f"/api/v1/consultations/{consultation.pk}/messages/",
        {"file": upload, "text": text},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("content", "kind", "content_type"),
    [
        (JPEG_BYTES, "image", "image/jpeg"),
        (PNG_BYTES, "image", "image/png"),
        (WEBP_BYTES, "image", "image/webp"),
        (PDF_BYTES, "document", "application/pdf"),
    ],
)
def test_type_comes_from_the_content(content, kind, content_type):
    consultation = OpenConsultationFactory()
    response = _post_file(
        api_client_for(consultation.patient.account), consultation, "x.jpg", content
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == kind
    assert body["attachment"]["content_type"] == content_type


def test_a_jpg_name_with_pdf_bytes_is_stored_as_a_pdf():
    consultation = OpenConsultationFactory()
    response = _post_file(
        api_client_for(consultation.patient.account),
        consultation,
        "photo.jpg",
        PDF_BYTES,
        text="化验单",
    )
    assert response.status_code == 201
    message = ConsultationMessage.objects.get(kind="document")
    assert message.attachment_type == "application/pdf"
    assert message.attachment.name.endswith(".pdf")
    assert message.body == "化验单"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("scan.pdf", b"GIF89a" + b"\x00" * 32),
    ],
)
def test_disguised_files_are_refused(name, content):
    consultation = OpenConsultationFactory()
    response = _post_file(api_client_for(consultation.patient.account), consultation, name, content)
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_type"
    assert "file" in response.json()["errors"]
    assert not ConsultationMessage.objects.exclude(kind="system").exists()


def test_too_big_is_refused(settings):
    settings.HOSPITAL_CONSULTATION_ATTACHMENT_MAX_BYTES = 1024
    consultation = OpenConsultationFactory()
    response = _post_file(
        api_client_for(consultation.patient.account),
        consultation,
        "big.pdf",
        PDF_BYTES + b"0" * 2048,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not ConsultationMessage.objects.exclude(kind="system").exists()


def test_attachment_is_served_only_to_participants():
    consultation = OpenConsultationFactory()
    message_id = _post_file(
        api_client_for(consultation.patient.account), consultation, "a.png", PNG_BYTES
    ).json()["id"]
    url = f"/api/v1/consultations/{consultation.pk}/messages/{message_id}/attachment/"
    for participant in (consultation.patient.account, consultation.doctor.user):
        response = api_client_for(participant).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG_BYTES
    for outsider in (PatientProfileFactory().account, DoctorFactory().user):
        assert api_client_for(outsider).get(url).status_code == 404
    # The same message under another consultation's id is not found either.
    other = OpenConsultationFactory(appointment__patient=consultation.patient)
    wrong = f"/api/v1/consultations/{other.pk}/messages/{message_id}/attachment/"
    assert api_client_for(consultation.patient.account).get(wrong).status_code == 404


def test_attachment_page_download_checks_access(client):
    consultation = OpenConsultationFactory()
    message_id = _post_file(
        api_client_for(consultation.patient.account), consultation, "a.pdf", PDF_BYTES
    ).json()["id"]
    url = f"/consultations/{consultation.pk}/attachments/{message_id}/"
    client.force_login(consultation.patient.account)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    client.force_login(PatientProfileFactory().account)
    assert client.get(url).status_code == 404
