"""The help desk in the back office: call-centre agents log calls (each opens a ticket), search past calls,
answer, hand over to the competent agency and resolve; officers of that agency see and work the tickets handed
to them; operators also turn good questions into the catalogue's questions and answers.

A ticket is in an officer's scope when the agency handling it or the desk that opened it is (`selectors.
visible_to`); the list, every page and every action go through that rule, and a ticket outside it is a 404.
Tickets change only through the services (`admin_views`), never through a model form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dichvucong.core.admin_mixins import AuditedAdmin, request_scope

from . import admin_views, selectors
from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(AuditedAdmin):
    list_display = ("code", "subject_column", "caller", "topic", "channel", "status", "agency", "created")
    list_filter = ("status", "topic", "channel")
    # The box searches as `selectors.search` does (code, phone, linked codes, words without diacritics).
    search_fields = ("code",)
    search_help_text = _("Mã yêu cầu, số điện thoại, mã thủ tục, hồ sơ, thanh toán, phản ánh, hoặc từ khóa.")
    list_select_related = ("agency",)
    show_full_result_count = False
    list_per_page = 50

    # --- scope and roles -------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).filter(selectors.visible_to(request_scope(request)))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        return selectors.search(queryset, search_term), False

    def _in_scope(self, request: HttpRequest, obj: Ticket | None) -> bool:
        return obj is None or selectors.is_visible(request_scope(request), obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("support.add_ticket")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("support.change_ticket") and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets are the help desk's record

    # --- columns ---------------------------------------------------------------------------------------------

    @admin.display(description=_("Nội dung"))
    def subject_column(self, obj: Ticket) -> str:
        return obj.subject[:80]

    @admin.display(description=_("Người hỏi"))
    def caller(self, obj: Ticket) -> str:
        return " · ".join(v for v in (obj.caller_name, obj.caller_phone) if v) or "—"

    @admin.display(description=_("Tiếp nhận lúc"), ordering="created_at")
    def created(self, obj: Ticket) -> str:
        return timezone.localtime(obj.created_at).strftime("%d/%m/%Y %H:%M")

    # --- pages -----------------------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self._action(name)),
                name=f"support_ticket_{name}",
            )
            for name in admin_views.ACTIONS
        ]
        return extra + super().get_urls()

    def _action(self, name: str) -> Any:
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            return admin_views.action_view(request, self, object_id, name)

        return view

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Adding a ticket is logging a call."""
        return admin_views.log_call_view(request, self)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The ticket's page: facts, everything said and done, and the actions the officer may take."""
        return admin_views.ticket_page(request, self, object_id)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        admin_views.ticket_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)
