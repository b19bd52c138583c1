from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hospital.housecalls.models import ServiceArea, ServiceCity
from hospital.housecalls.services import house_call_request
from payments.services import payment_sandbox_complete
from tests.accounts.factories import PatientProfileFactory


def service_area(
    department,
    *,
    city=("北京", "Beijing"),
    district=("朝阳区", "Chaoyang"),
    fee=Decimal("200.00"),
    opens_at=dt.time(0, 0),
    closes_at=dt.time(0, 0),
) -> ServiceArea:
    """A district served around the clock (unless told), with `department` offered in its city."""
    served_city, _created = ServiceCity.objects.get_or_create(
        name_zh=city[0], defaults={"name_en": city[1]}
    )
    served_city.departments.add(department)
    area, _created = ServiceArea.objects.get_or_create(
        city=served_city,
        district_zh=district[0],
        defaults={
            "district_en": district[1],
            "opens_at": opens_at,
            "closes_at": closes_at,
            "fee": fee,
        },
    )
    return area


def requested_house_call(department, *, patient=None, paid=True, **request):
    """A house call requested at the served Chaoyang district, paid in the sandbox."""
    service_area(department)
    patient = patient or PatientProfileFactory()
    house_call = house_call_request(
        account=patient.account,
        patient_id=patient.pk,
        department_id=department.pk,
        city=request.get("city", "北京市"),
        district=request.get("district", "朝阳区"),
        address=request.get("address", "建国路88号2号楼502"),
        contact_phone=request.get("contact_phone", "13800138000"),
        symptoms=request.get("symptoms", "发热三天，行动不便"),
    )
    if paid and house_call.payment is not None:
        payment_sandbox_complete(payment=house_call.payment, succeed=True)
        house_call.refresh_from_db()
    return house_call
