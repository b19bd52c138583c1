from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HospitalConfig(AppConfig):
    name = "hospital"
    verbose_name = _("Hospital")

    def ready(self) -> None:
        from accounts.roles import operator_permissions_register

        operator_permissions_register(self)

        from payments.signals import payment_succeeded

        payment_succeeded.connect(_on_payment_succeeded, dispatch_uid="hospital.payment_succeeded")

        from hospital.prescriptions.services.review import review_record_access_grant
        from hospital.records.access import record_access_grant_register

        record_access_grant_register("pharmacist_review", review_record_access_grant)

        from hospital.consultations.services.mdt import mdt_record_access_grant

        record_access_grant_register("mdt_specialist", mdt_record_access_grant)

        from hospital.housecalls.services import house_call_record_access_grant

        record_access_grant_register("house_call_doctor", house_call_record_access_grant)


def _on_payment_succeeded(
    sender: object, payment: object, actor: object = None, **kwargs: object
) -> None:
    from hospital.booking.services.appointments import appointment_payment_succeeded
    from hospital.booking.services.expert_requests import expert_request_payment_succeeded
    from hospital.housecalls.services import house_call_payment_succeeded

    appointment_payment_succeeded(payment=payment, actor=actor)  # type: ignore[arg-type]
    expert_request_payment_succeeded(payment=payment, actor=actor)  # type: ignore[arg-type]
    house_call_payment_succeeded(payment=payment, actor=actor)  # type: ignore[arg-type]
