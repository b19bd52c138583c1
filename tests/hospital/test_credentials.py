import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import DomainError
from hospital.doctors.models import Credential
from hospital.doctors.services import (
    credential_reject,
    credential_submit,
    credential_verify,
    credentials_expire_due,
    credentials_warn_expiring,
    doctor_may_practise,
)
from notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.hospital.factories import PDF_BYTES, PNG_BYTES, DoctorFactory

pytestmark = pytest.mark.django_db


def submit(doctor, *, content=PDF_BYTES, name="scan.pdf", kind="title", **extra):
    return credential_submit(
        doctor=doctor,
        kind=kind,
        number=extra.pop("number", "T-2020-001"),
        authority="卫健委",
        issued_on=dt.date(2020, 1, 1),
        scan=SimpleUploadedFile(name, content),
        **extra,
    )


@pytest.mark.parametrize(
    ("content", "name"),
    [(PDF_BYTES, "a.pdf"), (PNG_BYTES, "a.png"), (b"\xff\xd8\xff\xe0" + b"0" * 20, "a.jpg")],
)
def test_pdf_png_and_jpeg_scans_are_accepted(content, name):
    doctor = DoctorFactory(credentials=False)
    assert submit(doctor, content=content, name=name).status == Credential.Status.PENDING


def test_a_scan_is_judged_by_content_not_by_name():
    doctor = DoctorFactory(credentials=False)
    with pytest.raises(DomainError) as refused:
        submit(doctor, content=b"MZ\x90\x00 not a pdf", name="evil.pdf")
    assert refused.value.field == "scan"
    assert not Credential.objects.exists()


def test_a_scan_over_10_mb_is_refused():
    doctor = DoctorFactory(credentials=False)
    with pytest.raises(DomainError):
        submit(doctor, content=PDF_BYTES + b"0" * (10 * 1024 * 1024))


WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "The file is empty."), (WEBP_BYTES, "must be a PDF")]
)
def test_an_empty_or_webp_scan_is_refused_on_the_scan_field(content, message):
    """Consultation attachments take WebP photos; scans share the check but not the list."""
    doctor = DoctorFactory(credentials=False)
    with pytest.raises(DomainError) as refused:
        submit(doctor, content=content, name="scan.webp")
    assert refused.value.field == "scan"
    assert message in refused.value.message
    assert not Credential.objects.exists()


def test_a_practice_certificate_needs_scope_and_institution():
    doctor = DoctorFactory(credentials=False)
    with pytest.raises(DomainError):
        submit(doctor, kind="practice")


def test_only_three_verified_credentials_let_a_doctor_practise():
    doctor = DoctorFactory(credentials=False)
    operator = UserFactory(roles=["operator"])
    pending = [
        submit(doctor, kind="qualification", number="Q1"),
        submit(
            doctor,
            kind="practice",
            number="P1",
            practice_scope="内科",
            registered_institution="杏林",
            expires_on=dt.date(2099, 1, 1),
        ),
        submit(doctor, kind="title", number="T1"),
    ]
    assert not doctor_may_practise(doctor=doctor)
    for credential in pending[:2]:
        credential_verify(credential_id=credential.pk, reviewer=operator)
    assert not doctor_may_practise(doctor=doctor)
    credential_verify(credential_id=pending[2].pk, reviewer=operator)
    assert doctor_may_practise(doctor=doctor)


def test_rejection_needs_a_reason_and_tells_the_doctor(django_capture_on_commit_callbacks):
    doctor = DoctorFactory(credentials=False)
    credential = submit(doctor)
    operator = UserFactory(roles=["operator"])
    with pytest.raises(DomainError):
        credential_reject(credential_id=credential.pk, reviewer=operator, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        credential_reject(credential_id=credential.pk, reviewer=operator, reason="扫描件模糊")
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert credential.reviewed_by == operator
    assert "扫描件模糊" in Notification.objects.get(recipient=doctor.user).body


def test_expiry_scan_expires_and_warns_once(django_capture_on_commit_callbacks):
    doctor = DoctorFactory()
    today = timezone.localdate()
    doctor.credentials.filter(kind="practice").update(expires_on=today + dt.timedelta(days=30))
    doctor.credentials.filter(kind="title").update(expires_on=today - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert credentials_warn_expiring() == 1
        assert credentials_warn_expiring() == 0
        assert credentials_expire_due() == 1
        assert credentials_expire_due() == 0
    assert doctor.credentials.get(kind="title").status == Credential.Status.EXPIRED
    kinds = sorted(
        Notification.objects.filter(recipient=doctor.user).values_list("kind", flat=True)
    )
    assert kinds == ["hospital.credential_expiry", "hospital.credential_expiry"]
    assert not doctor_may_practise(doctor=doctor)


def test_admin_verification_queue_actions(client):
    operator = UserFactory(roles=["operator"], is_staff=True, is_superuser=True)
    doctor = DoctorFactory(credentials=False)
    credential = submit(doctor)
    client.force_login(operator)
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=operator, type=Authenticator.Type.TOTP, data={})
    response = client.post(
        "/admin/hospital/credential/",
        {
            "action": "reject",
            "_selected_action": [credential.pk],
            "apply": "1",
            "reason": "号码不符",
        },
    )
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert credential.rejection_reason == "号码不符"


def test_a_doctor_is_warned_30_and_again_7_days_before_a_credential_expires(
    django_capture_on_commit_callbacks,
):
    doctor = DoctorFactory()
    today = timezone.localdate()
    expires = today + dt.timedelta(days=30)
    doctor.credentials.filter(kind="practice").update(expires_on=expires)
    doctor.credentials.exclude(kind="practice").update(expires_on=today + dt.timedelta(days=400))
    warnings = Notification.objects.filter(recipient=doctor.user, kind="hospital.credential_expiry")
    with django_capture_on_commit_callbacks(execute=True):
        assert credentials_warn_expiring(today=today) == 1
        assert credentials_warn_expiring(today=today + dt.timedelta(days=1)) == 0
        assert credentials_warn_expiring(today=expires - dt.timedelta(days=8)) == 0
        assert credentials_warn_expiring(today=expires - dt.timedelta(days=7)) == 1
        assert credentials_warn_expiring(today=expires - dt.timedelta(days=3)) == 0
    assert warnings.count() == 2


def test_a_credential_first_seen_inside_seven_days_is_warned_once(
    django_capture_on_commit_callbacks,
):
    doctor = DoctorFactory()
    today = timezone.localdate()
    doctor.credentials.filter(kind="practice").update(expires_on=today + dt.timedelta(days=5))
    doctor.credentials.exclude(kind="practice").update(expires_on=today + dt.timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        assert credentials_warn_expiring(today=today) == 1
        assert credentials_warn_expiring(today=today) == 0
    assert Notification.objects.filter(recipient=doctor.user).count() == 1
