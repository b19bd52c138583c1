"""The demo patient buys the medicine a pharmacist approved plus an OTC product, sees what
insurance, their personal account and they themselves pay, pays in the sandbox; the
pharmacist dispenses and the parcel's tracking reaches delivered (the worker and beat poll the
simulated courier). The patient then claims an outside receipt from their commercial plan, the
claims officer decides it from the queue, and the patient reads the explanation of benefits.
In Chinese and English, on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import struct
import zlib
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.demo import (
    DEMO_CLAIMS_OFFICER_EMAIL,
    DEMO_PASSWORD,
    DEMO_PATIENT_EMAIL,
    DEMO_PHARMACIST_EMAIL,
    DEMO_TOTP_SECRET,
)
from tests.e2e.conftest import LANGUAGES, WIDTHS, reload_until

# One stack serves all journeys: under xdist they run on one worker (--dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# A guard against a delivery that never comes, not a speed figure: the simulated courier's
# steps run on the stack's worker, which shares two cores with the rest of the suite.
DELIVERED_WITHIN_SECONDS = 180
ADJUDICATED_WITHIN_SECONDS = 60


def yuan(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


def receipt_png() -> bytes:
    """A small real PNG (a grey square): the claim's scanned receipt."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x80" * 16 for _ in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_patient_buys_pays_receives_and_claims(people, stack, language, width):
    variant = f"{language}-{width}"
    prescription_id = stack.world["prescriptions"][variant]
    patient = people(language=language, width=width, who="patient")
    page, t = patient.page, patient.t
    patient.log_in(DEMO_PATIENT_EMAIL, DEMO_PASSWORD)

    # The approved prescription: the Rx notice confirmed, its medicine into the cart.
    patient.goto("/prescriptions/mine/")
    prescription = (
        page.locator("article, section, div.card")
        .filter(has=page.locator(f"form[action$='/cart/from-prescription/{prescription_id}/']"))
        .last
    )
    buy = prescription.locator("[data-testid=buy-prescription]")
    buy.locator("input[name=rx_notice_confirmed]").check()
    patient.step("prescription")
    buy.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # An OTC product besides, for themself.
    patient.goto("/shop/?q=" + ("维生素C" if language == "zh-hans" else "vitamin C"))
    page.locator("main a[href^='/shop/products/']").first.click()
    otc_name = page.locator("main h1").inner_text()
    patient.step("otc-product")
    page.get_by_role("button", name=t("Add to cart")).click()
    page.wait_for_load_state()

    patient.goto("/shop/cart/")
    lines = page.locator("[data-testid=cart-line]")
    assert lines.filter(has_text=otc_name).count() == 1
    assert lines.count() >= 2
    patient.step("cart")
    page.get_by_role("link", name=t("Check out")).click()
    page.wait_for_url("**/shop/checkout/")
    page.fill("input[name=recipient_name]", "张伟")
    page.fill("input[name=recipient_phone]", "13800138000")
    page.fill("input[name=city]", "北京")
    page.fill("input[name=address]", "朝阳区建国路88号院3号楼1单元1201")
    patient.step("checkout")
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r".*/shop/orders/\d+/$"))
    order_url = page.url

    # Who pays what: insurance, the personal account, and the rest for the patient.
    split = page.locator("[data-testid=insurance-split]")
    total = yuan(split.locator("div").first.locator("dd").inner_text())
    insurer = yuan(split.locator("[data-testid=split-insurer] dd").inner_text())
    account = yuan(split.locator("[data-testid=split-account] dd").inner_text())
    due = yuan(split.locator("[data-testid=patient-due] dd").inner_text())
    assert insurer + account > 0
    assert insurer + account + due == total
    assert split.get_by_text(t("You pay")).is_visible()
    patient.step("order-split")

    page.locator("form[action$='/pay/'] button").click()
    if due > 0:
        page.wait_for_url("**/payments/sandbox/**")
        assert f"¥{due}" in page.locator("main").inner_text()
        patient.step("sandbox")
        page.locator("button[name=choice][value=pay]").click()
    page.goto(order_url)
    assert split.get_by_text(t("You paid")).is_visible()
    patient.step("paid")

    # The pharmacist checks the prescription order, scans each pack, and it ships.
    pharmacist = people(language=language, who="pharmacist")
    pharmacist.log_in(DEMO_PHARMACIST_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    pharmacist.goto("/pharmacist/dispensing/")
    order_number = page.locator("main h1").inner_text().split()[-1]
    card = pharmacist.page.locator("[data-testid=dispense-order]").filter(has_text=order_number)
    for codes in card.locator("[data-testid=traceability-codes]").all():
        packs = int(codes.get_attribute("rows") or "2") - 1
        codes.fill("\n".join(f"{secrets.randbelow(10**20):020d}" for _ in range(packs)))
    pharmacist.step("dispensing")
    card.locator("button[name=action][value=approve]").click()
    pharmacist.page.wait_for_load_state()
    pharmacist.step("dispensed")

    delivered = t("Delivered")
    reload_until(
        patient,
        lambda: page.locator("[data-testid=status]").inner_text() == delivered,
        seconds=DELIVERED_WITHIN_SECONDS,
        what="delivery",
    )
    events = page.locator("[data-testid=tracking-event]")
    assert events.count() >= 2
    assert events.filter(has_text=t("Delivered")).count() >= 1
    patient.step("delivered")

    # A claim for an outside receipt, large enough for the plan to ask its claims officer.
    receipt = f"RCPT-{variant}-{secrets.token_hex(3)}".upper()
    patient.goto("/insurance/claims/")
    policy = page.locator("select[name=policy] option").filter(
        has_text=re.compile("补充|supplementary")
    )
    page.select_option("select[name=policy]", policy.first.get_attribute("value"))
    page.fill("input[name=expense_reference]", receipt)
    page.fill("input[name=service_date]", (timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.select_option("select[name=category]", "visit")
    page.fill("input[name=description]", "线下门诊复查（血压、血糖）")
    page.fill("input[name=diagnosis]", "I10")
    page.fill("input[name=amount]", "1500.00")
    page.set_input_files(
        "input[name=document]",
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": receipt_png()}],
    )
    patient.step("claim-form")
    page.get_by_role("button", name=t("File the claim")).click()
    page.wait_for_url(re.compile(r".*/insurance/claims/\d+/$"))
    claim_url = page.url
    claim_id = re.search(r"/insurance/claims/(\d+)/", claim_url).group(1)
    patient.step("claim-filed")

    officer = people(language=language, who="claims-officer")
    officer.log_in(DEMO_CLAIMS_OFFICER_EMAIL, DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    officer.goto("/insurance/review/")
    queued = officer.page.locator("main tbody tr").filter(
        has=officer.page.locator("td:first-child", has_text=re.compile(rf"^\s*{claim_id}\s*$"))
    )
    # The plan's rules run in the worker first and hand the claim to a person.
    reload_until(
        officer,
        lambda: queued.count() == 1,
        seconds=ADJUDICATED_WITHIN_SECONDS,
        what="the claim in the review queue",
    )
    officer.step("queue")
    # The officer works the queue in order until this claim is decided.
    for _ in range(10):
        officer.goto("/insurance/review/")
        officer.page.get_by_role("button", name=officer.t("Take the next claim")).click()
        officer.page.wait_for_url(re.compile(r".*/insurance/review/\d+/$"))
        ours = officer.page.url.rstrip("/").endswith(f"/{claim_id}")
        for decision in officer.page.locator("input[type=radio][value=approve]").all():
            decision.check()
        if ours:
            officer.step("decision")
        officer.page.get_by_role("button", name=officer.t("Decide")).click()
        officer.page.wait_for_load_state()
        if ours:
            break
    else:
        pytest.fail("the claim never came up in the queue")
    officer.step("decided")

    page.goto(claim_url)
    assert patient.t_in_context("insurance claim", "Claim") in page.locator("main h1").inner_text()
    eob = page.locator("main").inner_text()
    assert receipt in eob
    assert t("Approved") in eob
    assert page.get_by_role("link", name=t("Explanation of benefits (PDF)")).is_visible()
    patient.step("explanation-of-benefits")
