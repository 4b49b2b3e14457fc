"""The feedback pages (included in web/urls.py, under the `web` namespace)."""

from django.urls import path

from dichvucong.web import feedback_views

urlpatterns = [
    path("phan-anh-kien-nghi/", feedback_views.published, name="feedback_list"),
    path("phan-anh-kien-nghi/gui/", feedback_views.new, name="feedback_new"),
    path("phan-anh-kien-nghi/goi-y-co-quan/", feedback_views.agencies, name="feedback_agencies"),
    path("phan-anh-kien-nghi/goi-y-thu-tuc/", feedback_views.procedures, name="feedback_procedures"),
    path("phan-anh-kien-nghi/tra-cuu/", feedback_views.lookup, name="feedback_lookup"),
    path("phan-anh-kien-nghi/<str:code>/", feedback_views.detail, name="feedback_detail"),
    path("phan-anh-kien-nghi/<str:code>/danh-gia/", feedback_views.rate, name="feedback_rate"),
    path("tai-khoan/phan-anh/", feedback_views.mine, name="my_feedback"),
]
