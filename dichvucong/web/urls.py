from django.urls import include, path, re_path

from . import account_views, dossier_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("ngon-ngu/<str:language>/", views.language, name="language"),
    path("goi-y/", views.suggest, name="suggest"),
    path("tim-kiem/", views.search, name="search"),
    path("su-kien/<slug:slug>/", views.life_event, name="life_event"),
    re_path(r"^thu-tuc/(?P<code>\d\.\d{6})/$", views.procedure, name="procedure"),
    re_path(r"^thu-tuc/(?P<code>\d\.\d{6})/in/$", views.procedure_print, name="procedure_print"),
    # Online dossiers (dossier_views).
    re_path(r"^thu-tuc/(?P<code>\d\.\d{6})/nop-truc-tuyen/$", dossier_views.start, name="dossier_start"),
    path("ho-so-nhap/xa-phuong/", dossier_views.communes, name="draft_communes"),
    path("ho-so-nhap/<int:draft_id>/", dossier_views.draft_resume, name="draft_resume"),
    path("ho-so-nhap/<int:draft_id>/buoc-<int:step>/", dossier_views.draft_step, name="draft_step"),
    path("ho-so-nhap/<int:draft_id>/giay-to/", dossier_views.draft_documents, name="draft_documents"),
    path("ho-so-nhap/<int:draft_id>/xem-lai/", dossier_views.draft_review, name="draft_review"),
    path("ho-so-nhap/<int:draft_id>/xoa/", dossier_views.draft_discard, name="draft_discard"),
    path("ho-so-cua-toi/", dossier_views.my_dossiers, name="my_dossiers"),
    path("ho-so/<str:code>/", dossier_views.dossier, name="dossier"),
    path("ho-so/<str:code>/da-nop/", dossier_views.submitted, name="dossier_submitted"),
    path("ho-so/<str:code>/mau/<str:form>/", dossier_views.dossier_form, name="dossier_form"),
    path("ho-so/<str:code>/tep/<int:document_id>/", dossier_views.dossier_document, name="dossier_document"),
    path("ho-so/<str:code>/danh-gia/", dossier_views.rate, name="dossier_rate"),
    path("kho-giay-to/", dossier_views.document_store, name="document_store"),
    path("kho-giay-to/<int:document_id>/", dossier_views.stored_document, name="stored_document"),
    path(
        "kho-giay-to/<int:document_id>/xoa/",
        dossier_views.stored_document_delete,
        name="stored_document_delete",
    ),
    path("thong-bao/", dossier_views.notifications, name="notifications"),
    path("tra-cuu-ho-so/", dossier_views.lookup, name="dossier_lookup"),
    path("", include("dichvucong.web.payment_urls")),
    path("", include("dichvucong.web.feedback_urls")),
    path("", include("dichvucong.web.support_urls")),
    path("", include("dichvucong.web.stats_urls")),
    path("hoi-dap/", views.faqs, name="faqs"),
    path("hoi-dap/<str:code>/", views.faq, name="faq"),
    path("co-quan/", views.agencies, name="agencies"),
    path("co-quan/<str:code>/", views.agency, name="agency"),
    path("dang-nhap/", account_views.sign_in, name="sign_in"),
    path("dang-nhap/ma-xac-thuc/", account_views.sign_in_code, name="sign_in_code"),
    path("dang-nhap/vneid/", account_views.vneid_start, name="vneid_start"),
    path("tai-khoan/vneid/callback/", account_views.vneid_callback, name="vneid_callback"),
    path("dang-nhap/can-bo/", account_views.staff_sign_in, name="staff_sign_in"),
    path("dang-nhap/can-bo/xac-thuc/", account_views.staff_second_factor, name="staff_second_factor"),
    path("dang-xuat/", account_views.sign_out, name="sign_out"),
    path("dang-ky/", account_views.register, name="register"),
    path("dang-ky/hoan-tat/", account_views.register_complete, name="register_complete"),
    path("tai-khoan/", account_views.account, name="account"),
    path("tai-khoan/xa-phuong/", account_views.communes, name="communes"),
    path("tai-khoan/phien/<int:session_id>/thu-hoi/", account_views.revoke_session, name="revoke_session"),
    path(
        "tai-khoan/ket-noi/<str:client_id>/thu-hoi/", account_views.withdraw_consent, name="withdraw_consent"
    ),
]
