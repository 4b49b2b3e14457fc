"""Shared models: the append-only audit log (nhật ký kiểm toán) and the transactional outbox.

The audit log is in `core` because every domain app writes to it (accounts, catalogue, organisations, and the
dossier, payment and feedback apps to come); it refers to the actor and the agency by id, without foreign
keys, so that it depends on no other app and survives the deletion of what it mentions.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what, when, from where. Never updated or deleted: the model refuses it, and database triggers
    refuse it too (migration 0001)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor_id", "-at"]), models.Index(fields=["agency_id", "-at"])]
        verbose_name = _("nhật ký kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit events are append-only")


class OutboxMessage(models.Model):
    """A message to another process or system, written in the same transaction as the change it announces
    (transactional outbox) and delivered afterwards, at least once, by `dichvucong.core.outbox`.

    A message is due while it is neither delivered nor given up and `available_at` has passed; a worker claims
    it by setting `locked_until` (a lease) and increments `attempts`, so that a worker that dies mid-delivery
    leaves a message that another claims again once the lease is over. `(topic, key)` is unique: enqueueing
    the same thing twice gives the same message, and the key is what receivers de-duplicate on."""

    topic = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["available_at", "id"]
        constraints = [models.UniqueConstraint(fields=["topic", "key"], name="core_outbox_topic_key_uniq")]
        indexes = [
            # The sweep: pending messages by due time. Partial, so delivered history does not weigh on it.
            models.Index(
                fields=["available_at"],
                condition=models.Q(delivered_at__isnull=True, failed_at__isnull=True),
                name="core_outbox_due_idx",
            ),
            # Operators' list of messages given up.
            models.Index(
                fields=["-failed_at"],
                condition=models.Q(failed_at__isnull=False),
                name="core_outbox_failed_idx",
            ),
        ]
        verbose_name = _("thông điệp chờ gửi")
        verbose_name_plural = _("thông điệp chờ gửi")

    def __str__(self) -> str:
        return f"{self.topic}:{self.key}"

    @property
    def state(self) -> str:
        """delivered, failed (given up) or pending."""
        if self.delivered_at is not None:
            return "delivered"
        if self.failed_at is not None:
            return "failed"
        return "pending"
