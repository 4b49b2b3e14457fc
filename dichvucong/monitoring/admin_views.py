"""The monitor's own back-office pages, inside the admin's frame: the health board, one integration's page (its
figures, reasons, open alert, recent calls and the test console), the evaluation on demand and the
acknowledgement of an alert. Operators only (403 for anyone else); every action goes through one service, which
audits it. GET shows, POST acts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.core.errors import DomainError

from . import console, selectors, services
from .models import IntegrationAlert


class ConsoleForm(forms.Form):
    sample = forms.ChoiceField(label=gettext_lazy("Loại thông điệp mẫu"), choices=())

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["sample"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = console.samples_for(kind)


class Pages:
    """The pages, bound to the alert admin (for its site, model and permissions)."""

    def __init__(self, model_admin: admin.ModelAdmin[IntegrationAlert]) -> None:
        self.model_admin = model_admin

    def _check(self, request: HttpRequest) -> None:
        # The alert admin's own rule (operators, with the app's view permission).
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.model_admin.admin_site.each_context(request),
            "title": title,
            "opts": self.model_admin.model._meta,
            **extra,
        }

    def board(self, request: HttpRequest) -> HttpResponse:
        """Every active integration with its level, last exchanges, lag, error rate, backlog and open alert."""
        self._check(request)
        healths = selectors.all_health()
        context = self._context(
            request,
            _("Tình trạng các kết nối"),
            healths=healths,
            counts=selectors.board_summary(healths),
            window_minutes=settings.MONITORING_WINDOW_MINUTES,
        )
        return TemplateResponse(request, "admin/monitoring/board.html", context)

    def evaluate(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        result = services.evaluate_now(request=request)
        messages.success(
            request,
            _("Đã đánh giá %(n)d kết nối: mở %(opened)d cảnh báo, đóng %(closed)d cảnh báo.")
            % {"n": result.evaluated, "opened": len(result.opened), "closed": len(result.closed)},
        )
        return HttpResponseRedirect(reverse("admin:monitoring_board"))

    def detail(self, request: HttpRequest, kind: str, integration_id: int) -> HttpResponse:
        """One integration: its health, its recent calls, and the test console (POST sends a sample)."""
        self._check(request)
        target = selectors.integration(kind, integration_id)
        if target is None:
            raise Http404(_("Không có kết nối này."))
        form = ConsoleForm(request.POST or None, kind=kind)
        exchange = None
        if request.method == "POST" and form.is_valid():
            exchange = console.send_sample(target=target, sample=form.cleaned_data["sample"], request=request)
        health = selectors.health_of(kind, integration_id)
        alert = (
            IntegrationAlert.objects.filter(pk=health.open_alert_id).first()
            if health and health.open_alert_id
            else None
        )
        context = self._context(
            request,
            target.name,
            target=target,
            health=health,
            alert=alert,
            calls=list(selectors.recent_calls(kind, integration_id)),
            form=form,
            exchange=exchange,
            window_minutes=settings.MONITORING_WINDOW_MINUTES,
        )
        return TemplateResponse(request, "admin/monitoring/integration.html", context)

    def acknowledge(self, request: HttpRequest, alert_id: int) -> HttpResponse:
        self._check(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            alert = services.acknowledge_alert(alert_id=alert_id, request=request)
        except IntegrationAlert.DoesNotExist as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:monitoring_board"))
        messages.success(
            request, _("Đã xác nhận cảnh báo; cảnh báo sẽ đóng khi kết nối bình thường trở lại.")
        )
        return HttpResponseRedirect(
            reverse("admin:monitoring_integration", args=[alert.kind, alert.integration_id])
        )
