"""The support pages: help centre, questions asked on the site (included in web/urls.py, under the `web` namespace)."""

from django.urls import path

from dichvucong.web import support_views

urlpatterns = [
    path("ho-tro/", support_views.support, name="support"),
    path("ho-tro/gui-cau-hoi/", support_views.ticket_new, name="ticket_new"),
    path("ho-tro/yeu-cau/<str:code>/", support_views.ticket_detail, name="ticket_detail"),
    path("tai-khoan/yeu-cau-ho-tro/", support_views.my_tickets, name="my_tickets"),
]
