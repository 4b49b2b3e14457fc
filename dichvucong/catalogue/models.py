"""The National Database of Administrative Procedures: procedures (versioned), fields, FAQ, life events and
the denormalised search entries both search backends read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dichvucong.organisations.models import AdministrativeUnit, Agency


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")
    OTHER = "other", _("Cơ quan khác")


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("Công dân Việt Nam")
    OVERSEAS_VIETNAMESE = "overseas_vietnamese", _("Người Việt Nam định cư ở nước ngoài")
    FOREIGNER = "foreigner", _("Người nước ngoài")
    ENTERPRISE = "enterprise", _("Doanh nghiệp")
    FDI_ENTERPRISE = "fdi_enterprise", _("Doanh nghiệp có vốn đầu tư nước ngoài")
    COOPERATIVE = "cooperative", _("Hợp tác xã")
    ORGANISATION = "organisation", _("Tổ chức")
    FOREIGN_ORGANISATION = "foreign_organisation", _("Tổ chức nước ngoài")
    OFFICIAL = "official", _("Cán bộ, công chức, viên chức")


class OnlineLevel(models.TextChoices):
    NONE = "none", _("Chưa cung cấp trực tuyến")
    PARTIAL = "partial", _("Dịch vụ công trực tuyến một phần")
    FULL = "full", _("Dịch vụ công trực tuyến toàn trình")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Dịch vụ bưu chính")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    DAYS = "days", _("ngày")
    HOURS = "hours", _("giờ")
    MONTHS = "months", _("tháng")


class ProcedureStatus(models.TextChoices):
    """draft → review → published → superseded; review → draft when returned (catalogue/review.py)."""

    DRAFT = "draft", _("Bản nháp")
    IN_REVIEW = "review", _("Chờ duyệt")
    PUBLISHED = "published", _("Đang áp dụng")
    SUPERSEDED = "superseded", _("Đã được thay thế")


class Field(models.Model):
    """A field of administration (lĩnh vực), e.g. Hộ tịch."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200, unique=True)
    name_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """One version of an administrative procedure (thủ tục hành chính).

    A code has at most one published version; publishing a new one supersedes the old, which stays readable.
    Nested parts (steps, methods with their fees, documents, results, legal basis) are kept as validated JSON
    documents: they are always read and replaced with their version, never queried on their own, and the search
    entry carries what is filtered on.
    """

    code = models.CharField(max_length=8)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=ProcedureStatus.choices, default=ProcedureStatus.DRAFT)
    name = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500, blank=True)
    summary = models.TextField()
    summary_en = models.TextField(blank=True)
    decision = models.CharField(max_length=120, blank=True)
    levels = models.JSONField(default=list)
    audiences = models.JSONField(default=list)
    fields = models.ManyToManyField(Field, related_name="procedures")
    managing_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="managed_procedures")
    competent_agency = models.CharField(max_length=500)
    implementing_agency = models.CharField(max_length=500, blank=True)
    authorised_agency = models.CharField(max_length=500, blank=True)
    coordinating_agencies = models.CharField(max_length=500, blank=True)
    receiving_address = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    methods = models.JSONField(default=list)
    documents = models.JSONField(default=list)
    conditions = models.TextField(blank=True)
    results = models.JSONField(default=list)
    legal_basis = models.JSONField(default=list)
    related_procedures = models.JSONField(default=list)
    online_level = models.CharField(max_length=16, choices=OnlineLevel.choices, default=OnlineLevel.NONE)
    province = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="procedures"
    )
    source = models.CharField(max_length=1000)
    synthetic = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The review step (docs/back-office.md): who sent this version for review and when, and the reason it was
    # last returned to draft. Kept after publication: the four-eyes rule compares the publisher with them.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["code", "-version"]
        permissions = [("publish_procedure", "Duyệt và công bố thủ tục hành chính")]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="procedure_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="published"), name="procedure_one_published_per_code"
            ),
        ]
        # The officer home counts drafts and versions awaiting review by managing agency.
        indexes = [
            models.Index(fields=["code", "status"]),
            models.Index(fields=["status", "synthetic"]),
            models.Index(fields=["managing_agency", "status"], name="procedure_agency_status_idx"),
        ]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.code} {self.name} (v{self.version})"

    @property
    def procedure_type(self) -> str:
        """1 = detailed by law, 2 = not delegated to localities, 3 = other (DOMAIN.md), from the code prefix."""
        return self.code[:1]


class Faq(models.Model):
    """A question and answer of the bank (hỏi đáp), linked to procedures by code so that links survive
    new versions of a procedure."""

    code = models.CharField(max_length=40, unique=True)
    question = models.TextField()
    answer = models.TextField()
    question_en = models.TextField(blank=True)
    answer_en = models.TextField(blank=True)
    field = models.ForeignKey(Field, null=True, blank=True, on_delete=models.PROTECT, related_name="faqs")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="faqs")
    source = models.CharField(max_length=1000)
    synthetic = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("câu hỏi thường gặp")
        verbose_name_plural = _("câu hỏi thường gặp")

    def __str__(self) -> str:
        return self.question[:80]


class FaqProcedure(models.Model):
    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="procedure_links")
    procedure_code = models.CharField(max_length=8, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["faq", "procedure_code"], name="faq_procedure_unique")]

    def __str__(self) -> str:
        return f"{self.faq_id} → {self.procedure_code}"


class LifeEvent(models.Model):
    """A group of procedures around a moment of life (“Có con nhỏ”, “Khởi sự kinh doanh”)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    audience = models.CharField(max_length=24, choices=Audience.choices, default=Audience.CITIZEN)
    procedure_codes = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("sự kiện")
        verbose_name_plural = _("sự kiện")

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    PROCEDURE = "procedure", _("Thủ tục hành chính")
    FAQ = "faq", _("Hỏi đáp")
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")


class SearchEntry(models.Model):
    """What the search reads: one row per procedure version (not drafts) and per FAQ, with folded text for the
    full-text index (FTS5 on SQLite, tsvector on PostgreSQL, both created in migrations) and the filter values.

    List-valued filters are stored as `|a|b|` so that one `contains` test works on both databases.
    """

    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    object_id = models.BigIntegerField()
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=1000)
    title_en = models.CharField(max_length=1000, blank=True)
    summary = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    title_folded = models.TextField()
    english_folded = models.TextField(blank=True)
    body_folded = models.TextField(blank=True)
    status = models.CharField(max_length=16)
    boost = models.FloatField(default=1.0)
    levels = models.CharField(max_length=120, blank=True)
    audiences = models.CharField(max_length=300, blank=True)
    fields = models.CharField(max_length=1000, blank=True)
    agency = models.CharField(max_length=40, blank=True, db_index=True)
    online_level = models.CharField(max_length=16, blank=True)
    province = models.CharField(max_length=8, blank=True)
    synthetic = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_object_unique")
        ]
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["code"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"


class SearchTerm(models.Model):
    """The vocabulary of folded words in the catalogue, with how many entries use each: typo correction picks
    the closest frequent word (pg_trgm on PostgreSQL; a first-letter/length window on SQLite)."""

    term = models.CharField(max_length=60, unique=True)
    length = models.PositiveSmallIntegerField()
    frequency = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["length", "term"])]

    def __str__(self) -> str:
        return self.term


class ImportRun(models.Model):
    """One import of a catalogue file, kept whether it was accepted or rejected."""

    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    actor = models.CharField(max_length=150, blank=True)
    accepted = models.BooleanField(default=False)
    procedures_created = models.PositiveIntegerField(default=0)
    procedures_unchanged = models.PositiveIntegerField(default=0)
    faqs_created = models.PositiveIntegerField(default=0)
    faqs_updated = models.PositiveIntegerField(default=0)
    faqs_unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lần nhập dữ liệu")
        verbose_name_plural = _("lần nhập dữ liệu")

    def __str__(self) -> str:
        return f"{self.file_name} ({'accepted' if self.accepted else 'rejected'})"
