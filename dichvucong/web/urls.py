from django.urls import path, re_path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("ngon-ngu/<str:language>/", views.language, name="language"),
    path("goi-y/", views.suggest, name="suggest"),
    path("tim-kiem/", views.search, name="search"),
    path("su-kien/<slug:slug>/", views.life_event, name="life_event"),
    re_path(r"^thu-tuc/(?P<code>\d\.\d{6})/$", views.procedure, name="procedure"),
    re_path(r"^thu-tuc/(?P<code>\d\.\d{6})/in/$", views.procedure_print, name="procedure_print"),
    path("hoi-dap/", views.faqs, name="faqs"),
    path("hoi-dap/<str:code>/", views.faq, name="faq"),
    path("co-quan/", views.agencies, name="agencies"),
    path("co-quan/<str:code>/", views.agency, name="agency"),
]
