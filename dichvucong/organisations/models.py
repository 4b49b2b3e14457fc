"""Administrative units (provinces, communes after 1 July 2025) and the register of agencies."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Tỉnh, thành phố")
    COMMUNE = "commune", _("Xã, phường, đặc khu")


class AdministrativeUnit(models.Model):
    """A province/centrally-run city or a commune/ward/special zone, as loaded from `vietnam-provinces`."""

    code = models.CharField(max_length=8, unique=True)  # province: 2 digits, commune: 5 digits
    name = models.CharField(max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True)
    level = models.CharField(max_length=16, choices=UnitLevel.choices)
    division_type = models.CharField(max_length=40)  # tỉnh, thành phố trung ương, xã, phường, đặc khu
    codename = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"]), models.Index(fields=["parent", "code"])]
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")

    def __str__(self) -> str:
        return self.name


class AgencyLevel(models.TextChoices):
    CENTRAL = "central", _("Trung ương")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")


class AgencyKind(models.TextChoices):
    MINISTRY = "ministry", _("Bộ")
    MINISTRY_LEVEL = "ministry_level", _("Cơ quan ngang bộ")
    GOVERNMENT_AGENCY = "government_agency", _("Cơ quan thuộc Chính phủ")
    STATE_ENTERPRISE = "state_enterprise", _("Doanh nghiệp nhà nước")
    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    SECTORAL_BRANCH = "sectoral_branch", _("Cơ quan ngành dọc tại địa phương")


class Agency(models.Model):
    """An agency that publishes procedures, handles dossiers or answers feedback.

    The working calendar (office hours and the cut-off after which a dossier counts from the next working day)
    is kept per agency because DOMAIN.md makes office hours configurable per agency; public holidays are national
    and come from the `holidays` package (see `dichvucong.core.calendar`).
    """

    code = models.CharField(max_length=40, unique=True)
    # Mã định danh per Circular 10/2016/TT-BTTTT (e.g. 000.17.22.H56); used later for dossier codes. Codes after
    # the 2025 reorganisation are not all published, so it is optional and set by operators.
    identification_code = models.CharField(max_length=40, blank=True, db_index=True)
    name = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    short_name = models.CharField(max_length=60, blank=True)
    name_folded = models.CharField(max_length=255, db_index=True)
    level = models.CharField(max_length=16, choices=AgencyLevel.choices)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    sector = models.CharField(
        max_length=40, blank=True
    )  # police, tax, social_security… for sectoral branches
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    administrative_unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    province = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # Working calendar.
    morning_start = models.TimeField(default=dt.time(7, 0))
    morning_end = models.TimeField(default=dt.time(11, 30))
    afternoon_start = models.TimeField(default=dt.time(13, 30))
    afternoon_end = models.TimeField(default=dt.time(17, 0))
    receipt_cutoff = models.TimeField(default=dt.time(15, 0))
    works_saturday_morning = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "kind"]),
            models.Index(fields=["province", "level"]),
            models.Index(fields=["parent"]),
        ]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """A day that departs from the usual calendar: an extra day off, or a weekend day worked in exchange for a
    bridge holiday (the government announces such swaps around Tết). Without an agency it applies to all."""

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_exceptions"
    )
    date = models.DateField()
    is_working_day = models.BooleanField()
    reason = models.CharField(max_length=255)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "date"], name="calendar_exception_agency_date_unique"),
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(agency__isnull=True),
                name="calendar_exception_national_unique",
            ),
        ]
        indexes = [models.Index(fields=["date"])]
        verbose_name = _("ngày làm việc, nghỉ đặc biệt")
        verbose_name_plural = _("ngày làm việc, nghỉ đặc biệt")

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"
