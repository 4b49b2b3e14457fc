"""Feedback and petitions (phản ánh, kiến nghị): what a citizen or business tells the government, its handling
by the portal's operators and the competent agency, the answer, its publication and its rating.

A `Feedback` belongs to no agency until an operator forwards it; from then on it belongs to the agency handling
it (`agency`), which is what an officer's scope is checked against. Every step is a `FeedbackEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dichvucong.organisations.models import AdministrativeUnit, Agency


class Topic(models.TextChoices):
    """What the feedback is about (the issue's four subjects; a dossier is a case of the first)."""

    PROCEDURE = "procedure", _("Thủ tục hành chính, hồ sơ")
    REGULATION = "regulation", _("Quy định, chính sách")
    OFFICIAL = "official", _("Hành vi của cán bộ, công chức")
    INITIATIVE = "initiative", _("Sáng kiến")


class Kind(models.TextChoices):
    """The kinds of Decree 20/2008 (DOMAIN.md); also the Open311 services."""

    DELAY_HARASSMENT = "delay_harassment", _("Chậm trễ, gây phiền hà, sách nhiễu")
    WRONG_APPLICATION = "wrong_application", _("Không thực hiện, thực hiện không đúng quy định")
    UNFIT_RULE = "unfit_rule", _("Quy định không phù hợp với thực tế")
    CONFLICTING_RULES = "conflicting_rules", _("Quy định không đồng bộ, không thống nhất")
    UNLAWFUL_RULE = "unlawful_rule", _("Quy định không hợp pháp")
    CONTRARY_TO_TREATY = "contrary_to_treaty", _("Quy định trái với điều ước quốc tế")
    OTHER = "other", _("Vấn đề khác")
    PROPOSED_SOLUTION = "proposed_solution", _("Phương án xử lý")
    INITIATIVE = "initiative", _("Sáng kiến ban hành mới quy định")


class Status(models.TextChoices):
    RECEIVED = "received", _("Mới tiếp nhận")
    ACCEPTED = "accepted", _("Đã tiếp nhận, chờ chuyển")
    REFUSED = "refused", _("Không tiếp nhận")
    MERGED = "merged", _("Đã gộp vào phản ánh khác")
    HANDLING = "handling", _("Đang xử lý")
    ANSWERED = "answered", _("Đã có kết quả xử lý")
    PUBLISHED = "published", _("Đã công khai kết quả")


class Channel(models.TextChoices):
    WEB = "web", _("Cổng Dịch vụ công")
    OPEN311 = "open311", _("Ứng dụng (Open311)")
    CALL_CENTRE = "call_centre", _("Tổng đài hỗ trợ")


class SenderKind(models.TextChoices):
    CITIZEN = "citizen", _("Cá nhân")
    ORGANISATION = "organisation", _("Tổ chức, doanh nghiệp")


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    NOT_SATISFIED = "not_satisfied", _("Không hài lòng")


class Open311Client(models.Model):
    """An application allowed to file feedback through the Open311 interface (its `api_key`, kept hashed)."""

    name = models.CharField(max_length=200)
    key_prefix = models.CharField(max_length=12, unique=True)  # shown to operators, and the look-up key
    key_hash = models.CharField(max_length=128)
    contact_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ứng dụng Open311")
        verbose_name_plural = _("ứng dụng Open311")

    def __str__(self) -> str:
        return self.name


class Feedback(models.Model):
    code = models.CharField(max_length=24, unique=True)  # the tracking code, e.g. PAKN-261123-7K3QX9
    topic = models.CharField(max_length=16, choices=Topic.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=300)
    content = models.TextField()
    procedure_code = models.CharField(max_length=8, blank=True, db_index=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the place: a commune, or a province
    address = models.CharField(max_length=300, blank=True)  # where it happened (Open311 address_string)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    suggested_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # named by the sender (or chosen among the portal's suggestions)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback"
    )  # the agency handling it, set when forwarded: an officer's scope is checked against this

    sender_kind = models.CharField(max_length=16, choices=SenderKind.choices, default=SenderKind.CITIZEN)
    sender_name = models.CharField(max_length=200)
    organisation_name = models.CharField(max_length=300, blank=True)
    sender_address = models.CharField(max_length=300)
    sender_phone = models.CharField(max_length=20)
    sender_email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    consent_to_publish = models.BooleanField(default=False)
    public_interest = models.BooleanField(default=False)  # publish without consent (decided by the officer)

    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    client = models.ForeignKey(
        Open311Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device_id = models.CharField(max_length=200, blank=True)
    account_id = models.CharField(max_length=200, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField()
    forward_due_at = models.DateTimeField()  # the portal forwards within 5 working days of receipt
    forwarded_at = models.DateTimeField(null=True, blank=True)  # to the agency handling it now
    due_at = models.DateTimeField(null=True, blank=True)  # the answer is due (set when forwarded)
    answered_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    refusal_reason = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )

    answer = models.TextField(blank=True)  # sent to the sender in full
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answering_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the public reads: written by the officer without personal data, checked by the portal.
    public_title = models.CharField(max_length=300, blank=True)
    public_content = models.TextField(blank=True)
    public_answer = models.TextField(blank=True)
    # Folded (no diacritics) title, content, sender and place, for the back office's search.
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"]),
            models.Index(fields=["status", "forward_due_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["user", "-received_at"]),
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["-updated_at"]),
            models.Index(fields=["-received_at", "-id"]),  # Open311 and back-office lists, newest first
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:60]}"


class FeedbackAttachment(models.Model):
    """A file the sender attached (never published: it may hold personal data)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="feedback/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Action(models.TextChoices):
    RECEIVED = "received", _("Tiếp nhận")
    ACCEPTED = "accepted", _("Phân loại: thuộc phạm vi xử lý")
    REFUSED = "refused", _("Không tiếp nhận")
    MERGED = "merged", _("Gộp phản ánh trùng")
    FORWARDED = "forwarded", _("Chuyển cơ quan có thẩm quyền")
    TRANSFERRED = "transferred", _("Chuyển cơ quan khác")
    ANSWERED = "answered", _("Trả lời")
    PUBLISHED = "published", _("Công khai kết quả")
    RATED = "rated", _("Đánh giá")
    REMINDED = "reminded", _("Nhắc hạn")
    ESCALATED = "escalated", _("Báo cáo cấp trên do quá hạn")


# What the sender sees of the history (the others are the administration's own).
PUBLIC_ACTIONS = frozenset(
    {
        Action.RECEIVED,
        Action.ACCEPTED,
        Action.REFUSED,
        Action.MERGED,
        Action.FORWARDED,
        Action.TRANSFERRED,
        Action.ANSWERED,
        Action.PUBLISHED,
        Action.RATED,
    }
)


class FeedbackEvent(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)  # a reason, an answer's first lines, who was reminded

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["feedback", "at"])]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.action}"


class AlertStage(models.TextChoices):
    TRIAGE_OVERDUE = "triage_overdue", _("Quá hạn chuyển xử lý")
    DUE_SOON = "due_soon", _("Sắp đến hạn trả lời")
    OVERDUE = "overdue", _("Quá hạn trả lời")
    ESCALATED = "escalated", _("Báo cáo cấp trên")


class FeedbackAlert(models.Model):
    """One reminder or escalation sent: once per feedback, stage and deadline (a transfer sets a new deadline,
    so the new agency is reminded afresh), whatever the number of sweeps."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="alerts")
    stage = models.CharField(max_length=16, choices=AlertStage.choices)
    deadline = models.DateTimeField()
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipients = models.JSONField(default=list)  # usernames told
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "stage", "deadline"], name="feedback_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.stage}"


class FeedbackRating(models.Model):
    """The sender's rating of the answer: one per feedback (rating again replaces it)."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="rating")
    satisfaction = models.CharField(max_length=16, choices=Satisfaction.choices)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.satisfaction}"
