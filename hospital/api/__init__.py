"""The hospital API under /api/v1/: urls.py gathers each room's api_urlpatterns."""
