"""The product as `make run` serves it (DEBUG on, SQLite, the filesystem broker, the demo
mailbox), with the simulated courier's day compressed into seconds and the shipment poll run
every few seconds, so a browser sees a parcel reach the patient while it waits."""

from datetime import timedelta

from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE

PHARMACY_SIMULATED_TRACKING = {
    method: (
        ("picked_up", timedelta(seconds=1)),
        ("in_transit", timedelta(seconds=2)),
        ("out_for_delivery", timedelta(seconds=3)),
        ("delivered", timedelta(seconds=4)),
    )
    for method in ("express", "instant")
}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "pharmacy-poll-shipments": {
        "task": "pharmacy.tasks.poll_shipments",
        "schedule": timedelta(seconds=2),
    },
}
