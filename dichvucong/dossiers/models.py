"""Dossiers (hồ sơ) of every agency of the country, their status events, e-forms, drafts, the personal document
store, ratings, notifications, and the agencies' one-stop systems connected to the portal.

The dossier table is the big one (tens of millions of rows; hundreds of millions of events a year), so a
dossier keeps in columns only what is filtered, sorted or shown in lists, and the rest (documents, fees,
supplements, results, form data) in `details`, read only with the dossier itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dichvucong.organisations.models import Agency


class Status(models.IntegerChoices):
    """`TrangThaiHoSo` of the national sync (DOMAIN.md)."""

    SUBMITTED = 1, _("Mới đăng ký")
    ACCEPTED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT_REQUESTED = 5, _("Yêu cầu bổ sung giấy tờ")
    FINANCIAL_OBLIGATION = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    RESULT_READY = 9, _("Đã xử lý xong")
    RESULT_RETURNED = 10, _("Đã trả kết quả")


class Channel(models.IntegerChoices):
    """`HinhThuc`: how the dossier was submitted."""

    IN_PERSON = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POST = 3, _("Qua bưu chính công ích")


class ApplicantKind(models.IntegerChoices):
    """`LoaiDoiTuong`."""

    CITIZEN = 1, _("Công dân")
    BUSINESS = 2, _("Doanh nghiệp, tổ chức")


class Origin(models.TextChoices):
    PORTAL = "portal", _("Nộp trên Cổng")
    AGENCY = "agency", _("Tiếp nhận tại cơ quan")


class AgencyIntegration(models.Model):
    """An agency's one-stop system (Hệ thống thông tin một cửa điện tử) connected to the portal. It serves the
    agency and every agency under it (a province's system serves its communes), receives the dossiers made on
    the portal, and sends back the status of every dossier it handles. One secret signs both directions
    (Standard Webhooks); the legacy session sign-in of the national sync interface has its own password."""

    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="integration")
    name = models.CharField(max_length=200)
    connector = models.CharField(max_length=40, default="signed_http")
    endpoint_url = models.URLField(blank=True)
    key_id = models.CharField(max_length=80, unique=True)
    secret = models.CharField(max_length=200)
    legacy_username = models.CharField(max_length=80, null=True, blank=True, unique=True)
    legacy_password = models.CharField(max_length=200, blank=True)  # a Django password hash
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("hệ thống một cửa kết nối")
        verbose_name_plural = _("hệ thống một cửa kết nối")

    def __str__(self) -> str:
        return self.name


class LegacySession(models.Model):
    """A session of the national sync interface (`session` in every body), obtained with the integration's
    username and password. Only a hash of the token is kept."""

    integration = models.ForeignKey(AgencyIntegration, on_delete=models.CASCADE, related_name="sessions")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.integration_id} until {self.expires_at}"


class EForm(models.Model):
    """The e-form of a procedure: steps of typed fields, and one file slot per document of the procedure
    (see `eforms.py` for the definition's shape and validation)."""

    procedure_code = models.CharField(max_length=8, unique=True)
    title = models.CharField(max_length=300)
    definition = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("biểu mẫu điện tử")
        verbose_name_plural = _("biểu mẫu điện tử")

    def __str__(self) -> str:
        return f"{self.procedure_code} {self.title}"


class StoredDocument(models.Model):
    """A file in a citizen's personal document store (kho dữ liệu cá nhân): uploaded, or a result received.
    Reused across drafts and dossiers; the file itself is in the default storage (django-storages)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Tải lên")
        RESULT = "result", _("Kết quả giải quyết")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=255)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        verbose_name = _("giấy tờ")
        verbose_name_plural = _("giấy tờ")

    def __str__(self) -> str:
        return self.title


class Draft(models.Model):
    """An e-form being filled in: saved at each step, submitted once (then `dossier` is set)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    procedure_code = models.CharField(max_length=8)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict)
    # slot key → list of StoredDocument ids
    documents = models.JSONField(default=dict)
    step = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    dossier = models.OneToOneField(
        "Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.procedure_code} ({self.owner_id})"


class DossierCounter(models.Model):
    """The daily counter of dossier codes per agency (`<agency code>-YYMMDD-NNNN`)."""

    agency_code = models.CharField(max_length=40)
    day = models.DateField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_code", "day"], name="dossier_counter_agency_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.day} {self.value}"


OPEN_STATUSES = (1, 2, 4, 5, 6)


class Dossier(models.Model):
    """A dossier of an administrative procedure, made on the portal or received at an agency's counter.

    Its status is the status of its latest event (by time, then event id), so that events applied in any order
    or twice give the same dossier; the dates are the earliest event of their kind.
    """

    # Unique through Meta.constraints: as a field option, PostgreSQL would also get a LIKE-pattern index.
    code = models.CharField(max_length=60)
    # Looked up through dossier_agency_status_idx and dossier_owner_idx, which lead with them: no index of their
    # own, since every status change writes an entry in every index of the table.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers", db_index=False)
    procedure_code = models.CharField(max_length=20, blank=True)
    procedure_name = models.CharField(max_length=500, blank=True)
    field_name = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.ONLINE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
        db_index=False,
    )
    applicant_kind = models.PositiveSmallIntegerField(
        choices=ApplicantKind.choices, default=ApplicantKind.CITIZEN
    )
    applicant_name = models.CharField(max_length=300, blank=True)
    applicant_id_number = models.CharField(max_length=20, blank=True)
    applicant_email = models.CharField(max_length=254, blank=True)
    applicant_phone = models.CharField(max_length=20, blank=True)
    summary = models.TextField(blank=True)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.SUBMITTED)
    status_at = models.DateTimeField()
    status_event = models.CharField(max_length=80, blank=True)  # tie-break of events at the same time
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)  # NgayTiepNhan
    due_at = models.DateTimeField(null=True, blank=True)  # NgayHenTra (after pauses and apologies)
    original_due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # NgayKetThucXuLy
    returned_at = models.DateTimeField(null=True, blank=True)  # NgayTra
    delivered_at = models.DateTimeField(null=True, blank=True)  # reached the agency's one-stop system
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    details = models.JSONField(default=dict)
    details_at = models.DateTimeField(null=True, blank=True)  # time of the event whose details won
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code"], name="dossier_code_unique")]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="dossier_owner_idx"),
            models.Index(fields=["agency", "status"], name="dossier_agency_status_idx"),
            models.Index(fields=["procedure_code"], name="dossier_procedure_idx"),
            # Overdue detection reads open dossiers by due date only.
            models.Index(
                fields=["due_at"], condition=Q(status__in=OPEN_STATUSES), name="dossier_open_due_idx"
            ),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code


class DossierEvent(models.Model):
    """One status change or processing step of a dossier (`CapNhatTienDoHoSoMC`), idempotent by
    (agency, event id): the same event sent again is recognised and changes nothing."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Cổng")
        API = "api", _("API đồng bộ")
        LEGACY = "legacy", _("Giao diện đồng bộ quốc gia")

    # Looked up through the (agency, event_id) constraint and the timeline index, which lead with them.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", db_index=False)
    event_id = models.CharField(max_length=80)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events", db_index=False)
    status = models.PositiveSmallIntegerField(choices=Status.choices)
    occurred_at = models.DateTimeField()
    actor_name = models.CharField(max_length=200, blank=True)
    actor_title = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=300, blank=True)
    content = models.TextField(blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "event_id"], name="dossier_event_agency_id_unique")
        ]
        indexes = [models.Index(fields=["dossier", "occurred_at"], name="dossier_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.status} {self.occurred_at}"


class DossierDocument(models.Model):
    """A document submitted with a dossier (TaiLieuNop), or a result of it (DanhSachGiayToKetQua)."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Thành phần hồ sơ")
        RESULT = "result", _("Kết quả")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    slot = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=500)
    code = models.CharField(max_length=60, blank=True)  # result code (KQ.G15.000031)
    document = models.ForeignKey(StoredDocument, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        indexes = [models.Index(fields=["dossier", "kind"])]

    def __str__(self) -> str:
        return self.name


class Apology(models.Model):
    """Form 04: the agency apologises for a late dossier and sets a new date."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apologies")
    reason = models.TextField()
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField()
    signer_name = models.CharField(max_length=200)
    signer_title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_due_at}"


class Rating(models.Model):
    """The applicant's rating of a dossier's handling: nine criteria scored 2/1/0 and two questions
    (DOMAIN.md). Agency and procedure are copied for the averages."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    procedure_code = models.CharField(max_length=20, blank=True)
    scores = models.JSONField()
    total = models.PositiveSmallIntegerField()
    convenience = models.PositiveSmallIntegerField()  # 2 very satisfied, 1 satisfied, 0 not satisfied
    overall = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["agency"]), models.Index(fields=["procedure_code"])]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.total}"


class Notification(models.Model):
    """An in-app notice to a user (the e-mail and SMS copies go through the outbox)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120, unique=True)  # one notice per event, whatever the retries
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.title
