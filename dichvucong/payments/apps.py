from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "dichvucong.payments"
    label = "payments"
    verbose_name = _("Thanh toán trực tuyến")

    def ready(self) -> None:
        # Register the outbox handler that tells agencies of paid bills, in every process that delivers.
        from dichvucong.payments import notify  # noqa: F401
