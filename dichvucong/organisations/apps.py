from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "dichvucong.organisations"
    label = "organisations"
    verbose_name = _("Cơ quan và đơn vị hành chính")
