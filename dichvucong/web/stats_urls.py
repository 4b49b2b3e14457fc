"""The public statistics pages (included in web/urls.py, under the `web` namespace)."""

from django.urls import path, re_path

from . import stats_views

urlpatterns = [
    path("thong-ke/", stats_views.national, name="stats"),
    path("thong-ke/xep-hang/", stats_views.ranking, name="stats_ranking"),
    path("thong-ke/chi-so/", stats_views.method, name="stats_method"),
    re_path(r"^thong-ke/du-lieu/(?P<table>[a-z-]+)\.(?P<fmt>csv|json)$", stats_views.data, name="stats_data"),
    path("thong-ke/<slug:slug>/", stats_views.unit, name="stats_unit"),
]
