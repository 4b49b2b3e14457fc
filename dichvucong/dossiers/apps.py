from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dichvucong.dossiers"
    label = "dossiers"
    verbose_name = _("Hồ sơ")

    def ready(self) -> None:
        # Register the outbox handlers (delivery to one-stop systems; e-mail and SMS copies of notices) in every
        # process that delivers: web (inline sweeps in tests), Celery workers, management commands.
        from dichvucong.dossiers import delivery, notifications  # noqa: F401
