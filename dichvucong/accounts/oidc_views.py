"""The OpenID Connect provider's endpoints: django-oauth-toolkit's views with what the portal adds —
consent remembered per relying party, `prompt=none`, the portal session recorded against each sign-in,
keys from the key table, back-channel logout advertised and performed on RP-initiated logout."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from oauth2_provider import views as dot
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.views.oidc import ConnectDiscoveryInfoView, JwksInfoView, RPInitiatedLogoutView

from . import keys, services, sso
from .models import Consent, RelyingParty
from .oidc import ACR_PREFIX


class PortalAuthorizationView(dot.AuthorizationView):
    template_name = "accounts/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prompt = set(request.GET.get("prompt", "").split())
        if "none" in prompt and not request.user.is_authenticated:
            return self._prompt_none_error(request)
        if request.user.is_authenticated and sso.current_portal_session(request) is None:
            # A session from before the portal sessions were recorded, or one revoked elsewhere: sign in again.
            services.sign_out(request=request)
        return super().dispatch(request, *args, **kwargs)

    def _prompt_none_error(self, request: HttpRequest) -> HttpResponse:
        """OIDC Core §3.1.2.6: without a session, answer `login_required` to a registered redirect URI."""
        party = RelyingParty.objects.filter(client_id=request.GET.get("client_id", "")).first()
        redirect_uri = request.GET.get("redirect_uri", "")
        if party is None or not party.redirect_uri_allowed(redirect_uri):
            return HttpResponse(_("Yêu cầu đăng nhập không hợp lệ."), status=400)
        params = {"error": "login_required"}
        if request.GET.get("state"):
            params["state"] = request.GET["state"]
        return HttpResponseRedirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(params)}")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prompt = set(request.GET.get("prompt", "").split())
        if not prompt & {"consent", "login"}:
            try:
                scopes, credentials = self.validate_authorization_request(request)
            except OAuthToolkitError as error:
                return self.error_response(error, application=None)
            party = RelyingParty.objects.get(client_id=credentials["client_id"])
            consent = Consent.objects.filter(user_id=request.user.pk or 0, relying_party=party).first()
            if consent is not None and set(scopes) <= consent.scope_set:
                try:
                    uri, _headers, _body, _status = self.create_authorization_response(
                        request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                    )
                except OAuthToolkitError as error:
                    return self.error_response(error, party)
                return self.redirect(uri, party)
            if "none" in prompt:
                return self._redirect_error(credentials, "consent_required")
        return super().get(request, *args, **kwargs)

    def _redirect_error(self, credentials: dict[str, Any], error: str) -> HttpResponse:
        params = {"error": error}
        if credentials.get("state"):
            params["state"] = credentials["state"]
        uri = credentials["redirect_uri"]
        return HttpResponseRedirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("allow") and response.status_code in (301, 302):
            party = RelyingParty.objects.get(client_id=form.cleaned_data["client_id"])
            services.remember_consent(
                request=self.request,
                user=self.request.user,
                relying_party=party,
                scopes=form.cleaned_data.get("scope", "").split(),
            )
        return response

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        """Every code given out is remembered against the portal session, for the `sid` and single sign-out."""
        session = sso.current_portal_session(self.request)
        if session is not None and application is not None:
            sso.record_authorization(
                portal_session=session, relying_party=application, redirect_uri=redirect_to
            )
        return super().redirect(redirect_to, application)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["user_summary"] = self.request.user
        return context


class PortalDiscoveryView(ConnectDiscoveryInfoView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            {
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
                "code_challenge_methods_supported": ["S256"],
                "acr_values_supported": [f"{ACR_PREFIX}1", f"{ACR_PREFIX}2"],
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
                "frontchannel_logout_supported": False,
                "revocation_endpoint": request.build_absolute_uri("/oidc/revoke_token/"),
                "introspection_endpoint": request.build_absolute_uri("/oidc/introspect/"),
                "ui_locales_supported": ["vi", "en"],
            }
        )
        result = JsonResponse(data)
        result["Access-Control-Allow-Origin"] = "*"
        return result


class PortalJwksView(JwksInfoView):
    """The active key and the retired keys still in their publication window (key rotation)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = JsonResponse(keys.public_jwks())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response


class PortalLogoutView(RPInitiatedLogoutView):
    """RP-initiated logout that also signs out of every other relying party (back-channel)."""

    template_name = "accounts/logout_confirm.html"

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        if self.request.user.is_authenticated:
            services.sign_out(request=self.request)
        return super().do_logout(application, post_logout_redirect_uri, state, token_user)


app_name = "oauth2_provider"
urlpatterns = [
    path("authorize/", PortalAuthorizationView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", dot.IntrospectTokenView.as_view(), name="introspect"),
    path(
        ".well-known/openid-configuration", PortalDiscoveryView.as_view(), name="oidc-connect-discovery-info"
    ),
    path("jwks/", PortalJwksView.as_view(), name="jwks-info"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("logout/", PortalLogoutView.as_view(), name="rp-initiated-logout"),
]
