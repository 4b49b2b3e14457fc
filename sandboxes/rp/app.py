"""The relying-party sandbox as a WSGI application: sign in with the portal (code flow, PKCE, state, nonce),
a local session in memory, RP-initiated logout, and the back-channel logout endpoint."""

from __future__ import annotations

import logging
import secrets
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import requests
from authlib.common.errors import AuthlibBaseError

from sandboxes.idp.web import BadRequest, Request, Response, Router, add_query, json_response, redirect

from . import pages
from .config import CLOCK_SKEW, LOGIN_TTL, LOGOUT_TOKEN_MAX_AGE, Settings
from .oidc import Provider, ProviderUnavailable, TokenRejected
from .store import Store

log = logging.getLogger("sandboxes.rp")

SESSION_COOKIE = "sandbox_rp_session"
LOGIN_COOKIE = "sandbox_rp_login"
LOGOUT_COOKIE = "sandbox_rp_logout"
UNAVAILABLE = f"Không kết nối được với {pages.PROVIDER_NAME}. Vui lòng thử lại sau."


class RelyingParty:
    """The sandbox's state and its endpoints."""

    def __init__(
        self, settings: Settings, provider: Provider | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings
        self.provider = provider or Provider(settings)
        self.store = store or Store(LOGIN_TTL)

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, secure=self.settings.secure_cookies, max_age=max_age)

    def home(self, request: Request) -> Response:
        """GET /: who is signed in, or the button to sign in."""
        session = self.store.session(request.cookies.get(SESSION_COOKIE, ""))
        if session is not None:
            return pages.signed_in_page(session)
        notice = ""
        logout_state = request.cookies.get(LOGOUT_COOKIE, "")
        if logout_state and _same(logout_state, request.param("state")):
            notice = f"Bạn đã đăng xuất khỏi {pages.SITE_NAME} và {pages.PROVIDER_NAME}."
        response = pages.signed_out_page(notice)
        if SESSION_COOKIE in request.cookies:  # ended by back-channel logout: forget the stale cookie
            self._cookie(response, SESSION_COOKIE, "", max_age=0)
        if logout_state:
            self._cookie(response, LOGOUT_COOKIE, "", max_age=0)
        return response

    def login(self, request: Request) -> Response:
        """GET /login: send the browser to the provider's authorization endpoint."""
        pending = self.store.start_login()
        try:
            url = self.provider.authorization_url(
                state=pending.state, nonce=pending.nonce, code_verifier=pending.code_verifier
            )
        except ProviderUnavailable as exc:
            log.warning("provider unavailable: %s", exc)
            return pages.error_page(UNAVAILABLE, status=502)
        response = redirect(url, 303)
        # Binds the callback to this browser (login CSRF): the state must come back with the cookie.
        self._cookie(response, LOGIN_COOKIE, pending.state, max_age=LOGIN_TTL)
        return response

    def callback(self, request: Request) -> Response:
        """GET /callback: check state, redeem the code, verify the ID token, read userinfo, sign in here."""
        state = request.param("state")
        cookie_state = request.cookies.get(LOGIN_COOKIE, "")
        pending = self.store.finish_login(state) if state else None
        if pending is None or not _same(cookie_state, state):
            return self._failed("Yêu cầu đăng nhập không hợp lệ hoặc đã hết hạn.", "state")
        if request.param("error"):
            message = (
                "Bạn đã không cho phép chia sẻ thông tin, nên chưa đăng nhập được."
                if request.param("error") == "access_denied"
                else f"{pages.PROVIDER_NAME} không cho đăng nhập."
            )
            return self._failed(message, request.param("error"))
        try:
            if request.param("iss") and request.param("iss") != self.provider.metadata()["issuer"]:
                raise TokenRejected("iss parameter (RFC 9207)")
            token, oauth = self.provider.redeem(
                code=request.param("code"), code_verifier=pending.code_verifier
            )
            id_token = str(token.get("id_token", ""))
            claims = self.provider.verify_id_token(id_token, nonce=pending.nonce)
            userinfo = self.provider.userinfo(oauth)
            if userinfo.get("sub") != claims["sub"]:
                raise TokenRejected("userinfo sub differs from the ID token's")
        except ProviderUnavailable as exc:
            log.warning("provider unavailable: %s", exc)
            return self._failed(UNAVAILABLE, "", status=502)
        except TokenRejected as exc:
            log.warning("sign-in refused: %s", exc)
            return self._failed("Không xác thực được phản hồi của Cổng Dịch vụ công quốc gia.", str(exc))
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            log.warning("sign-in failed: %s", exc)
            return self._failed("Không đổi được mã đăng nhập lấy thông tin người dùng.", type(exc).__name__)
        session = self.store.create_session(
            sub=str(claims["sub"]),
            sid=str(claims.get("sid", "")),
            id_token=id_token,
            claims=claims | userinfo,
        )
        response = redirect("/", 303)
        self._cookie(response, SESSION_COOKIE, session.id)
        self._cookie(response, LOGIN_COOKIE, "", max_age=0)
        return response

    def _failed(self, message: str, detail: str, status: int = 400) -> Response:
        response = pages.error_page(message, detail, status)
        self._cookie(response, LOGIN_COOKIE, "", max_age=0)
        return response

    def logout(self, request: Request) -> Response:
        """POST /logout: end the local session, then RP-initiated logout at the provider."""
        session = self.store.session(request.cookies.get(SESSION_COOKIE, ""))
        if session is None or not _same(session.csrf_token, request.param("csrf_token")):
            return redirect("/", 303)
        self.store.end_session(session.id)
        state = secrets.token_urlsafe(16)
        try:
            end_session = self.provider.metadata()["end_session_endpoint"]
        except (ProviderUnavailable, KeyError):
            response = pages.signed_out_page(f"Bạn đã đăng xuất khỏi {pages.SITE_NAME}.")
        else:
            params = {
                "id_token_hint": session.id_token,
                "post_logout_redirect_uri": self.settings.post_logout_redirect_uri,
                "state": state,
                "client_id": self.settings.client_id,
            }
            response = redirect(add_query(end_session, params), 303)
            self._cookie(response, LOGOUT_COOKIE, state, max_age=LOGIN_TTL)
        self._cookie(response, SESSION_COOKIE, "", max_age=0)
        return response

    def backchannel_logout(self, request: Request) -> Response:
        """POST /backchannel-logout: validate the logout token, end the sessions it names."""
        token = request.param("logout_token")
        if not token:
            return _logout_error("logout_token is missing")
        try:
            claims = self.provider.verify_logout_token(token)
        except ProviderUnavailable as exc:
            log.warning("back-channel logout: provider unavailable: %s", exc)
            return _logout_error("the provider's keys are not available", status=503)
        except TokenRejected as exc:
            log.warning("back-channel logout refused: %s", exc)
            return _logout_error(str(exc))
        keep_until = (
            max(float(claims.get("exp") or 0), float(claims["iat"]) + LOGOUT_TOKEN_MAX_AGE) + CLOCK_SKEW
        )
        if not self.store.first_use_of_jti(str(claims["jti"]), keep_until):
            log.warning("back-channel logout refused: jti replayed")
            return _logout_error("logout token replayed (jti)")
        ended = self.store.end_sessions(sid=claims.get("sid"), sub=claims.get("sub"))
        log.info("back-channel logout: %d session(s) ended", ended)
        return Response(b"", 200, headers=[("Cache-Control", "no-store")])

    def healthz(self, request: Request) -> Response:
        """GET /healthz: 200 when the sandbox is up."""
        return Response(b"ok\n")


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also takes what a browser may send (any characters)."""
    return secrets.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def _logout_error(description: str, status: int = 400) -> Response:
    """Back-Channel Logout 1.0 §2.8: 400 with an OAuth-style error body."""
    return json_response({"error": "invalid_request", "error_description": description}, status)


def build_router(rp: RelyingParty) -> Router:
    router = Router()
    router.add("/", rp.home)
    router.add("/healthz", rp.healthz)
    router.add("/login", rp.login)
    router.add("/callback", rp.callback)
    router.add("/logout", rp.logout, methods=["POST"])
    router.add("/backchannel-logout", rp.backchannel_logout, methods=["POST"])
    return router


def create_app(settings: Settings, provider: Provider | None = None) -> WSGIApplication:
    """The WSGI application of a relying party configured by ``settings``."""
    router = build_router(RelyingParty(settings, provider))

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            response = router.dispatch(Request.from_environ(environ))
        except BadRequest as exc:
            response = Response(f"Bad request: {exc}\n".encode(), 400)
        except Exception:
            log.exception("unhandled error in sandbox-rp")
            response = Response(b"Internal server error\n", 500)
        return response(start_response)

    return application
