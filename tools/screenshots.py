"""Screenshots of the product for the README, taken from the running demo.

    make run                      # in one terminal: the demo at http://127.0.0.1:8000
    make screenshots              # in another: rewrites docs/screenshots/*.png

Chromium is Debian's (`apt-get install chromium fonts-wqy-microhei`), driven by Playwright; the
pages are the seeded demo's, in Chinese, 1000 px wide. `pngquant` (when installed) keeps each
file small. The objects to show (the draft prescription with its warnings, the delivered order,
a settlement) are looked up in the demo's own database, so the command uses the same settings
as `make run`: run it with DEBUG=true.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "Xinglin-demo-2026"  # noqa: S105 - the demo accounts' published password
VIEWPORT: ViewportSize = {"width": 1000, "height": 760}
PHONE: ViewportSize = {"width": 390, "height": 760}


def demo_objects() -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from hospital.consultations.models import Consultation
    from hospital.prescriptions.models import Prescription
    from insurance.models import Settlement
    from pharmacy.models import Order, Product

    doctor = "doctor@xinglin.test"
    patient = "patient@xinglin.test"
    draft = Prescription.objects.filter(
        status="draft", doctor__user__email=doctor, findings__isnull=False
    ).first()
    consultation = Consultation.objects.filter(doctor__user__email=doctor).order_by("-pk").first()
    order_paid = Order.objects.exclude(status__in=["delivered", "pending_payment"]).first()
    delivered = Order.objects.filter(status="delivered").first()
    rx_product = Product.objects.filter(drug__isnull=False, is_active=True).first()
    settlement = Settlement.objects.filter(patient__account__email=patient).first()
    found = {
        "a draft prescription with findings": draft,
        "a consultation of the demo doctor": consultation,
        "a paid order": order_paid,
        "a delivered order": delivered,
        "a prescription product": rx_product,
        "a settlement": settlement,
    }
    missing = [name for name, value in found.items() if value is None]
    if missing:
        sys.exit(f"The demo lacks {', '.join(missing)}: run `make seed` first.")
    keys = ("draft", "consultation", "order_paid", "delivered", "rx_product", "settlement")
    return {
        key: int(getattr(value, "pk", 0)) for key, value in zip(keys, found.values(), strict=True)
    }


def totp_code() -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from accounts.demo import DEMO_TOTP_SECRET

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))


def log_in(context, base: str, email: str, *, staff: bool) -> object:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    if staff:
        page.fill("input[name=code]", totp_code())
        page.locator("form[action$='/2fa/authenticate/'] button[type=submit]").first.click()
    page.wait_for_load_state()
    return page


def shoot(page, base: str, path: str, name: str, *, show: str = "") -> None:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    if show:
        page.locator(show).first.scroll_into_view_if_needed()
    target = OUT / f"{name}.png"
    page.screenshot(path=str(target))
    pngquant = shutil.which("pngquant")
    if pngquant:
        arguments = ["--force", "--skip-if-larger", "--quality=60-85", "--output", str(target)]
        subprocess.run([pngquant, *arguments, str(target)], check=False)  # noqa: S603
    print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB  {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    ids = demo_objects()
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )

        def person(email: str, *, staff: bool = False, viewport: ViewportSize = VIEWPORT):
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            context.set_extra_http_headers({"Accept-Language": "zh-hans"})
            return log_in(context, base, email, staff=staff)

        patient = person("patient@xinglin.test")
        shoot(patient, base, "/doctors/", "doctor-search")
        shoot(patient, base, f"/shop/products/{ids['rx_product']}/", "product-rx-notice")
        shoot(patient, base, f"/shop/orders/{ids['order_paid']}/", "checkout-insurance-split")
        shoot(patient, base, f"/shop/orders/{ids['delivered']}/", "order-tracking")
        shoot(patient, base, "/medications/", "medication-schedule")
        shoot(patient, base, f"/insurance/settlements/{ids['settlement']}/", "eob", show=".eob")

        phone = person("patient@xinglin.test", viewport=PHONE)
        shoot(phone, base, "/shop/", "shop-phone")

        doctor = person("doctor@xinglin.test", staff=True)
        shoot(doctor, base, f"/consultations/{ids['consultation']}/", "consultation")
        shoot(
            doctor, base, f"/prescriptions/{ids['draft']}/", "prescribing-warning", show=".findings"
        )
        pharmacist = person("pharmacist@xinglin.test", staff=True)
        shoot(pharmacist, base, "/pharmacist/review/", "review-queue")
        browser.close()


if __name__ == "__main__":
    main()
