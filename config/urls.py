from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from core import views as core_views

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("insurance.api.urls")),
    path("", include("hospital.api.urls")),
    path("", include("pharmacy.api.urls")),
]

# The operators' back office, named as they call it, in both languages.
admin.site.site_header = admin.site.site_title = admin.site.index_title = _("Xinglin operations")

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from ?script= rather than inline, which
    # our content security policy (script-src 'self') would block.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("_allauth/", include("accounts.headless_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.allauth_urls")),
    path("", include("core.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("payments.urls")),
    path("", include("insurance.urls")),
    path("", include("hospital.urls")),
    path("", include("pharmacy.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
