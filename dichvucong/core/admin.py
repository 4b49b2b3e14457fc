"""The back office of core: the outbox (operators only). The audit log's page is `accounts/admin_audit.py`
(its reads belong to accounts)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import outbox
from .admin_mixins import OperatorOnlyAdmin, ReadOnlyAdmin
from .errors import DomainError
from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    """Messages waiting for another system, and those given up: operators see why, and send again once the
    cause is fixed (audited by `outbox.retry`)."""

    list_display = ("topic", "key", "attempts", "available_at", "delivered_at", "failed_at")
    list_filter = (
        "topic",
        ("delivered_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("=key",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Gửi lại các thông điệp đã chọn"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        sent = 0
        for message in queryset.filter(delivered_at__isnull=True):
            try:
                outbox.retry(message.pk, request=request)
            except DomainError as exc:  # one refused message (being delivered now) must not stop the others
                self.message_user(request, f"{message.key}: {exc}", messages.WARNING)
            else:
                sent += 1
        self.message_user(request, _("Đã xếp lịch gửi lại %(n)d thông điệp.") % {"n": sent})
