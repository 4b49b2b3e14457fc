"""The sandbox identity provider as a WSGI application: the router, and the small endpoints (discovery,
JWKS, logout, health); the authorization and token endpoints live in ``authorize.py`` and ``tokens.py``."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from . import pages
from .authorize import authorize, authorize_submit
from .citizens import LEVEL_ACR, SUPPORTED_SCOPES, CitizenRegistry, all_claim_names, load_citizens
from .config import Settings
from .keys import ALGORITHM, SigningKey
from .provider import SESSION_COOKIE, Provider
from .tokens import token, userinfo
from .web import BadRequest, Request, Response, Router, add_query, json_response, redirect

log = logging.getLogger("sandboxes.idp")


def discovery(provider: Provider, request: Request) -> Response:
    """GET /.well-known/openid-configuration: the provider metadata (OpenID Connect Discovery 1.0)."""
    settings = provider.settings
    metadata: dict[str, Any] = {
        "issuer": settings.issuer,
        "authorization_endpoint": settings.endpoint("/authorize"),
        "token_endpoint": settings.endpoint("/token"),
        "userinfo_endpoint": settings.endpoint("/userinfo"),
        "jwks_uri": settings.endpoint("/jwks"),
        "end_session_endpoint": settings.endpoint("/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": all_claim_names(),
        "acr_values_supported": list(LEVEL_ACR.values()),
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "ui_locales_supported": ["vi"],
        "claims_locales_supported": ["vi"],
    }
    return json_response(metadata, headers=[("Access-Control-Allow-Origin", "*")])


def jwks(provider: Provider, request: Request) -> Response:
    """GET /jwks: the public signing key(s), with kid, alg RS256 and use sig."""
    response = json_response(provider.key.jwks(), headers=[("Access-Control-Allow-Origin", "*")])
    response.content_type = "application/jwk-set+json"
    return response


def _hint_matches(provider: Provider, id_token_hint: str) -> bool:
    """Whether an id_token_hint was signed by this sandbox for the registered client (expiry is ignored)."""
    claims = provider.key.verify(id_token_hint)
    if claims is None or claims.get("iss") != provider.settings.issuer:
        return False
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    return provider.settings.client_id in audiences


def logout(provider: Provider, request: Request) -> Response:
    """GET|POST /logout (RP-initiated logout): end the IdP session, then go back to post_logout_redirect_uri
    (with ``state``) when it is allowed and the optional id_token_hint and client_id check out; otherwise
    show a page saying the citizen has signed out."""
    settings = provider.settings
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id:
        provider.store.drop_session(session_id)
    target = request.param("post_logout_redirect_uri")
    client_id, hint = request.param("client_id"), request.param("id_token_hint")
    allowed = (
        bool(target)
        and settings.post_logout_redirect_allowed(target)
        and (not client_id or client_id == settings.client_id)
        and (not hint or _hint_matches(provider, hint))
    )
    if allowed:
        response = redirect(add_query(target, {"state": request.param("state")}))
    else:
        note = "Địa chỉ quay lại không được đăng ký nên hệ thống không chuyển hướng." if target else ""
        response = pages.logged_out_page(note)
    response.set_cookie(SESSION_COOKIE, "", secure=settings.secure_cookies, max_age=0)
    return response


def healthz(provider: Provider, request: Request) -> Response:
    """GET /healthz: 200 when the sandbox is up (for process supervisors and test fixtures)."""
    return Response(b"ok\n")


def home(provider: Provider, request: Request) -> Response:
    """GET /: a page explaining the sandbox and listing the test citizens."""
    return pages.home_page(provider.registry, provider.settings.endpoint("/.well-known/openid-configuration"))


def build_router(provider: Provider) -> Router:
    """Every endpoint of the sandbox, by path and method."""
    router = Router(provider.settings.path_prefix)
    router.add("/", partial(home, provider))
    router.add("/healthz", partial(healthz, provider))
    router.add("/.well-known/openid-configuration", partial(discovery, provider))
    router.add("/jwks", partial(jwks, provider))
    router.add("/authorize", partial(authorize, provider))
    router.add("/authorize", partial(authorize_submit, provider), methods=["POST"])
    router.add("/token", partial(token, provider), methods=["POST"])
    router.add("/userinfo", partial(userinfo, provider), methods=["GET", "POST"])
    router.add("/logout", partial(logout, provider), methods=["GET", "POST"])
    return router


def create_app(
    settings: Settings, registry: CitizenRegistry | None = None, key: SigningKey | None = None
) -> WSGIApplication:
    """The WSGI application of a sandbox configured by ``settings`` (the key file is created if missing)."""
    provider = Provider(
        settings=settings,
        key=key or SigningKey.load_or_create(settings.key_file),
        registry=registry or load_citizens(),
    )
    router = build_router(provider)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Parse the request, dispatch it, and turn unexpected failures into a 500."""
        try:
            response = router.dispatch(Request.from_environ(environ))
        except BadRequest as exc:
            response = Response(f"Bad request: {exc}\n".encode(), 400)
        except Exception:
            log.exception("unhandled error in sandbox-idp")
            response = Response(b"Internal server error\n", 500)
        return response(start_response)

    return application
