from django.conf import settings
from django.http import HttpRequest


def site_licences(request: HttpRequest) -> dict[str, object]:
    """The licence numbers and contacts the footer of every page shows (config/settings.py)."""
    return {
        "site_licences": {
            "internet_hospital": settings.LICENCE_INTERNET_HOSPITAL,
            "drug_online_sales": settings.LICENCE_DRUG_ONLINE_SALES,
            "drug_information": settings.LICENCE_DRUG_INFORMATION,
            "icp_record": settings.ICP_RECORD_NUMBER,
            "icp_record_url": settings.ICP_RECORD_URL,
            "service_phone": settings.CUSTOMER_SERVICE_PHONE,
            "service_email": settings.CUSTOMER_SERVICE_EMAIL,
        }
    }
