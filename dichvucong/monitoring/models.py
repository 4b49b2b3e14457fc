"""What the portal knows of its integrations' health: one row per exchange with an agency's system
(`IntegrationCall`), and the alerts opened when an integration turns red (`IntegrationAlert`).

An integration is named by its kind and id rather than by a foreign key, because two models are integrations:
agencies' one-stop systems (`dossiers.AgencyIntegration`) and their bill systems (`payments.Biller`). Calls are
written on the hot path of deliveries and of the status sync, so the table has no foreign key to check and one
index, on the only read path: the recent calls of the integrations (by time)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dichvucong.core import calls


class Kind(models.TextChoices):
    # The values the watched apps report with (`core.calls`).
    ONESTOP = calls.ONESTOP, _("Hệ thống một cửa")
    BILLER = calls.BILLER, _("Hệ thống thu của cơ quan")


class Direction(models.TextChoices):
    OUT = calls.OUT, _("Cổng gửi đi")
    IN = calls.IN, _("Cơ quan gửi đến")


# Inbound operations that carry dossiers' statuses or results (the agency API's, and the national sync
# interface's `service` names): the ones whose silence the quiet rule watches. Look-ups (TraCuuHoSo, LayThuTuc,
# LayDanhSachTTHC) are exchanges too, but a system that only looks things up has not kept its sync going.
STATUS_OPERATIONS = frozenset({"status-events", "results", "DongBoHoSoMC", "CapNhatTienDoHoSoMC"})


class IntegrationCall(models.Model):
    """One exchange: a dossier or a paid-bill webhook sent, a status batch received, a test console send."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    integration_id = models.BigIntegerField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    operation = models.CharField(max_length=40)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    is_test = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The detail page (one integration's recent calls) and the board's window (all calls since t).
            models.Index(fields=["kind", "integration_id", "-at"], name="monitoring_call_recent_idx"),
            models.Index(fields=["at"], name="monitoring_call_at_idx"),
        ]
        verbose_name = _("trao đổi với hệ thống kết nối")
        verbose_name_plural = _("trao đổi với hệ thống kết nối")

    def __str__(self) -> str:
        return f"{self.kind}:{self.integration_id} {self.direction} {self.operation} {'ok' if self.ok else 'lỗi'}"


class IntegrationAlert(models.Model):
    """An integration turned red: opened once (at most one open alert per integration, enforced by the
    database), closed when it is green again; operators may acknowledge it meanwhile."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    integration_id = models.BigIntegerField()
    integration_name = models.CharField(max_length=200)
    reasons = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "integration_id"],
                condition=Q(closed_at__isnull=True),
                name="monitoring_one_open_alert",
            )
        ]
        indexes = [models.Index(fields=["kind", "integration_id", "-opened_at"], name="monitoring_alert_idx")]
        verbose_name = _("cảnh báo kết nối")
        verbose_name_plural = _("cảnh báo kết nối")

    def __str__(self) -> str:
        return f"{self.integration_name} ({self.opened_at:%d/%m/%Y %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
