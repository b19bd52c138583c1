from django.core.management.base import BaseCommand, CommandError

from audit.verification import access_log_verify


class Command(BaseCommand):
    help = (
        "Verify the access log's HMAC chain; exits non-zero naming the first entry that was "
        "changed, removed or inserted."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = access_log_verify()
        if report.first_break is not None:
            raise CommandError(f"Access log chain broken at {report.first_break}")
        self.stdout.write(
            self.style.SUCCESS(f"Access log chain intact: {report.checked} entries verified.")
        )
