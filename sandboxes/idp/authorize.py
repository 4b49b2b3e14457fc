"""The authorization endpoint: validates the request, signs the citizen in (or reuses the IdP session) and
sends the browser back to the client with a one-time code."""

from __future__ import annotations

import hmac
import math
import re

from . import pages
from .citizens import ACR_LEVEL, SUPPORTED_SCOPES
from .provider import BROWSER_COOKIE, SESSION_COOKIE, Provider
from .store import LOCK_DURATION, AuthRequest, Pending, new_secret
from .web import Request, Response

CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
CITIZEN_ID_RE = re.compile(r"^\d{12}$")
WRONG_CREDENTIALS = "Số định danh cá nhân hoặc mật khẩu không đúng."
LEVEL_TOO_LOW = (
    "Tài khoản định danh điện tử của công dân này mới ở mức độ 1, trong khi dịch vụ yêu cầu tài khoản "
    "mức độ 2. Vui lòng đăng nhập bằng tài khoản định danh điện tử mức độ 2 (tài khoản mức độ 1 được nâng "
    "cấp lên mức độ 2 tại cơ quan Công an)."
)
EXPIRED_FORM = (
    "Yêu cầu đăng nhập không hợp lệ hoặc đã hết hạn (quá 10 phút). "
    "Vui lòng quay lại Cổng Dịch vụ công và bấm đăng nhập lại."
)


def _locked_message(seconds: float) -> str:
    """Tell the citizen the number is locked and for how many more minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Số định danh cá nhân này đã bị tạm khóa đăng nhập do nhập sai mật khẩu 5 lần liên tiếp. "
        f"Vui lòng thử lại sau {minutes} phút."
    )


def _required_level(acr_values: str) -> int:
    """The lowest account level among the requested (known) acr values; level 1 when none is known."""
    levels = [ACR_LEVEL[value] for value in acr_values.split() if value in ACR_LEVEL]
    return min(levels) if levels else 1


def validate_request(provider: Provider, request: Request) -> AuthRequest | Response:
    """Check an authorization request. Problems with the client or the redirect URI are shown on an error
    page (never redirected, RFC 6749 §4.1.2.1); every other problem is redirected back to the client."""
    settings = provider.settings
    client_id, redirect_uri = request.param("client_id"), request.param("redirect_uri")
    repeated = request.repeated()
    if {"client_id", "redirect_uri"} & set(repeated):
        return pages.error_page("Tham số client_id hoặc redirect_uri bị lặp lại.", "invalid_request")
    if not client_id:
        return pages.error_page(
            "Yêu cầu đăng nhập thiếu mã ứng dụng (client_id).", "invalid_request: client_id"
        )
    if not hmac.compare_digest(client_id.encode(), settings.client_id.encode()):
        return pages.error_page(
            "Ứng dụng yêu cầu đăng nhập (client_id) chưa được đăng ký với VNeID sandbox.", "invalid_client"
        )
    if not redirect_uri:
        return pages.error_page(
            "Yêu cầu đăng nhập thiếu địa chỉ chuyển hướng (redirect_uri).", "invalid_request"
        )
    if not settings.redirect_uri_allowed(redirect_uri):
        return pages.error_page(
            "Địa chỉ chuyển hướng (redirect_uri) chưa được đăng ký cho ứng dụng này.",
            "invalid_request: redirect_uri is not registered",
        )
    state = request.param("state")

    def fail(error: str, description: str) -> Response:
        return provider.error_redirect(redirect_uri, state, error, description)

    if repeated:
        return fail("invalid_request", f"parameters sent more than once: {', '.join(repeated)}")
    if request.param("request"):
        return fail("request_not_supported", "request objects are not supported")
    if request.param("request_uri"):
        return fail("request_uri_not_supported", "request_uri is not supported")
    if request.param("response_type") != "code":
        return fail("unsupported_response_type", "only response_type=code is supported")
    scopes = request.param("scope").split()
    if "openid" not in scopes:
        return fail("invalid_scope", "scope must include openid")
    if not state:
        return fail("invalid_request", "state is required")
    nonce = request.param("nonce")
    if not nonce:
        return fail("invalid_request", "nonce is required")
    challenge, method = request.param("code_challenge"), request.param("code_challenge_method")
    if not challenge:
        return fail("invalid_request", "code_challenge is required (PKCE)")
    if method != "S256":
        return fail("invalid_request", "code_challenge_method must be S256")
    if not CHALLENGE_RE.match(challenge):
        return fail("invalid_request", "code_challenge must be a base64url SHA-256 digest (43 characters)")
    prompt = frozenset(request.param("prompt").split())
    if "none" in prompt and len(prompt) > 1:
        return fail("invalid_request", "prompt=none cannot be combined with other values")
    max_age_raw = request.param("max_age")
    if max_age_raw and not max_age_raw.isdigit():
        return fail("invalid_request", "max_age must be a non-negative integer")
    login_hint = request.param("login_hint")
    return AuthRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=tuple(s for s in SUPPORTED_SCOPES if s in scopes),
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        prompt=prompt,
        required_level=_required_level(request.param("acr_values")),
        max_age=int(max_age_raw) if max_age_raw else None,
        login_hint=login_hint if CITIZEN_ID_RE.match(login_hint) else "",
    )


def _form(
    provider: Provider, pending: Pending, citizen_id: str = "", error: str = "", status: int = 200
) -> Response:
    """The sign-in page for a pending request."""
    return pages.login_page(
        action=provider.settings.path_prefix + "/authorize",
        request_id=pending.id,
        csrf_token=pending.csrf_token,
        scopes=pending.request.scope,
        registry=provider.registry,
        citizen_id=citizen_id,
        error=error,
        required_level=pending.request.required_level,
        status=status,
    )


def authorize(provider: Provider, request: Request) -> Response:
    """GET /authorize: validate the request; with a usable IdP session (and no prompt=login) issue the code
    at once (single sign-on), with prompt=none and no session answer login_required, else show the form."""
    auth = validate_request(provider, request)
    if isinstance(auth, Response):
        return auth
    session = provider.current_session(request)
    if session is not None and (
        "login" in auth.prompt
        or (auth.max_age is not None and provider.now() - session.auth_time > auth.max_age)
    ):
        session = None
    citizen = provider.registry.get(session.citizen_id) if session else None
    if session and citizen and citizen.level >= auth.required_level:
        return provider.issue_code(auth, citizen.citizen_id, session.auth_time)
    if "none" in auth.prompt:
        return provider.error_redirect(
            auth.redirect_uri, auth.state, "login_required", "the citizen must sign in at VNeID"
        )
    browser_id = request.cookies.get(BROWSER_COOKIE, "")
    new_browser = not browser_id
    if new_browser:
        browser_id = new_secret()
    pending = provider.store.new_pending(auth, browser_id)
    response = _form(provider, pending, citizen_id=auth.login_hint)
    if new_browser:
        response.set_cookie(BROWSER_COOKIE, browser_id, secure=provider.settings.secure_cookies)
    return response


def authorize_submit(provider: Provider, request: Request) -> Response:
    """POST /authorize: check the sign-in form (its hidden token, then number and password, with a lock-out
    after 5 failures in 15 minutes); on success open an IdP session and redirect to the client with a code."""
    pending = provider.store.get_pending(request.param("request_id"))
    if (
        pending is None
        or not hmac.compare_digest(request.param("csrf_token").encode(), pending.csrf_token.encode())
        or not hmac.compare_digest(
            request.cookies.get(BROWSER_COOKIE, "").encode(), pending.browser_id.encode()
        )
    ):
        return pages.error_page(EXPIRED_FORM, "invalid_request: unknown, expired or forged sign-in form")
    auth = pending.request
    if request.param("action") == "cancel":
        provider.store.drop_pending(pending.id)
        return provider.error_redirect(
            auth.redirect_uri, auth.state, "access_denied", "the citizen cancelled the sign-in", 303
        )
    number = re.sub(r"\s+", "", request.param("citizen_id"))[:20]
    locked = provider.store.locked_for(number)
    if locked:
        return _form(provider, pending, number, _locked_message(locked))
    citizen = provider.registry.get(number)
    password_ok = hmac.compare_digest(request.param("password").encode(), provider.registry.password.encode())
    if citizen is None or not password_ok:
        left = provider.store.record_failure(number)
        if left == 0:
            return _form(provider, pending, number, _locked_message(LOCK_DURATION))
        return _form(provider, pending, number, f"{WRONG_CREDENTIALS} Bạn còn {left} lần thử.")
    provider.store.clear_failures(number)
    if citizen.level < auth.required_level:
        return _form(provider, pending, number, LEVEL_TOO_LOW)
    provider.store.drop_pending(pending.id)
    old_session = request.cookies.get(SESSION_COOKIE)
    if old_session:
        provider.store.drop_session(old_session)
    session = provider.store.new_session(citizen.citizen_id, provider.now())
    response = provider.issue_code(auth, citizen.citizen_id, session.auth_time, status=303)
    response.set_cookie(SESSION_COOKIE, session.id, secure=provider.settings.secure_cookies)
    return response
