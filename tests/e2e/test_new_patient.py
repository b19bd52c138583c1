"""A new patient signs up, confirms the address from the mail, adds themself and a family
member, uploads the diagnosis of an earlier visit elsewhere, registers their medical insurance,
books a doctor seeing the insurance split, and pays the rest in the payment sandbox — in
Chinese and English, on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from tests.e2e.conftest import LANGUAGES, WIDTHS
from tests.hospital.factories import PNG_BYTES

# One stack serves all journeys: under xdist they run on one worker (--dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORD = "Qx7-violet-harbour"
# Check digit of a resident ID number (GB 11643-1999).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(birth: dt.date, *, sequence: int) -> str:
    """A valid resident ID number of a Beijing resident born on `birth`; an odd sequence is a
    man, an even one a woman."""
    body = f"110105{birth:%Y%m%d}{sequence:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def add_patient(person, *, relationship: str, name: str, sex: str, birth: dt.date) -> None:
    page = person.page
    person.goto("/me/patients/add/")
    page.select_option("select[name=relationship]", relationship)
    page.fill("input[name=real_name]", name)
    page.select_option("select[name=sex]", sex)
    page.fill("input[name=birth_date]", birth.isoformat())
    page.fill(
        "input[name=resident_id_number]",
        resident_id(birth, sequence=11 if sex == "male" else 22),
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me/patients/")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_new_patient_signs_up_books_a_doctor_and_pays(people, stack, language, width):
    patient = people(language=language, width=width)
    page, t = patient.page, patient.t
    address = f"new-{language}-{width}-{uuid.uuid4().hex[:6]}@example.test"

    patient.goto("/accounts/signup/")
    page.fill("input[name=email]", address)
    page.check("input[name=consent]")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    patient.step("signup-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")
    patient.step("verification-sent")

    body = stack.mail_to(address)
    if language == "zh-hans":
        assert "Hello" not in body, "the verification mail greets in English"
    patient.page.goto(stack.link_in(body, "/accounts/confirm-email/"))
    patient.step("confirm-address")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert address in page.locator("body").inner_text()
    patient.step("signed-in")

    add_patient(patient, relationship="self", name="王晓明", sex="male", birth=dt.date(1985, 4, 12))
    add_patient(
        patient, relationship="child", name="王小雨", sex="female", birth=dt.date(2016, 9, 3)
    )
    listing = page.locator("main").inner_text()
    assert "王晓明" in listing
    assert "王小雨" in listing
    patient.step("family")

    # The diagnosis from an offline hospital, so an online doctor can continue the care.
    patient.goto("/records/")
    page.get_by_role("link", name="王晓明").first.click()
    page.wait_for_url(re.compile(r".*/records/\d+/$"))
    upload = page.locator("details", has=page.locator("input[name=document-file]"))
    upload.locator("summary").click()
    upload.locator("select[name=document-kind]").select_option("diagnosis_certificate")
    upload.locator("input[name=document-hospital_name]").fill("北京朝阳医院")
    upload.locator("input[name=document-document_date]").fill(
        (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    )
    upload.locator("input[name=document-diagnosis_codes]").fill("I10")
    upload.locator("input[name=document-file]").set_input_files(
        files=[{"name": "diagnosis.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    patient.step("prior-diagnosis")
    upload.get_by_role("button", name=t("Save")).click()
    page.wait_for_load_state()
    documents = page.locator("[data-testid=documents]").inner_text()
    assert "北京朝阳医院" in documents
    assert "I10" in documents
    patient.step("prior-diagnosis-uploaded")

    patient.goto("/insurance/")
    page.select_option("select[name=patient]", label="王晓明")
    page.locator("select[name=plan]").select_option(index=1)
    page.fill("input[name=member_number]", f"1101{uuid.uuid4().int % 10**10:010d}")
    page.fill("input[name=starts_on]", (timezone.localdate() - dt.timedelta(days=30)).isoformat())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.get_by_text(t("Covered"), exact=True).first.is_visible()
    patient.step("insurance-registered")

    # Book the demo doctor's first free time for themself, a follow-up of a known condition.
    patient.goto("/doctors/")
    page.get_by_text("李明").first.click()
    page.locator("details[open] [data-testid=slot]").first.click()
    option = page.locator("select[name=patient] option", has_text="王晓明")
    page.select_option("select[name=patient]", option.get_attribute("value"))
    page.select_option("select[name=visit_type]", "follow_up")
    page.fill("textarea[name=chief_complaint]", "高血压复诊，血压控制情况")
    patient.step("booking")
    page.get_by_role("button", name=t("Book and pay")).click()
    page.wait_for_url("**/payments/sandbox/**")
    fee = page.locator("main").inner_text()
    assert "李明" in fee
    patient.step("sandbox-payment")

    page.locator("button[name=choice][value=pay]").click()
    page.wait_for_url("**/appointments/")
    row = page.locator("tbody tr").filter(has_text="王晓明")
    # What the fee is made of: the split when insurance pays a share, else what they paid.
    split = row.locator("[data-testid=insurance-split]")
    if split.count():
        assert split.locator("[data-testid=patient-due]").is_visible()
    else:
        assert "¥" in row.inner_text()
    assert t("Confirmed") in row.inner_text()
    patient.step("appointment-confirmed")
