from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.verification import Checkpoint, access_log_verify


def _checkpoint(text: str) -> Checkpoint:
    try:
        return Checkpoint.parse(text)
    except ValueError as error:
        raise ArgumentTypeError(str(error)) from error


class Command(BaseCommand):
    help = (
        "Verify the access log's HMAC chain; exits non-zero naming the first entry that was "
        "changed, removed or inserted. With --checkpoint (from the hourly 'access log "
        "checkpoint' log lines), also that the newest entries were not removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            type=_checkpoint,
            metavar="SEQUENCE:HMAC",
            help="A chain head logged earlier; may be given several times.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        report = access_log_verify(checkpoints=options["checkpoint"])
        if report.first_break is not None:
            raise CommandError(f"Access log chain broken at {report.first_break}")
        checked = f"{report.checked} entries verified"
        if options["checkpoint"]:
            checked += f", {len(options['checkpoint'])} checkpoint(s) present"
        self.stdout.write(self.style.SUCCESS(f"Access log chain intact: {checked}."))
