"""A house call from request to the visit in the record: a patient in Beijing asks for a
cardiologist at home and pays in the sandbox; an operator records the triage call and
dispatches it with an ETA; the demo doctor, after finishing the demo's visit already under way,
accepts it, sets out, arrives and completes it with notes and a diagnosis; the patient sees it
completed and the visit in their health record. In Chinese and English, on a desktop and on a
phone: each variant requests, and the doctor completes, a house call of its own."""

from __future__ import annotations

import re

import pytest

from accounts.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_DOCTOR_EMAIL,
    DEMO_PASSWORD,
    DEMO_PATIENT2_EMAIL,
    DEMO_TOTP_SECRET,
)
from tests.e2e.conftest import LANGUAGES, WIDTHS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SYMPTOMS = "心慌气短三天，夜间加重，腿有些肿，行动不便。"
VISIT_NOTES = "上门查体：血压150/95，双下肢轻度水肿，心率88次/分，律齐。"


def _card(doctor, house_call_id: str):
    cards = doctor.page.locator("[data-testid=doctor-house-call]")
    return cards.filter(has_text=f"#{house_call_id} ")


def _finish_visit(doctor, house_call_id: str) -> None:
    """Takes one of the doctor's house calls from where it is to completed."""
    page, t = doctor.page, doctor.t
    card = _card(doctor, house_call_id)
    for testid in ("on-the-way", "arrived"):
        button = card.locator(f"[data-testid={testid}]")
        if button.count():
            button.click()
            page.wait_for_url("**/doctor/house-calls/")
    complete = card.locator("form[data-testid=complete]")
    complete.locator("textarea[name=notes]").fill(VISIT_NOTES)
    complete.locator("textarea[name=advice]").fill("低盐饮食，按时服药，一周后门诊复查心脏超声。")
    complete.locator("input[name=diagnosis_codes]").fill("I10")
    complete.get_by_role("button", name=t("Complete the visit")).click()
    page.wait_for_url("**/doctor/house-calls/")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_house_call_is_requested_triaged_dispatched_and_completed(people, stack, language, width):
    patient = people(language=language, width=width, who="patient")
    page, t = patient.page, patient.t
    patient.log_in(DEMO_PATIENT2_EMAIL, DEMO_PASSWORD)
    patient.goto("/house-calls/")
    request = page.locator("form[data-testid=house-call-request]")
    request.locator("select[name=patient]").select_option(index=1)
    # The option's label is the department's name in the page's language; its value is the same.
    request.locator("select[name=department]").select_option(
        value=str(stack.world["departments"]["cardiology"])
    )
    request.locator("input[name=city]").fill("北京")
    request.locator("input[name=district]").fill("朝阳区")
    request.locator("[name=address]").fill("望京街道 阜通东大街 6 号院 3 号楼 1201")
    request.locator("input[name=contact_phone]").fill("13900139001")
    request.locator("textarea[name=symptoms]").fill(SYMPTOMS)
    patient.step("request")
    request.get_by_role("button", name=t("Request and pay")).click()
    page.wait_for_url("**/payments/sandbox/**")
    page.locator("button[name=choice][value=pay]").click()
    page.wait_for_url(re.compile(r".*/house-calls/\d+/$"))
    house_call_url = page.url
    house_call_id = re.search(r"/house-calls/(\d+)/", house_call_url).group(1)
    assert SYMPTOMS in page.locator("main").inner_text()
    patient.step("paid")

    operator = people(language=language, who="operator")
    desk = operator.page
    operator.log_in(DEMO_ADMIN_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    operator.goto("/house-calls/triage/")
    card = desk.locator("[data-testid=triage-house-call]").filter(has_text=f"#{house_call_id} ")
    card.locator("select[name=outcome]").select_option("dispatch")
    card.locator("textarea[name=note]").fill("电话分诊：无胸痛，无意识改变，安排心内科医生上门。")
    card.locator("form[data-testid=triage] button").click()
    desk.wait_for_url("**/house-calls/triage/")
    operator.step("triaged")

    doctor = people(language=language, who="doctor")
    visits = doctor.page
    doctor.log_in(DEMO_DOCTOR_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    doctor.goto("/doctor/house-calls/")
    cards = visits.locator("[data-testid=doctor-house-call]")
    # The demo's visit already under way is finished first: one visit at a time.
    under_way = cards.filter(
        has=visits.locator(
            "[data-testid=on-the-way], [data-testid=arrived], [data-testid=complete]"
        )
    )
    if under_way.count():
        demo_visit = re.search(r"#(\d+)", under_way.first.locator("h2").inner_text()).group(1)
        _finish_visit(doctor, demo_visit)
    # Only now is a cardiologist free: the operator dispatches the request with its ETA.
    operator.goto("/house-calls/triage/")
    card = desk.locator("[data-testid=triage-house-call]").filter(has_text=f"#{house_call_id} ")
    card.locator("input[name=eta_minutes]").fill("40")
    card.locator("form[data-testid=dispatch] button").click()
    desk.wait_for_url("**/house-calls/triage/")
    operator.step("dispatched")
    card = desk.locator("[data-testid=triage-house-call]").filter(has_text=f"#{house_call_id} ")
    assert t("Offered to doctors") in card.inner_text()
    doctor.goto("/doctor/house-calls/")
    _card(doctor, house_call_id).locator("[data-testid=accept]").click()
    visits.wait_for_url("**/doctor/house-calls/")
    doctor.step("accepted")
    _finish_visit(doctor, house_call_id)
    ours = _card(doctor, house_call_id)
    assert ours.locator("[data-testid=status]").inner_text() == t("Completed")
    assert VISIT_NOTES in ours.inner_text()
    doctor.step("completed")

    page.goto(house_call_url)
    assert t("Completed") in page.locator("main").inner_text()
    patient.step("completed-for-the-patient")
    page.locator("main").get_by_role("link", name=t("Health record")).click()
    page.wait_for_load_state()
    assert VISIT_NOTES[:10] in page.locator("main").inner_text()
    patient.step("visit-in-record")
