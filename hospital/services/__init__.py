"""Writes and state transitions of hospital: one function per domain operation."""

from hospital.services.appointments import (
    appointment_begin_consultation,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_fee_quote,
    appointment_pay,
    appointment_payment_succeeded,
    appointment_reschedule,
    appointments_expire_unpaid,
    appointments_mark_no_shows,
)
from hospital.services.doctors import (
    credential_reject,
    credential_submit,
    credential_verify,
    credentials_expire_due,
    credentials_warn_expiring,
    doctor_check_may_practise,
    doctor_may_practise,
    doctor_practice_problems,
    doctor_reinstate,
    doctor_suspend,
)
from hospital.services.onboarding import doctor_apply, doctor_credential_submit
from hospital.services.schedules import (
    availability_add,
    availability_remove,
    exception_add,
    slots_generate,
)

__all__ = [
    "appointment_begin_consultation",
    "appointment_book",
    "appointment_cancel",
    "appointment_complete",
    "appointment_fee_quote",
    "appointment_pay",
    "appointment_payment_succeeded",
    "appointment_reschedule",
    "appointments_expire_unpaid",
    "appointments_mark_no_shows",
    "availability_add",
    "availability_remove",
    "credential_reject",
    "credential_submit",
    "credential_verify",
    "credentials_expire_due",
    "credentials_warn_expiring",
    "doctor_apply",
    "doctor_check_may_practise",
    "doctor_credential_submit",
    "doctor_may_practise",
    "doctor_practice_problems",
    "doctor_reinstate",
    "doctor_suspend",
    "exception_add",
    "slots_generate",
]
