"""Pages of online payment: the service groups and the look-up of a bill by its code, a bill and the choice of a
bank or wallet, the order waiting for the bank's answer, the receipt (PDF and its public verification), the
payment history, and paying a dossier's fees. Each view reads the request, calls one service (writes) or
`payment_pages` (reads) and renders; a refused value comes back next to its field, in the user's language.

The payer's browser coming back from the bank never confirms a payment: the order page only shows what the
provider's notification or a status query established, and asks the provider itself (rate-limited) when the
notification is late.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dichvucong.core.audit import client_ip
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.payments import bills, callbacks, links, paygov, receipts, selectors, services, states
from dichvucong.payments.models import PaymentOrder, Provider

from . import payment_pages as pages

# Look-ups of bills and checks of receipts that found nothing, allowed per address in a window, then refused:
# a bill's code is all it takes to see what is owed and by whom.
LOOKUP_ATTEMPTS = settings.PAYMENT_LOOKUP_ATTEMPTS
LOOKUP_WINDOW_SECONDS = settings.PAYMENT_LOOKUP_WINDOW_SECONDS
# An order still waiting this long after it was made has the provider asked by the order page, at most once per
# SETTLE_EVERY seconds whoever is looking (the notification may be late or lost; the sweep is slower).
SETTLE_AFTER_SECONDS = settings.PAYMENT_PAGE_SETTLE_AFTER_SECONDS
SETTLE_EVERY_SECONDS = settings.PAYMENT_PAGE_SETTLE_EVERY_SECONDS
CODE_MAX_LENGTH = 100


# --- throttling ---------------------------------------------------------------------------------------------------


def _miss_key(request: HttpRequest, what: str) -> str:
    return f"payments-{what}:ip:{client_ip(request) or '-'}"


def _blocked(key: str) -> bool:
    return int(cache.get(key) or 0) >= LOOKUP_ATTEMPTS


def _missed(key: str) -> None:
    if cache.add(key, 1, LOOKUP_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, LOOKUP_WINDOW_SECONDS)


def _too_many() -> str:
    return _("Bạn đã tra cứu không đúng quá nhiều lần. Vui lòng thử lại sau %(n)d phút.") % {
        "n": max(1, LOOKUP_WINDOW_SECONDS // 60)
    }


# --- the groups and the look-up -------------------------------------------------------------------------------


def _home(request: HttpRequest, form: pages.LookupForm, *, status: int = 200) -> HttpResponse:
    return render(request, "web/payments/home.html", {"page": pages.home_page(form)}, status=status)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What can be paid, what code each group asks for and where to find it, and the look-up form."""
    group = request.GET.get("nhom", "")
    return _home(request, pages.LookupForm(group=group if group in pages.GROUP_HELP else ""))


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Find a bill by its group and code at the agency that issued it, then show it (its own page)."""
    form = pages.lookup_form(request.GET, max_length=CODE_MAX_LENGTH)
    if form.errors:
        return _home(request, form, status=400)
    key = _miss_key(request, "lookup")
    if _blocked(key):
        return _home(request, pages.LookupForm(form.group, form.code, {"ma": _too_many()}), status=429)
    user = request.user if request.user.is_authenticated else None
    try:
        bill = bills.lookup_bill(group=form.group, code=form.code, user=user)
    except NotFound as exc:
        _missed(key)
        return _home(request, pages.LookupForm(form.group, form.code, {"ma": exc.message}), status=404)
    except DomainError as exc:  # a code that cannot be one, the agency's system unavailable, a bill changed
        return _home(request, pages.LookupForm(form.group, form.code, {"ma": exc.message}), status=exc.status)
    return HttpResponseRedirect(links.bill_path(bill))


# --- a bill -------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def bill(request: HttpRequest, token: str) -> HttpResponse:
    """What is owed and, while it is open, the choice of a bank or wallet; "Thanh toán" makes an order and
    sends the payer to the provider."""
    found = links.bill_from_token(token)
    if found is None:
        raise NotFound(_("Không tìm thấy khoản cần nộp."))
    if request.method == "GET":
        page = pages.bill_page(found, token, request.user)
        return render(request, "web/payments/bill.html", {"page": page})
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    code = request.POST.get("provider", "")
    provider = Provider.objects.filter(code=code, is_active=True).first() if code else None
    if provider is None:
        page = pages.bill_page(
            found, token, request.user, provider_error=_("Vui lòng chọn ngân hàng hoặc ví điện tử.")
        )
        return render(request, "web/payments/bill.html", {"page": page}, status=400)
    ip = client_ip(request) or "127.0.0.1"
    try:
        order = services.create_order(
            bill=found,
            provider=provider,
            user=request.user,
            client_ip=ip,
            return_url=paygov.agency_return_url(found),  # a payer an agency's one-stop system sent here
        )
        url = services.start_checkout(
            order,
            return_url=callbacks.return_url(provider),
            notify_url=callbacks.notify_url(provider),
            client_ip=ip,
            language=(request.LANGUAGE_CODE or "vi")[:2],
        )
    except DomainError as exc:
        found.refresh_from_db()
        page = pages.bill_page(found, token, request.user, chosen=provider.code, error=exc.message)
        return render(request, "web/payments/bill.html", {"page": page}, status=exc.status)
    return HttpResponseRedirect(url)


@login_required
@require_POST
def dossier_fee(request: HttpRequest, code: str) -> HttpResponse:
    """The fees of one of the citizen's dossiers, as a bill to pay."""
    try:
        found = bills.bill_for_dossier(code, user=request.user)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        found = None
    else:
        if found is None:
            messages.info(request, _("Hồ sơ này không có phí, lệ phí phải nộp."))
    if found is None:
        return HttpResponseRedirect(reverse("web:dossier", kwargs={"code": code}))
    return HttpResponseRedirect(links.bill_path(found))


# --- an order -----------------------------------------------------------------------------------------------------


def _settle_if_late(order: PaymentOrder, now: dt.datetime, user: Any) -> PaymentOrder:
    """Ask the provider about an order the notification has not settled yet, at most once per
    SETTLE_EVERY_SECONDS for each order (several tabs, reloads and polls share the allowance)."""
    if order.status not in states.OPEN:
        return order
    if now - order.created_at < dt.timedelta(seconds=SETTLE_AFTER_SECONDS):
        return order
    if not cache.add(f"payments-settle:{order.reference}", 1, SETTLE_EVERY_SECONDS):
        return order
    services.settle(order, now=now)
    # Read again as the page reads it: refresh_from_db would keep the receipt cached as absent.
    return selectors.order_for_user(order.reference, user)


def _order_response(request: HttpRequest, order: PaymentOrder, *, error: str = "") -> HttpResponse:
    retry = links.bill_path(order.bill)
    page = pages.order_page(order, retry_url=retry, error=error)
    if request.htmx:  # type: ignore[attr-defined]
        if request.GET.get("trang-thai") == order.status and not error:
            return HttpResponse(status=204)  # nothing new: htmx swaps nothing, nothing is announced again
        return render(request, "web/payments/_order_status.html", {"page": page})
    return render(request, "web/payments/order.html", {"page": page}, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def order(request: HttpRequest, reference: str) -> HttpResponse:
    """The order's state, for its owner: waiting for the bank (polled), paid with its receipt, or why it did
    not go through. A waiting order can be cancelled."""
    found = selectors.order_for_user(reference, request.user)
    if request.method == "POST":
        try:
            services.cancel_order(found, user=request.user)
        except NotFound:
            raise
        except DomainError as exc:
            found.refresh_from_db()
            return _order_response(request, found, error=exc.message)
        messages.success(request, _("Đã hủy lệnh thanh toán."))
        return HttpResponseRedirect(reverse("web:payment_order", kwargs={"reference": found.reference}))
    found = _settle_if_late(found, timezone.now(), request.user)
    return _order_response(request, found)


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The electronic receipt of the owner's paid order, as a PDF to keep."""
    found = selectors.order_for_user(reference, request.user)
    receipt = pages.receipt_of(found)
    if receipt is None:
        raise NotFound(_("Lệnh thanh toán này chưa có biên lai."))
    response = HttpResponse(receipts.receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"bien-lai-{receipt.number}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- history and verification ---------------------------------------------------------------------------------


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """The person's payments, newest first, a page at a time (`sau`: where the previous page ended)."""
    cursor = request.GET.get("sau", "")[:200] or None
    try:
        found = selectors.payment_history(request.user, cursor=cursor)
        page = pages.history_page(found, first=cursor is None)
    except DomainError as exc:  # a cursor that is not ours: start again from the newest
        page = pages.history_page(selectors.payment_history(request.user), first=True, error=exc.message)
    return render(request, "web/payments/history.html", {"page": page})


@require_GET
def verify_receipt(request: HttpRequest) -> HttpResponse:
    """Anyone checks a receipt by the verification code printed on it. A wrong code and an unknown one get the
    same answer, and misses are limited per address."""
    code = " ".join(request.GET.get("ma", "").split())[:40]
    context: dict[str, Any] = {"code": code}
    if not code:
        return render(request, "web/payments/verify.html", context)
    key = _miss_key(request, "verify")
    if _blocked(key):
        context["error"] = _too_many()
        return render(request, "web/payments/verify.html", context, status=429)
    receipt = receipts.verify(code)
    if receipt is None:
        _missed(key)
        context["error"] = _(
            "Không tìm thấy biên lai có mã xác thực này. Vui lòng kiểm tra lại mã in trên biên lai."
        )
        return render(request, "web/payments/verify.html", context, status=404)
    context["page"] = pages.verify_page(receipt)
    return render(request, "web/payments/verify.html", context)
