"""The demo patient is on a 28-day supply delivered 26 days ago (tests/e2e/prepare.py). They
move the day's dose to the coming minute, the stack's beat and worker send the dose reminder
to their inbox, they open it, mark the dose taken, and ask the doctor to renew the supply that
is running out; the doctor finds the request in their renewal queue. In Chinese and English,
on a desktop and on a phone; each variant has a schedule of its own.

Dose reminders are critical (hospital/prescriptions/schedule/reminders.py): the patient keeps
these times themselves, so quiet hours (22:00-08:00 by default) never hold them back, and the
journey runs the same at any hour.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from accounts.demo import DEMO_DOCTOR_EMAIL, DEMO_PASSWORD, DEMO_PATIENT_EMAIL, DEMO_TOTP_SECRET
from tests.e2e.conftest import LANGUAGES, WIDTHS, reload_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PATIENT_ZONE = ZoneInfo("Asia/Shanghai")
# The notifications scan runs every minute on the stack's beat; a guard against a reminder
# that never comes on a loaded two-core machine, counted from the dose's time.
REMINDED_WITHIN_SECONDS = 150


def shown(page) -> str:
    """The page's text, its messages included."""
    return page.locator("body").inner_text()


def _coming_minute(taken: set[str]) -> dt.datetime:
    """The next whole minute in the patient's zone that no other schedule of theirs uses, far
    enough ahead for the new time to be saved before it comes (the change moves only doses
    still to come)."""
    now = dt.datetime.now(PATIENT_ZONE)
    due = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1 if now.second < 40 else 2)
    while f"{due:%H:%M}" in taken:
        due += dt.timedelta(minutes=1)
    return due


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_patient_is_reminded_marks_the_dose_taken_and_asks_for_a_renewal(
    people, stack, language, width
):
    schedule_id = stack.world["schedules"][f"{language}-{width}"]
    patient = people(language=language, width=width, who="patient")
    page, t = patient.page, patient.t
    patient.log_in(DEMO_PATIENT_EMAIL, DEMO_PASSWORD)

    patient.goto("/medications/")
    schedule = page.locator(f"#schedule-{schedule_id}")
    refill = schedule.locator("[data-testid=refill]")
    assert t("Your supply is running out.") in refill.inner_text()
    renew = refill.locator("[data-testid=request-renewal]")
    assert renew.is_visible()
    patient.step("running-out")

    # Another schedule's reminder at the same minute would read the same in the inbox.
    others = page.locator(f"[data-testid=schedule]:not(#schedule-{schedule_id}) input[name=times]")
    due = _coming_minute({value.input_value() for value in others.all()})
    due_time = f"{due:%H:%M}"
    schedule.get_by_text(t("Change the times")).click()
    schedule.locator("input[name=times]").fill(due_time)
    patient.step("new-time")
    schedule.get_by_role("button", name=t("Save times")).click()
    page.wait_for_load_state()
    assert t("The times are changed for the doses still to come.") in shown(page)
    if due.date() != dt.datetime.now(PATIENT_ZONE).date():
        patient.goto(f"/medications/?date={due.date().isoformat()}")
    dose = schedule.locator("[data-testid=dose]").filter(
        has=page.locator("strong", has_text=due_time)
    )
    assert dose.count() == 1
    dose_id = dose.get_attribute("id")
    assert dose.locator("[data-testid=dose-status]").inner_text() == t("Scheduled")
    patient.step("dose-moved")

    # The reminder comes from the stack's beat and worker, at the dose's time.
    patient.goto("/me/notifications/")
    notice = page.locator("ul.inbox > li").filter(has=page.locator("p", has_text=due_time))
    reload_until(
        patient,
        lambda: notice.count() == 1,
        seconds=(due - dt.datetime.now(PATIENT_ZONE)).total_seconds() + REMINDED_WITHIN_SECONDS,
        what=f"the reminder of the {due_time} dose",
    )
    subject = re.compile(".+".join(map(re.escape, t("Time to take %(drug)s").split("%(drug)s"))))
    assert subject.search(notice.locator("strong").inner_text())
    patient.step("reminded")

    notice.get_by_role("button", name=t("Open")).click()
    page.wait_for_url(re.compile(r".*/medications/.*"))
    assert page.url.endswith(f"#{dose_id}")
    dose = page.locator(f"#{dose_id}")
    dose.locator("[data-testid=dose-taken]").click()
    page.wait_for_load_state()
    assert t("Marked as taken.") in shown(page)
    dose = page.locator(f"#{dose_id}")
    assert dose.locator("[data-testid=dose-status]").inner_text() == t("Taken")
    assert dose.locator("[data-testid=dose-taken]").count() == 0
    patient.step("taken")

    # The supply runs out in two days: the patient asks for a renewal in one tap.
    patient.goto("/medications/")
    renew = page.locator(f"#schedule-{schedule_id} [data-testid=request-renewal]")
    action = renew.locator("xpath=ancestor::form").get_attribute("action")
    prescription_id = re.search(r"/prescriptions/(\d+)/renewal/", action).group(1)
    renew.click()
    page.wait_for_load_state()
    assert t("Your doctor has been asked to renew the prescription.") in shown(page)
    patient.step("renewal-asked")
    patient.goto("/medications/")
    refill = page.locator(f"#schedule-{schedule_id} [data-testid=refill]")
    assert t("Renewal requested; waiting for the doctor.") in refill.inner_text()
    assert refill.locator("[data-testid=request-renewal]").count() == 0
    patient.step("renewal-waiting")

    doctor = people(language=language, who="doctor")
    doctor.log_in(DEMO_DOCTOR_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    doctor.goto("/doctor/renewals/")
    request = doctor.page.locator("[data-testid=renewal]").filter(
        has=doctor.page.locator(f"a[href$='/{prescription_id}/']")
    )
    assert request.count() == 1
    assert doctor.t("Waiting for the doctor") in request.inner_text()
    assert request.locator("[data-testid=accept]").is_visible()
    doctor.step("renewal-in-queue")
