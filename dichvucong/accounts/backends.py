"""Authentication backend that gives officers the permissions of their roles and operators every permission
of the portal's own apps (they are not superusers: Django's own tables stay out of their reach)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from .roles import permissions_for_roles

PORTAL_APPS = (
    "core",
    "organisations",
    "catalogue",
    "accounts",
    "dossiers",
    "payments",
    "feedback",
    "support",
    "monitoring",
)


class RolePermissionBackend(ModelBackend):
    """Permissions from `OfficerRole` rows (officers) or from the account kind (operators)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cached = getattr(user_obj, "_role_perm_cache", None)
        if cached is not None:
            return cached
        perms = set(super().get_all_permissions(user_obj, obj))
        if user_obj.kind == "operator":
            perms |= {
                f"{app}.{codename}"
                for app, codename in Permission.objects.filter(
                    content_type__app_label__in=PORTAL_APPS
                ).values_list("content_type__app_label", "codename")
            }
        elif user_obj.kind == "officer":
            perms |= permissions_for_roles(set(user_obj.officer_roles.values_list("role", flat=True)))
        user_obj._role_perm_cache = perms
        return perms
