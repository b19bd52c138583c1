"""Doctor onboarding from the doctor's side: sign up, apply, set up TOTP, file the three
certificates, operators verify or reject them in the admin, and only then can patients book."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from hospital.doctors.models import Credential, DoctorProfile
from hospital.doctors.services import doctor_apply, doctor_may_practise
from hospital.doctors.tasks import review_credential_expiry
from notifications.models import Notification
from tests.accounts.factories import (
    OperatorUserFactory,
    PatientProfileFactory,
    PatientUserFactory,
    activate_totp,
    totp_code,
    verified_email,
)
from tests.hospital.factories import (
    PDF_BYTES,
    PNG_BYTES,
    CredentialFactory,
    DepartmentFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
APPLICATION_URL = "/api/v1/me/doctor-application/"
CREDENTIALS_URL = "/api/v1/me/credentials/"
PAGE_URL = "/doctor/credentials/"


def application(department, **overrides):
    return {
        "name": "王晓明",
        "department": department.pk,
        "title": "attending",
        "tier": "contracted",
        "years_of_practice": 8,
        "bio": "长期从事高血压、糖尿病的慢病管理。",
        "specialties": "高血压, 糖尿病",
        "languages": ["zh", "en"],
        "services": [{"mode": "text", "fee": "30.00"}, {"mode": "video", "fee": "80.00"}],
        **overrides,
    }


def certificate(kind, *, number=None, content=PDF_BYTES, name="scan.pdf", **overrides):
    data = {
        "kind": kind,
        "number": f"{kind[:1].upper()}-110-{kind}" if number is None else number,
        "authority": "北京市卫生健康委员会",
        "issued_on": "2016-07-01",
        "scan": SimpleUploadedFile(name, content, content_type="application/pdf"),
    }
    if kind == "practice":
        data.update(
            expires_on=(timezone.localdate() + dt.timedelta(days=900)).isoformat(),
            practice_scope="内科专业",
            registered_institution="杏林互联网医院",
        )
    data.update(overrides)
    return data


def admin_operator() -> User:
    """An operator who may work the credential queue in the admin, with TOTP set up."""
    operator = OperatorUserFactory()
    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="hospital",
            codename__in=["view_credential", "change_credential"],
        )
    )
    activate_totp(operator)
    return operator


def admin_action(operator, action, credentials, *, language="zh-hans", **extra):
    client = Client()
    client.force_login(operator)
    return client.post(
        "/admin/hospital/credential/",
        {"action": action, "_selected_action": [c.pk for c in credentials], **extra},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def applied_doctor(department=None) -> tuple[DoctorProfile, Client]:
    """An account that has applied (through the service) and set up TOTP, signed in."""
    user = PatientUserFactory()
    doctor = doctor_apply(
        user=user,
        name="李华",
        department_id=(department or DepartmentFactory()).pk,
        title="attending",
        tier="full_time",
        years_of_practice=6,
        services=[{"mode": "video", "fee": "50"}],
    )
    activate_totp(user)
    client = Client()
    client.force_login(user)
    return doctor, client


def stored_scans() -> list[str]:
    """Every scan file in storage (the test storage lives as long as the test process)."""
    if not default_storage.exists("credentials"):
        return []
    folders, _files = default_storage.listdir("credentials")
    return sorted(
        f"{folder}/{name}"
        for folder in folders
        for name in default_storage.listdir(f"credentials/{folder}")[1]
    )


def first_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


# --- the whole journey ------------------------------------------------------------------------


def test_signed_up_account_applies_sets_up_totp_files_certificates_and_becomes_bookable(
    django_capture_on_commit_callbacks,
):
    department = DepartmentFactory(code="cardiology")
    operator = admin_operator()
    client = Client()

    # The normal email signup, confirmation and login.
    client.post(
        "/accounts/signup/",
        {
            "email": "dr.wang@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "consent": "on",
        },
    )
    client.post(first_link(mail.outbox[-1]))
    client.post("/accounts/login/", {"login": "dr.wang@example.test", "password": PASSWORD})
    account = User.objects.get(email="dr.wang@example.test")
    assert not account.has_role(Role.DOCTOR)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            APPLICATION_URL, application(department), content_type="application/json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "王晓明"
    assert body["tier"] == "contracted"
    assert body["languages"] == ["zh", "en"]
    assert {s["mode"]: s["fee"] for s in body["services"]} == {"text": "30.00", "video": "80.00"}
    assert body["may_practise"] is False
    assert len(body["problems"]) == 3
    assert User.objects.get(pk=account.pk).has_role(Role.DOCTOR)
    applied = Notification.objects.get(recipient=operator, kind="hospital.doctor_applied")
    assert "王晓明" in applied.body

    # A doctor is a clinician: nothing more until TOTP is set up, on the pages or the API.
    response = client.get(PAGE_URL)
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    assert client.get(CREDENTIALS_URL).json()["code"] == "mfa_required"

    response = client.get(reverse("mfa_activate_totp"))
    client.post(response.url, {"password": PASSWORD})  # allauth asks for the password again
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(PAGE_URL).status_code == 200

    # Applying again is a conflict, not a second profile.
    response = client.post(
        APPLICATION_URL, application(department), content_type="application/json"
    )
    assert response.status_code == 409
    assert DoctorProfile.objects.filter(user=account).count() == 1

    for kind in ("qualification", "practice", "title"):
        response = client.post(CREDENTIALS_URL, certificate(kind))
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "pending"
    listed = client.get(CREDENTIALS_URL).json()
    assert listed["count"] == 3
    doctor = DoctorProfile.objects.get(user=account)
    assert doctor.pk not in [d["id"] for d in APIClient().get("/api/v1/doctors/").json()["results"]]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(operator, "verify", doctor.credentials.all())
    assert response.status_code == 302
    assert set(doctor.credentials.values_list("status", flat=True)) == {"verified"}
    verified = Notification.objects.filter(recipient=account, kind="hospital.credential_verified")
    assert verified.count() == 3

    assert client.get(APPLICATION_URL).json()["may_practise"] is True
    listed = APIClient().get("/api/v1/doctors/", {"department": "cardiology"}).json()["results"]
    assert [d["id"] for d in listed] == [doctor.pk]

    slot = SlotFactory(doctor=doctor, mode="video")
    patient = PatientProfileFactory()
    patient_client = APIClient()
    patient_client.force_authenticate(patient.account)
    response = patient_client.post(
        "/api/v1/appointments/",
        {
            "patient": patient.pk,
            "slot": slot.pk,
            "mode": "video",
            "visit_type": "follow_up",
            "chief_complaint": "高血压复诊，需要调整用药",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_the_apply_page_creates_the_profile_and_sends_the_doctor_to_totp_setup(client):
    department = DepartmentFactory()
    user = verified_email(PatientUserFactory())
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    page = client.get("/doctor/apply/")
    assert page.status_code == 200
    assert 'data-testid="doctor-application"' in page.content.decode()

    response = client.post(
        "/doctor/apply/",
        {
            "name": "赵敏",
            "department": department.pk,
            "title": "chief",
            "tier": "expert",
            "years_of_practice": 20,
            "languages": ["zh"],
            "offer_phone": "on",
            "fee_phone": "120.00",
        },
    )
    assert response.status_code == 302
    assert response.url == PAGE_URL
    doctor = DoctorProfile.objects.get(user=user)
    assert doctor.tier == "expert"
    assert list(doctor.services.values_list("mode", "fee")) == [("phone", 120)]
    assert client.get(PAGE_URL).url == reverse("mfa_activate_totp")

    activate_totp(user)
    assert client.get(PAGE_URL).status_code == 200
    # Applied already: the apply page leads to the credentials instead.
    assert client.get("/doctor/apply/").url == PAGE_URL


def test_the_apply_page_needs_a_mode_and_its_fee(client):
    department = DepartmentFactory()
    client.force_login(PatientUserFactory())
    form = {
        "name": "赵敏",
        "department": department.pk,
        "title": "chief",
        "tier": "expert",
        "years_of_practice": 20,
        "languages": ["zh"],
    }
    assert client.post("/doctor/apply/", form).status_code == 200
    assert client.post("/doctor/apply/", {**form, "offer_text": "on"}).status_code == 200
    assert not DoctorProfile.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"department": 999_999}, "department"),
        ({"services": []}, "services"),
        ({"services": [{"mode": "text", "fee": "1"}, {"mode": "text", "fee": "2"}]}, "services"),
        ({"services": [{"mode": "fax", "fee": "1"}]}, "services"),
        ({"services": [{"mode": "text", "fee": "-1"}]}, "services"),
        ({"title": "professor"}, "title"),
        ({"years_of_practice": -1}, "years_of_practice"),
        ({"languages": ["中文"]}, "languages"),
    ],
)
def test_a_bad_application_is_a_400_and_changes_nothing(change, field):
    user = PatientUserFactory()
    client = APIClient()
    client.force_login(user)
    response = client.post(
        APPLICATION_URL, {**application(DepartmentFactory()), **change}, format="json"
    )
    assert response.status_code == 400
    assert field in str(response.json()["errors"])
    assert not DoctorProfile.objects.exists()
    assert not User.objects.get(pk=user.pk).has_role(Role.DOCTOR)


def test_applying_needs_a_signed_in_account():
    response = APIClient().post(APPLICATION_URL, {}, format="json")
    assert response.status_code in (401, 403)
    assert Client().get("/doctor/apply/").url.startswith("/accounts/login/")


def test_operators_hear_of_an_application_once(django_capture_on_commit_callbacks):
    operator = OperatorUserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doctor, _client = applied_doctor()
    # A retried delivery of the same callbacks adds nothing.
    for callback in callbacks:
        callback()
    notes = Notification.objects.filter(recipient=operator, kind="hospital.doctor_applied")
    assert notes.count() == 1
    assert str(doctor.pk) in notes.get().link


# --- rejection, history and the page -----------------------------------------------------------


def test_a_rejected_credential_shows_its_reason_blocks_practice_and_can_be_filed_again(
    django_capture_on_commit_callbacks,
):
    doctor, client = applied_doctor()
    for kind in ("qualification", "practice"):
        CredentialFactory(doctor=doctor, kind=kind)
    assert client.post(CREDENTIALS_URL, certificate("title", number="T-1")).status_code == 201
    title = doctor.credentials.get(kind="title")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(
            admin_operator(), "reject", [title], apply="1", reason="扫描件模糊，请重新上传"
        )
    assert response.status_code == 302
    title.refresh_from_db()
    assert title.status == "rejected"
    note = Notification.objects.get(recipient=doctor.user, kind="hospital.credential_rejected")
    assert "扫描件模糊" in note.body

    assert not doctor_may_practise(doctor=doctor)
    assert doctor.pk not in [d["id"] for d in APIClient().get("/api/v1/doctors/").json()["results"]]
    page = client.get(PAGE_URL, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "扫描件模糊，请重新上传" in html
    assert 'data-testid="practice-problems"' in html
    assert "Professional title certificate" in html
    own = client.get(f"{CREDENTIALS_URL}{title.pk}/").json()
    assert own["status"] == "rejected"
    assert own["rejection_reason"] == "扫描件模糊，请重新上传"

    # Filed again, even under the same number: a new pending filing; the old one is history.
    response = client.post(CREDENTIALS_URL, certificate("title", number="T-1"))
    assert response.status_code == 201
    assert response.json()["id"] != title.pk
    title.refresh_from_db()
    assert (title.status, title.rejection_reason) == ("rejected", "扫描件模糊，请重新上传")
    statuses = [
        c["status"] for c in client.get(CREDENTIALS_URL).json()["results"] if c["kind"] == "title"
    ]
    assert statuses == ["pending", "rejected"]

    # One filing per kind waits at a time.
    response = client.post(CREDENTIALS_URL, certificate("title", number="T-2"))
    assert response.status_code == 409
    assert doctor.credentials.filter(kind="title").count() == 2


def test_the_credentials_page_uploads_through_its_form_and_reports_a_bad_scan(client):
    doctor, client = applied_doctor()
    form = certificate("qualification", number="Q-9")
    scan = form.pop("scan")
    page_form = {f"qualification-{name}": value for name, value in form.items() if name != "kind"}
    response = client.post(
        "/doctor/credentials/upload/qualification/",
        {**page_form, "qualification-scan": SimpleUploadedFile("evil.pdf", b"MZ\x90\x00 exe")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert not doctor.credentials.exists()
    assert "PDF, JPEG or PNG" in client.get(PAGE_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    response = client.post(
        "/doctor/credentials/upload/qualification/", {**page_form, "qualification-scan": scan}
    )
    assert response.status_code == 302
    assert doctor.credentials.get().number == "Q-9"
    html = client.get(PAGE_URL).content.decode()
    assert "Q-9" in html
    assert client.get(f"/doctor/credentials/{doctor.credentials.get().pk}/scan/").status_code == 200


def test_verification_tells_the_doctor_when_they_may_see_patients(
    django_capture_on_commit_callbacks,
):
    doctor, client = applied_doctor()
    for kind in ("qualification", "practice", "title"):
        client.post(CREDENTIALS_URL, certificate(kind))
    operator = admin_operator()
    credentials = list(doctor.credentials.order_by("kind"))
    # The message is written in the language of the request that verified it.
    with django_capture_on_commit_callbacks(execute=True):
        admin_action(operator, "verify", credentials[:2], language="en")
    with django_capture_on_commit_callbacks(execute=True):
        admin_action(operator, "verify", credentials[2:], language="en")
    bodies = list(
        Notification.objects.filter(recipient=doctor.user, kind="hospital.credential_verified")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert len(bodies) == 3
    assert not any("You may now see patients." in body for body in bodies[:2])
    assert bodies[2].endswith("You may now see patients.")


# --- access ------------------------------------------------------------------------------------


def test_another_accounts_credentials_are_never_visible():
    department = DepartmentFactory()
    owner, owner_client = applied_doctor(department)
    owner_client.post(CREDENTIALS_URL, certificate("title", number="OWN-1"))
    credential = owner.credentials.get()
    _other, other_client = applied_doctor(department)

    assert other_client.get(f"{CREDENTIALS_URL}{credential.pk}/").status_code == 404
    assert other_client.get(f"{CREDENTIALS_URL}{credential.pk}/scan/").status_code == 404
    assert other_client.get(f"/doctor/credentials/{credential.pk}/scan/").status_code == 404
    assert other_client.get(CREDENTIALS_URL).json()["count"] == 0
    assert "OWN-1" not in other_client.get(PAGE_URL).content.decode()

    scan = owner_client.get(f"{CREDENTIALS_URL}{credential.pk}/scan/")
    assert scan.status_code == 200
    assert b"".join(scan.streaming_content) == PDF_BYTES
    assert scan["Cache-Control"] == "private, no-store"


def test_an_account_that_has_not_applied_has_no_credentials_to_see_or_file():
    client = APIClient()
    client.force_login(PatientUserFactory())
    assert client.get(CREDENTIALS_URL).status_code == 404
    assert client.get(APPLICATION_URL).status_code == 404
    assert client.post(CREDENTIALS_URL, certificate("title")).status_code == 404
    assert not Credential.objects.exists()


def test_the_credential_list_costs_the_same_queries_for_one_or_many():
    doctor, client = applied_doctor()
    CredentialFactory(doctor=doctor, kind="title")
    client.get(CREDENTIALS_URL)  # warm the session and the content types

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CREDENTIALS_URL).status_code == 200
        return len(queries)

    one = count_queries()
    for kind in ("qualification", "practice"):
        CredentialFactory(doctor=doctor, kind=kind)
    CredentialFactory(doctor=doctor, kind="title", status="rejected", rejection_reason="模糊")
    assert count_queries() == one


# --- bad uploads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"MZ\x90\x00 not a pdf at all", "licence.pdf"), (b"GIF89a" + b"\x00" * 20, "licence.png")],
)
def test_a_scan_of_the_wrong_type_is_a_400_and_nothing_is_saved(content, name):
    _doctor, client = applied_doctor()
    before = stored_scans()
    response = client.post(CREDENTIALS_URL, certificate("title", content=content, name=name))
    assert response.status_code == 400
    assert "scan" in response.json()["errors"]
    assert not Credential.objects.exists()
    assert stored_scans() == before
    assert client.post(CREDENTIALS_URL, certificate("title")).status_code == 201
    assert len(stored_scans()) == len(before) + 1


def test_a_scan_over_10_mb_is_a_413_and_nothing_is_saved():
    _doctor, client = applied_doctor()
    before = stored_scans()
    too_big = PNG_BYTES + b"\x00" * (10 * 1024 * 1024)
    response = client.post(CREDENTIALS_URL, certificate("title", content=too_big, name="a.png"))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Credential.objects.exists()
    assert stored_scans() == before


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("practice", {"practice_scope": ""}, "practice_scope"),
        ("title", {"expires_on": "2015-01-01"}, "expires_on"),
        ("title", {"issued_on": "2999-01-01"}, "issued_on"),
        ("diploma", {}, "kind"),
        ("title", {"number": ""}, "number"),
    ],
)
def test_a_bad_certificate_is_a_400_and_nothing_is_saved(kind, change, field):
    _doctor, client = applied_doctor()
    response = client.post(CREDENTIALS_URL, certificate(kind, **change))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Credential.objects.exists()


# --- expiry -------------------------------------------------------------------------------------


def test_the_doctor_is_warned_30_days_before_a_credential_expires(
    django_capture_on_commit_callbacks,
):
    doctor, _client = applied_doctor()
    today = timezone.localdate()
    CredentialFactory(doctor=doctor, kind="qualification")
    CredentialFactory(doctor=doctor, kind="title")
    practice = CredentialFactory(
        doctor=doctor, kind="practice", expires_on=today + dt.timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert review_credential_expiry() == {"expired": 0, "warned": 0}
    practice.expires_on = today + dt.timedelta(days=30)
    practice.save(update_fields=["expires_on"])
    with django_capture_on_commit_callbacks(execute=True):
        assert review_credential_expiry() == {"expired": 0, "warned": 1}
        assert review_credential_expiry() == {"expired": 0, "warned": 0}
    warning = Notification.objects.get(recipient=doctor.user, kind="hospital.credential_expiry")
    assert str(practice.expires_on) in warning.subject


# --- navigation ---------------------------------------------------------------------------------


def test_nav_offers_apply_to_accounts_and_my_credentials_to_doctors(client):
    client.force_login(PatientUserFactory())
    html = client.get("/doctors/").content.decode()
    assert reverse("hospital:doctor-apply") in html
    assert reverse("hospital:doctor-credentials") not in html

    _doctor, doctor_client = applied_doctor()
    html = doctor_client.get("/doctors/").content.decode()
    assert reverse("hospital:doctor-credentials") in html
    assert reverse("hospital:doctor-apply") not in html
