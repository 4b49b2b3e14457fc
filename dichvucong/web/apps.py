from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dichvucong.web"
    label = "web"
