from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from dichvucong.api.urls import api
from dichvucong.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path(settings.LEGACY_SYNC_PATH, include("dichvucong.api.legacy_sync")),
    path(settings.PAYGOV_PATH, include("dichvucong.api.paygov")),
    path("thanh-toan/tb/", include("dichvucong.api.payment_callbacks")),
    path(settings.OPEN311_PATH, include("dichvucong.api.open311")),
    path("oidc/", include("dichvucong.accounts.oidc_views")),
    path("quan-tri/", admin.site.urls),
    path("", include("dichvucong.web.urls")),
]


handler404 = "dichvucong.web.views.not_found"
handler500 = "dichvucong.web.views.server_error"
