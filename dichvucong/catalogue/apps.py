from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "dichvucong.catalogue"
    label = "catalogue"
    verbose_name = _("Thủ tục hành chính")
