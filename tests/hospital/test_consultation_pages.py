import sys

import pytest
from django.template.loader import render_to_string

from hospital.consultations.models import Consultation
from hospital.consultations.services import chat, clinical, visits
from hospital.consultations.summary import summary_context, summary_pdf_bytes
from tests.accounts.factories import PatientProfileFactory, activate_totp
from tests.hospital.consultation_factories import (
    ConfirmedAppointmentFactory,
    OpenConsultationFactory,
    QuickConsultFactory,
    api_client_for,
)
from tests.hospital.factories import DoctorFactory

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script>'


def _login_doctor(client, doctor):
    activate_totp(doctor.user)
    client.force_login(doctor.user)


def _closed(summary="按时服药"):
    consultation = OpenConsultationFactory(chief_complaint=f"头晕 {EVIL}")
    clinical.consultation_record_diagnoses(
        doctor_user=consultation.doctor.user,
        consultation_id=consultation.pk,
        diagnoses=[clinical.DiagnosisEntry(code="I10", is_primary=True)],
        advice=f"少盐 {EVIL}",
    )
    visits.consultation_close(
        doctor_user=consultation.doctor.user, consultation_id=consultation.pk, summary=summary
    )
    consultation.refresh_from_db()
    return consultation


def test_patient_chat_page_polls_with_the_cursor(client):
    consultation = OpenConsultationFactory()
    chat.consultation_post_message(
        user=consultation.patient.account, consultation_id=consultation.pk, text=EVIL
    )
    client.force_login(consultation.patient.account)
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    last = consultation.messages.order_by("-id").first().pk
    assert f'hx-get="/consultations/{consultation.pk}/poll/?after={last}"' in page
    assert 'hx-trigger="every 3s"' in page
    assert EVIL not in page
    assert "&lt;script&gt;" in page
    assert 'enctype="multipart/form-data"' in page
    poll = client.get(f"/consultations/{consultation.pk}/poll/?after={last}").content.decode()
    assert "chat-message" not in poll
    assert f"after={last}" in poll
    chat.consultation_post_message(
        user=consultation.doctor.user, consultation_id=consultation.pk, text="请测血压"
    )
    poll = client.get(f"/consultations/{consultation.pk}/poll/?after={last}").content.decode()
    assert 'hx-swap-oob="beforeend:#chat"' in poll
    assert "请测血压" in poll


def test_outsiders_get_404_on_pages(client):
    consultation = _closed()
    client.force_login(PatientProfileFactory().account)
    for path in ("", "poll/", "summary/", "summary.pdf"):
        assert client.get(f"/consultations/{consultation.pk}/{path}").status_code == 404, path


def test_posting_from_the_page(client):
    consultation = OpenConsultationFactory()
    client.force_login(consultation.patient.account)
    response = client.post(f"/consultations/{consultation.pk}/messages/", {"text": "好的"})
    assert response.status_code == 302
    assert consultation.messages.filter(body="好的").exists()


def test_summary_page_and_rating_once(client):
    consultation = _closed()
    client.force_login(consultation.patient.account)
    page = client.get(f"/consultations/{consultation.pk}/summary/").content.decode()
    assert "I10" in page
    assert EVIL not in page
    rate = client.post(
        f"/consultations/{consultation.pk}/action/",
        {"action": "rate", "rating": "5", "comment": "好"},
    )
    assert rate.status_code == 302
    again = client.post(
        f"/consultations/{consultation.pk}/action/", {"action": "rate", "rating": "1"}
    )
    assert again.status_code == 302
    consultation.refresh_from_db()
    assert consultation.rating == 5


def test_summary_pdf_renders_with_escaped_user_content(client):
    consultation = _closed(summary=f"注意 {EVIL} 复诊")
    client.force_login(consultation.patient.account)
    response = client.get(f"/consultations/{consultation.pk}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # The PDF is drawn from this HTML: user text goes in escaped, so it prints as text.
    html = render_to_string(
        "hospital/consultations/summary_pdf.html", summary_context(consultation)
    )
    assert EVIL not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "WenQuanYi Micro Hei" in html


def test_summary_pdf_only_once_closed():
    open_one = OpenConsultationFactory()
    client = api_client_for(open_one.patient.account)
    assert client.get(f"/api/v1/consultations/{open_one.pk}/summary/pdf/").status_code == 409
    closed = _closed()
    response = api_client_for(closed.patient.account).get(
        f"/api/v1/consultations/{closed.pk}/summary/pdf/"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert summary_pdf_bytes(closed).startswith(b"%PDF")


def test_doctor_workspace_lists_today_and_the_queue_and_claims(client):
    doctor = DoctorFactory()
    waiting = QuickConsultFactory(department=doctor.department)
    appointment = ConfirmedAppointmentFactory(doctor=doctor)
    _login_doctor(client, doctor)
    page = client.get("/doctor/consultations/").content.decode()
    assert waiting.chief_complaint in page
    assert f"/appointments/{appointment.pk}/consultation/" in page
    claim = client.post(f"/consultations/{waiting.pk}/action/", {"action": "claim"})
    assert claim["Location"] == f"/consultations/{waiting.pk}/"
    opened = client.post(f"/appointments/{appointment.pk}/consultation/")
    consultation = Consultation.objects.get(appointment=appointment)
    assert opened["Location"] == f"/consultations/{consultation.pk}/"
    detail = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'data-testid="record-panel"' in detail
    assert 'name="action" value="close"' in detail


def test_doctor_page_actions_record_and_close(client):
    consultation = OpenConsultationFactory()
    _login_doctor(client, consultation.doctor)
    url = f"/consultations/{consultation.pk}/action/"
    client.post(
        url, {"action": "diagnoses", "primary_code": "E11.9", "secondary_codes": "I10, XYZ"}
    )
    assert not consultation.diagnoses.exists()  # one bad code: nothing saved
    client.post(url, {"action": "diagnoses", "primary_code": "E11.9", "secondary_codes": "I10"})
    assert set(consultation.diagnoses.values_list("code", flat=True)) == {"E11.9", "I10"}
    client.post(url, {"action": "close", "summary": "控制饮食"})
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CLOSED


def test_workspace_needs_a_doctor(client):
    client.force_login(PatientProfileFactory().account)
    assert client.get("/doctor/consultations/").status_code == 403


@pytest.mark.parametrize("after", ["99999999999999999999999", "²", "-5"])
def test_the_chat_poll_with_a_cursor_that_is_no_message_id_answers(client, after):
    consultation = OpenConsultationFactory()
    client.force_login(consultation.patient.account)
    poll = client.get(f"/consultations/{consultation.pk}/poll/?after={after}")
    assert poll.status_code == 200


def test_without_pdf_rendering_the_visit_summary_is_a_503_not_a_server_error(client, monkeypatch):
    consultation = _closed()
    client.force_login(consultation.patient.account)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without Pango
    response = client.get(f"/consultations/{consultation.pk}/summary.pdf")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
