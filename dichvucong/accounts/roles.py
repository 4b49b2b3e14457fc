"""Officers' roles and the permissions each gives. Permissions come from roles, not from per-user grants, so
that what an officer may do is read from one table; *which data* they may do it to is the agency scope
(`selectors.agency_scope`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENCY_ADMIN = "agency_admin", _("Quản trị đơn vị")
    CATALOGUE_EDITOR = "catalogue_editor", _("Cán bộ cập nhật thủ tục hành chính")
    HANDLER = "handler", _("Cán bộ xử lý hồ sơ")
    HEAD = "head", _("Lãnh đạo đơn vị")
    CALL_CENTRE = "call_centre", _("Điện thoại viên tổng đài hỗ trợ")


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.AGENCY_ADMIN: frozenset(
        {
            "organisations.view_agency",
            "organisations.change_agency",
            "organisations.view_calendarexception",
            "organisations.add_calendarexception",
            "organisations.change_calendarexception",
            "organisations.delete_calendarexception",
            "core.view_auditevent",
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.view_officerrole",
            "accounts.add_officerrole",
            "accounts.change_officerrole",
            "accounts.delete_officerrole",
            "accounts.view_relyingparty",
        }
    ),
    Role.CATALOGUE_EDITOR: frozenset(
        {
            "catalogue.view_procedure",
            "catalogue.change_procedure",
            "catalogue.view_faq",
            "catalogue.add_faq",
            "catalogue.change_faq",
            "organisations.view_agency",
        }
    ),
    Role.HANDLER: frozenset(
        {
            "organisations.view_agency",
            "catalogue.view_procedure",
            "dossiers.view_dossier",
            "dossiers.add_apology",
            "payments.view_bill",
            "payments.view_paymentorder",
            "feedback.view_feedback",
            "feedback.change_feedback",
            "support.view_ticket",
            "support.change_ticket",
        }
    ),
    Role.HEAD: frozenset(
        {
            "organisations.view_agency",
            "catalogue.view_procedure",
            # Heads approve their agency's procedure versions (the review step, docs/back-office.md).
            "catalogue.publish_procedure",
            "catalogue.view_faq",
            "core.view_auditevent",
            "dossiers.view_dossier",
            "dossiers.add_apology",
            "payments.view_bill",
            "payments.view_paymentorder",
            "payments.view_ledgerentry",
            "feedback.view_feedback",
            "feedback.change_feedback",
            "support.view_ticket",
            "support.change_ticket",
        }
    ),
    Role.CALL_CENTRE: frozenset(
        {
            "organisations.view_agency",
            "catalogue.view_procedure",
            "catalogue.view_faq",
            "support.view_ticket",
            "support.add_ticket",
            "support.change_ticket",
        }
    ),
}


def permissions_for_roles(roles: list[str] | set[str]) -> set[str]:
    found: set[str] = set()
    for role in roles:
        found |= ROLE_PERMISSIONS.get(role, frozenset())
    return found
