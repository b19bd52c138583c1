from django.core.management.base import BaseCommand

from config.celery import ensure_broker_folders


class Command(BaseCommand):
    help = "Create the folders the embedded (filesystem) Celery broker needs."

    def handle(self, *args: object, **options: object) -> None:
        ensure_broker_folders()
