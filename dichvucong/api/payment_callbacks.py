"""Providers' server-to-server notifications (IPN) and the payer's browser coming back from a provider.

Plain Django views: each provider's plugin reads and verifies its own messages and writes its own answers; the
platform's services decide what a verified report does. The notification is the only one of the two that can
move an order: the browser's return is verified and shown, never applied (anyone can type a URL).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dichvucong.api.problems import problem
from dichvucong.payments import services
from dichvucong.payments.callbacks import record_return
from dichvucong.payments.models import CallbackSource, PaymentOrder, Provider
from dichvucong.payments.providers import plugin_for
from dichvucong.payments.providers.base import CallbackOutcome, CallbackRejected, ReportedStatus
from dichvucong.payments.states import OPEN as OPEN_STATUSES

log = logging.getLogger(__name__)


@csrf_exempt  # signed by the provider, not posted from our pages
@require_http_methods(["GET", "POST"])
def payment_ipn(request: HttpRequest, provider_code: str) -> HttpResponse:
    """A provider's notification (GET for VNPAY, POST JSON for MoMo): verified by the plugin, applied by the
    services, answered in the provider's words. Whatever goes wrong on our side is answered so that the
    provider sends it again."""
    provider = Provider.objects.filter(code=provider_code, is_active=True).first()
    if provider is None:
        return problem(request, status=404, detail=_("Không có tổ chức thanh toán này."))
    try:
        plugin = plugin_for(provider)
    except (LookupError, ImportError):
        log.exception("payments: no plugin for provider %s", provider.code)
        return problem(request, status=503, detail=_("Tổ chức thanh toán này chưa được cấu hình."))
    try:
        report = plugin.parse_notification(request)
    except CallbackRejected as rejection:
        log.warning(
            "payments: %s notification rejected (%s): %s",
            provider.code,
            rejection.outcome.value,
            rejection.reason,
        )
        try:
            services.record_rejected(provider, CallbackSource.NOTIFICATION, rejection)
        except Exception:
            log.exception("payments: could not record a rejected notification of %s", provider.code)
            return plugin.acknowledge(CallbackOutcome.ERROR)
        return plugin.acknowledge(rejection.outcome)
    except Exception:
        log.exception("payments: reading a notification of %s failed", provider.code)
        return plugin.acknowledge(CallbackOutcome.ERROR)
    try:
        outcome = services.apply_report(provider=provider, report=report, source=CallbackSource.NOTIFICATION)
    except Exception:
        log.exception(
            "payments: applying %s's notification for %s failed", provider.code, report.order_reference
        )
        return plugin.acknowledge(CallbackOutcome.ERROR)
    if outcome not in (CallbackOutcome.APPLIED, CallbackOutcome.DUPLICATE, CallbackOutcome.IGNORED):
        log.warning(
            "payments: %s notification for %s: %s", provider.code, report.order_reference, outcome.value
        )
    return plugin.acknowledge(outcome)


@require_GET
def payment_return(request: HttpRequest, provider_code: str) -> HttpResponse:
    """The payer back from the provider: the result is verified and kept as a trace, then the payer sees the
    order's page, which shows what the platform knows (paid only once the provider's notification or a status
    query said so). A return whose signature does not match is recorded and changes nothing."""
    provider = Provider.objects.filter(code=provider_code).first()
    if provider is None:
        raise Http404
    plugin = plugin_for(provider)
    try:
        report = plugin.parse_return(request)
    except CallbackRejected as rejection:
        log.warning(
            "payments: %s return rejected (%s): %s", provider.code, rejection.outcome.value, rejection.reason
        )
        services.record_rejected(provider, CallbackSource.RETURN, rejection)
        messages.warning(
            request,
            _(
                "Không xác thực được kết quả thanh toán gửi kèm đường dẫn này. Trạng thái dưới đây là trạng "
                "thái Cổng đã ghi nhận từ tổ chức thanh toán."
            ),
        )
        return redirect(_order_page(provider, rejection.order_reference))
    record_return(provider, report)
    order = PaymentOrder.objects.filter(reference=report.order_reference, provider=provider).first()
    if order is None:
        return redirect(reverse("web:payments"))
    if report.status == ReportedStatus.FAILED and order.status in OPEN_STATUSES:
        messages.error(
            request, _("Giao dịch không thành công. Chưa có khoản tiền nào được ghi nhận cho lệnh này.")
        )
    elif report.status == ReportedStatus.PAID and order.status in OPEN_STATUSES:
        messages.info(
            request,
            _(
                "Tổ chức thanh toán báo đã nhận thanh toán. Lệnh được xác nhận khi Cổng nhận được thông báo "
                "trực tiếp từ tổ chức thanh toán, thường chỉ trong vài giây."
            ),
        )
    return redirect(reverse("web:payment_order", kwargs={"reference": order.reference}))


def _order_page(provider: Provider, reference: str) -> str:
    """The order's page if `reference` names an order of this provider, else the payments home."""
    if reference and PaymentOrder.objects.filter(reference=reference, provider=provider).exists():
        return reverse("web:payment_order", kwargs={"reference": reference})
    return reverse("web:payments")


urlpatterns = [
    path("ipn/<slug:provider_code>/", payment_ipn, name="payment_ipn"),
    path("ve/<slug:provider_code>/", payment_return, name="payment_return"),
]
