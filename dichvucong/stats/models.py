"""Monthly roll-ups of the portal's public figures (số liệu thống kê), kept up to date as events arrive.

A source row (a dossier, a rating, a payment order, a feedback, an account) *contributes* to some figures: a
dossier received in November 2026 by a commune of Hà Nội adds 1 to `received` of that month for the commune,
Hà Nội and the country. What each row contributes now is stored (`Contribution`), so that when the row changes
the roll-up applies the new contribution minus the old one: the figures always equal a recount of the rows,
and no page view scans the dossiers. Rows that changed wait in `Pending` (written by the app that changed them,
through `dichvucong.stats.changes`), and the roll-up task folds them in batches.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NATIONAL = "N", _("Toàn quốc")
    PROVINCE = "P", _("Tỉnh, thành phố")
    MINISTRY = "M", _("Bộ, ngành")
    AGENCY = "A", _("Cơ quan")


class Figure(models.Model):
    """The value of one metric for one scope in one month (local time, Asia/Ho_Chi_Minh).

    `scope` is `VN` (the country), `P:<province code>`, `M:<ministry code>` or `A:<agency id>`."""

    level = models.CharField(max_length=1, choices=Level.choices)
    scope = models.CharField(max_length=48)
    month = models.DateField()  # the first day of the month
    metric = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "month", "metric"], name="stats_figure_scope_month_metric"
            )
        ]
        # The rankings read every province (or ministry) of a period.
        indexes = [models.Index(fields=["level", "month"], name="stats_figure_level_month_idx")]
        verbose_name = _("số liệu thống kê")
        verbose_name_plural = _("số liệu thống kê")

    def __str__(self) -> str:
        return f"{self.scope} {self.month:%Y-%m} {self.metric}={self.value}"


class Contribution(models.Model):
    """What one source row adds to the figures now: `values` maps `YYYY-MM|metric` to an amount, counted for
    `agency_id` and every scope above it (for the country only, when there is no agency)."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    agency_id = models.BigIntegerField(null=True, blank=True)
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="stats_contribution_object")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class Pending(models.Model):
    """A source row that changed since the roll-up last read it."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="stats_pending_object")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class Visit(models.Model):
    """A visit to the portal's site: the first page a browser asks for in a day (one row, appended; the
    roll-up counts and removes them)."""

    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.at}"
