"""Prints the demo logins, so whoever starts the demo can sign in at once."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from accounts.roles import Role
from core.links import absolute_url

# Where each role's work starts once signed in (URL names; the pages belong to the apps above
# accounts, which is why they are named here and not imported).
START_PAGES = {
    Role.PATIENT: "home",
    Role.DOCTOR: "hospital:doctor-consultations",
    Role.PHARMACIST: "hospital:review-queue",
    Role.CLAIMS_OFFICER: "insurance:review-queue",
    Role.OPERATOR: "admin:index",
}


class Command(BaseCommand):
    help = "Print the demo accounts: email, role, password and how to pass two-factor sign-in."

    def handle(self, *args: object, **options: object) -> None:
        rows = [("Email", "Role", "Password", "Two-factor", "Starts at")]
        for demo in DEMO_ACCOUNTS:
            role = "superuser + operator" if demo.is_superuser else str(demo.role)
            mfa = f"TOTP secret {DEMO_TOTP_SECRET}" if demo.needs_mfa else "-"
            start = START_PAGES.get(demo.role)
            page = absolute_url(reverse(start)) if start else "-"
            rows.append((demo.email, role, DEMO_PASSWORD, mfa, page))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (demo data only):"))
        for index, row in enumerate(rows):
            self.stdout.write(
                "  "
                + "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
        self.stdout.write(
            "Staff accounts ask for a TOTP code: add the secret to an authenticator app, or print "
            "the current code with `DEBUG=true .venv/bin/python manage.py demo_totp`."
        )
        self.stdout.write(self.style.MIGRATE_HEADING("Mail:"), ending=" ")
        if settings.EMAIL_BACKEND == "core.mail.DemoMailboxBackend":
            self.stdout.write(
                "nothing leaves this machine. Every message (sign-up confirmation, password reset, "
                f"reminders) is printed on this console, kept in {settings.DEMO_MAILBOX_DIR} and "
                f"shown at {absolute_url(reverse('demo-mailbox'))}"
            )
        else:
            self.stdout.write(f"sent through {settings.EMAIL_BACKEND} (EMAIL_URL).")
