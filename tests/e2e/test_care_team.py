"""The care team at work in the browser: the doctor (signed in with a TOTP code) opens a
follow-up visit, chats, records a diagnosis, invites a specialist (会诊), prescribes two drugs
that interact, keeps them with a reason and signs; the pharmacist takes a prescription from the
review queue and approves it; an operator verifies a doctor's credential in the admin."""

from __future__ import annotations

import re

import pytest

from accounts.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_DOCTOR_EMAIL,
    DEMO_PASSWORD,
    DEMO_PHARMACIST_EMAIL,
    DEMO_TOTP_SECRET,
)
from tests.e2e.conftest import totp_code

# One stack serves all journeys: under xdist they run on one worker (--dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NEW_DOCTOR_EMAIL = "doctor13@xinglin.test"
MDT_QUESTION = "血压偏高合并空腹血糖受损，是否需要加用降糖药物？"
OVERRIDE_REASON = "已告知患者，改用泮托拉唑前先短期观察胃部症状。"


def test_the_doctor_consults_prescribes_through_a_warning_and_signs(people):
    doctor = people(language="zh-hans", who="doctor")
    page, t = doctor.page, doctor.t
    doctor.log_in(DEMO_DOCTOR_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    page.wait_for_url("**/doctor/consultations/")
    doctor.step("workspace")

    appointment = (
        page.locator("li")
        .filter(has_text="张伟")
        .filter(has=page.locator("button[data-testid=open-consultation]:enabled"))
    )
    appointment.first.locator("button[data-testid=open-consultation]").click()
    page.wait_for_url(re.compile(r".*/consultations/\d+/$"))
    consultation_url = page.url
    assert page.locator("[data-testid=status]").inner_text() == t("Open")
    doctor.step("consultation-opened")

    page.fill("textarea[name=text]", "您好，最近血压多少？头晕是什么时候开始的？")
    page.get_by_role("button", name=t("Send"), exact=True).click()
    page.get_by_text("最近血压多少").first.wait_for()
    doctor.step("chat")

    page.fill("input[name=primary_code]", "I10")
    page.locator("button[name=action][value=diagnoses]").click()
    page.wait_for_url(consultation_url)
    assert page.locator("main li").filter(has_text="I10").first.is_visible()
    doctor.step("diagnosis")

    # A specialist's view before prescribing: an endocrinologist is asked into the visit.
    page.get_by_role("link", name=t("Invite specialists (会诊)")).click()
    page.locator("label", has_text="王芳").locator("input[name=doctors]").check()
    page.fill("textarea[name=question]", MDT_QUESTION)
    doctor.step("mdt-invitation")
    page.get_by_role("button", name=t("Invite"), exact=True).click()
    page.wait_for_url(re.compile(r".*/mdt/\d+/$"))
    assert MDT_QUESTION in page.locator("main").inner_text()
    assert "王芳" in page.locator("main").inner_text()
    doctor.step("mdt-invited")
    doctor.goto(consultation_url.removeprefix(doctor.stack.base_url))

    page.select_option("select[name=qualifies]", "yes")
    page.locator("input[name=evidence]").first.check()
    page.locator("button[name=action][value=follow_up]").click()
    page.wait_for_url(consultation_url)
    assert page.get_by_text(t("May prescribe"), exact=True).is_visible()
    doctor.step("follow-up-confirmed")

    page.get_by_role("link", name=t("Write a prescription")).click()
    page.fill("input[name=diagnosis_codes]", "I10")
    items = page.locator("[data-testid=prescription-item]")
    for index, (code, dose, days) in enumerate(
        (("clopidogrel-75mg-tab", "75", "7"), ("omeprazole-20mg-eccap", "20", "7"))
    ):
        item = items.nth(index)
        item.locator(f"select[name=drug_code_{index}]").select_option(code)
        item.locator(f"input[name=dose_{index}]").fill(dose)
        item.locator(f"input[name=duration_days_{index}]").fill(days)
        item.locator(f"input[name=instructions_{index}]").fill("每日一次")
    page.locator("input[name=instructions_1]").dispatch_event("change")
    warning = page.locator("#findings .finding.severity-major")
    warning.first.wait_for()
    assert "氯吡格雷" in warning.first.inner_text() or "clopidogrel" in warning.first.inner_text()
    doctor.step("interaction-warning")

    page.get_by_role("button", name=t("Save draft")).click()
    page.wait_for_url(re.compile(r".*/prescriptions/\d+/$"))
    override = page.locator("input[name^=override_]")
    override.first.fill(OVERRIDE_REASON)
    page.fill("input[name=totp_code]", totp_code(DEMO_TOTP_SECRET, account=DEMO_DOCTOR_EMAIL))
    doctor.step("override-reason")
    page.get_by_role("button", name=t("Sign prescription")).click()
    page.wait_for_load_state()
    assert page.get_by_text(t("Signature valid")).is_visible()
    assert OVERRIDE_REASON in page.locator("main").inner_text()
    doctor.step("signed")


def test_the_pharmacist_approves_from_the_review_queue(people):
    pharmacist = people(language="zh-hans", who="pharmacist")
    page, t = pharmacist.page, pharmacist.t
    pharmacist.log_in(DEMO_PHARMACIST_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    page.wait_for_url("**/pharmacist/review/")
    pharmacist.step("queue")
    page.locator("[data-testid=take-next]").click()
    page.wait_for_url(re.compile(r".*/pharmacist/review/\d+/$"))
    prescription_id = re.search(r"/pharmacist/review/(\d+)/", page.url).group(1)
    pharmacist.step("prescription")
    page.locator("[data-testid=approve]").click()
    page.wait_for_url("**/pharmacist/review/")
    approved = t("Prescription #%(id)s approved.") % {"id": prescription_id}
    assert page.get_by_text(approved).is_visible()
    pharmacist.step("approved")


def test_an_operator_verifies_a_doctors_credential_in_the_admin(people):
    operator = people(language="zh-hans", who="operator")
    page = operator.page
    operator.log_in(DEMO_ADMIN_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    # The demo's new doctor waits for their title certificate to be checked.
    pending = f"/admin/hospital/credential/?status__exact=pending&q={NEW_DOCTOR_EMAIL}"
    operator.goto(pending)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    operator.step("pending-credential")
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "verify")
    page.locator("button[name=index]").click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").is_visible()
    operator.step("verified")
    operator.goto(pending)
    assert page.locator("#result_list tbody tr").count() == 0
    operator.goto(f"/admin/hospital/credential/?status__exact=verified&q={NEW_DOCTOR_EMAIL}")
    assert page.locator("#result_list tbody tr").count() >= 1
