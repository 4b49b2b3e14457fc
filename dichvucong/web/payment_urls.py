"""The payment pages (included in web/urls.py, under the `web` namespace)."""

from django.urls import path

from dichvucong.web import payment_views

urlpatterns = [
    path("thanh-toan/", payment_views.home, name="payments"),
    path("thanh-toan/tra-cuu/", payment_views.lookup, name="payment_lookup"),
    path("thanh-toan/khoan/<str:token>/", payment_views.bill, name="payment_bill"),
    path("thanh-toan/lenh/<str:reference>/", payment_views.order, name="payment_order"),
    path(
        "thanh-toan/lenh/<str:reference>/bien-lai.pdf", payment_views.receipt_pdf, name="payment_receipt_pdf"
    ),
    path("thanh-toan/lich-su/", payment_views.history, name="payment_history"),
    path("bien-lai/", payment_views.verify_receipt, name="receipt_verify"),
    path("ho-so/<str:code>/nop-phi/", payment_views.dossier_fee, name="dossier_pay"),
]
