from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dichvucong.accounts"
    verbose_name = _("Tài khoản và đăng nhập một lần")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-in/sign-out receivers)
