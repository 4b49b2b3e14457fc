from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "dichvucong.monitoring"
    label = "monitoring"
    verbose_name = _("Giám sát kết nối")

    def ready(self) -> None:
        # The watched apps report their calls to core (`core.calls.observe`) and never import this app.
        from dichvucong.core.calls import call_observed
        from dichvucong.monitoring.services import record_observed_call

        call_observed.connect(record_observed_call, dispatch_uid="monitoring.record_observed_call")
