"""Online support: the help desk's tickets (a call to the call centre, a question asked on the site) and what was
said and done on each.

A ticket is with one agency at a time (`agency`): the call centre's own (`SUPPORT_DESK_AGENCY_CODE`) until it
is handed over to the competent agency. The desk that opened it (`desk_agency`) keeps following it. An
officer sees a ticket when either is in their scope; operators see every ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dichvucong.organisations.models import Agency


class TicketChannel(models.TextChoices):
    PHONE = "phone", _("Điện thoại (tổng đài)")
    WEB = "web", _("Trang Cổng Dịch vụ công")
    EMAIL = "email", _("Thư điện tử")


class TicketTopic(models.TextChoices):
    PROCEDURE = "procedure", _("Thủ tục hành chính")
    DOSSIER = "dossier", _("Hồ sơ trực tuyến")
    PAYMENT = "payment", _("Thanh toán trực tuyến")
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")
    ACCOUNT = "account", _("Tài khoản, đăng nhập")
    TECHNICAL = "technical", _("Lỗi kỹ thuật")
    OTHER = "other", _("Khác")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Đang hỗ trợ")
    HANDED_OVER = "handed_over", _("Đã chuyển cơ quan khác")
    RESOLVED = "resolved", _("Đã giải quyết")


class Ticket(models.Model):
    code = models.CharField(max_length=24, unique=True)  # HT-261123-7K3QX9
    channel = models.CharField(max_length=8, choices=TicketChannel.choices)
    topic = models.CharField(max_length=16, choices=TicketTopic.choices)
    subject = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    caller_name = models.CharField(max_length=200, blank=True)
    caller_phone = models.CharField(max_length=20, blank=True, db_index=True)
    caller_email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )

    # What the ticket is about, by the codes people read out on the phone (checked when given).
    procedure_code = models.CharField(max_length=8, blank=True, db_index=True)
    dossier_code = models.CharField(max_length=60, blank=True, db_index=True)
    payment_reference = models.CharField(max_length=40, blank=True, db_index=True)
    feedback_code = models.CharField(max_length=24, blank=True, db_index=True)

    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="tickets")
    desk_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)
    # Folded (no diacritics) caller, codes, subject and description, for the help desk's search.
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("yêu cầu hỗ trợ")
        verbose_name_plural = _("yêu cầu hỗ trợ")
        indexes = [
            models.Index(fields=["agency", "status", "-created_at"]),
            models.Index(fields=["desk_agency", "-created_at"]),
            models.Index(fields=["user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.subject[:60]}"


class EntryKind(models.TextChoices):
    CALL_IN = "call_in", _("Cuộc gọi đến")
    CALL_OUT = "call_out", _("Gọi lại cho người dân")
    MESSAGE = "message", _("Tin nhắn của người dân")
    NOTE = "note", _("Ghi chú nội bộ")
    REPLY = "reply", _("Trả lời người dân")
    HANDOVER = "handover", _("Chuyển cơ quan khác")
    RESOLVED = "resolved", _("Giải quyết")
    REOPENED = "reopened", _("Mở lại")


# What the person who asked sees of the ticket's history.
PUBLIC_ENTRY_KINDS = frozenset({EntryKind.MESSAGE, EntryKind.REPLY, EntryKind.RESOLVED, EntryKind.HANDOVER})


class TicketEntry(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)  # calls
    from_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
