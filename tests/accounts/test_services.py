"""Account services: identity linking, roles, consent, single sign-out delivery, keys, passwords, audit."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dichvucong.accounts import keys, services, sso
from dichvucong.accounts.models import (
    BackchannelLogout,
    LogoutStatus,
    PortalSession,
    RelyingPartySession,
    User,
)
from dichvucong.core import audit
from dichvucong.core.errors import DomainError, ValidationFailed
from dichvucong.core.models import AuditEvent
from tests.conftest import make_citizen, make_officer, make_operator, portal_session_cookie

pytestmark = pytest.mark.django_db

IDENTITY = services.VerifiedIdentity(
    provider="vneid",
    subject="sub-123",
    assurance_level=2,
    citizen_id="001085012345",
    full_name="Nguyễn Văn An",
    date_of_birth=dt.date(1985, 3, 2),
    sex="male",
    phone="+84912000111",
    email="an@example.vn",
    commune_code="00004",
    address_line="1 Hoàng Diệu",
)


def test_a_verified_identity_makes_a_level_2_account_with_its_address() -> None:
    user = services.account_for_identity(identity=IDENTITY, request=None)
    assert user.assurance_level == 2 and user.citizen_id_verified and user.identity_source == "vneid"
    assert user.address_unit is not None and user.address_unit.code == "00004"
    assert user.phone == "0912000111"
    again = services.account_for_identity(identity=IDENTITY, request=None)
    assert again.pk == user.pk and User.objects.count() == 1


def test_a_verified_identity_takes_over_the_local_account_that_declared_its_number() -> None:
    local = make_citizen(citizen_id="001085012345", citizen_id_verified=False)
    user = services.account_for_identity(identity=IDENTITY, request=None)
    assert user.pk == local.pk
    assert user.citizen_id_verified and user.idp_subject == "sub-123"
    assert AuditEvent.objects.filter(action="account.identity_verified", actor_id=local.pk).exists()


def test_an_identity_inconsistent_with_its_number_is_refused() -> None:
    wrong = services.VerifiedIdentity(**{**IDENTITY.__dict__, "date_of_birth": dt.date(1990, 1, 1)})
    with pytest.raises(ValidationFailed):
        services.account_for_identity(identity=wrong, request=None)
    assert not User.objects.exists()


def test_role_changes_are_audited() -> None:
    operator = make_operator()
    officer = make_officer("UBND-01")
    services.grant_role(actor=operator, request=None, officer=officer, role="catalogue_editor")
    services.grant_role(actor=operator, request=None, officer=officer, role="catalogue_editor")  # idempotent
    services.revoke_role(actor=operator, request=None, officer=officer, role="catalogue_editor")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["role.granted", "role.revoked"]
    assert officer.has_perm("catalogue.change_procedure") is False
    with pytest.raises(DomainError):
        services.grant_role(actor=operator, request=None, officer=officer, role="superuser")


def test_roles_give_their_permissions_and_operators_every_portal_permission() -> None:
    officer = make_officer("UBND-01", roles=("catalogue_editor",))
    assert officer.has_perm("catalogue.change_procedure")
    assert not officer.has_perm("organisations.change_agency")
    operator = make_operator()
    assert operator.has_perm("organisations.change_agency") and operator.has_perm("accounts.add_relyingparty")
    assert not operator.has_perm("auth.change_permission")


def test_audit_events_cannot_be_changed_or_deleted() -> None:
    event = audit.record("test.happened", detail={"n": 1})
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_audit_events_cannot_be_deleted_in_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot tell a test flush from a delete; the model refuses deletes there")
    event = audit.record("test.happened")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])


def test_passwords_are_argon2id_with_the_configured_parameters(settings: Any) -> None:
    encoded = make_password("Mat-khau-2026!")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    settings.ARGON2_MEMORY_KIB = 8192
    from django.contrib.auth.hashers import get_hashers

    get_hashers.cache_clear()
    try:
        assert make_password("x" * 12).startswith("argon2$argon2id$v=19$m=8192,t=2,p=1$")
    finally:
        get_hashers.cache_clear()


def test_key_rotation_publishes_the_old_key_until_its_window_ends(settings: Any) -> None:
    first = keys.ensure_signing_key()
    second = services.rotate_signing_key(actor=None, request=None)
    kids = {k["kid"] for k in keys.public_jwks()["keys"]}
    assert kids == {first.kid, second.kid}
    settings.OIDC_RETIRED_KEY_PUBLISH_SECONDS = 0
    type(first).objects.filter(pk=first.pk).update(retired_at=timezone.now() - dt.timedelta(seconds=1))
    keys.forget_cached_key()  # each process caches the published keys for a few seconds
    assert {k["kid"] for k in keys.public_jwks()["keys"]} == {second.kid}
    assert AuditEvent.objects.filter(action="oidc.signing_key_rotated").exists()


@pytest.fixture
def flaky_receiver() -> Iterator[dict[str, Any]]:
    """A back-channel logout endpoint that fails until told to work."""
    state: dict[str, Any] = {"ok": False, "received": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state["received"] += 1
            self.send_response(200 if state["ok"] else 503)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/bcl"
    yield state
    server.shutdown()


def test_a_failed_backchannel_logout_is_retried_by_the_sweep(flaky_receiver: dict[str, Any]) -> None:
    party, _secret = services.register_relying_party(
        actor=None,
        request=None,
        name="Cổng DVC thử",
        agency=None,
        redirect_uris=["https://rp.example.vn/cb"],
        post_logout_redirect_uris=[],
        backchannel_logout_uri=flaky_receiver["url"],
    )
    user = make_citizen()
    portal_session_cookie(user)
    session = PortalSession.objects.get(user=user)
    RelyingPartySession.objects.create(portal_session=session, relying_party=party, code_hash="x" * 64)
    with transaction.atomic():
        rows = sso.end_portal_session(session, reason="revoked")
    assert sso.deliver(rows) == 0
    row = BackchannelLogout.objects.get()
    assert row.status == LogoutStatus.PENDING and row.attempts == 1 and row.last_error == "HTTP 503"
    assert sso.deliver_pending_logouts() == 0  # not due yet: back-off
    BackchannelLogout.objects.update(next_attempt_at=timezone.now())
    flaky_receiver["ok"] = True
    assert sso.deliver_pending_logouts() == 1
    row.refresh_from_db()
    assert row.status == LogoutStatus.DELIVERED and flaky_receiver["received"] == 2


def test_withdrawing_consent_revokes_the_relying_partys_tokens() -> None:
    from oauth2_provider.models import AccessToken, RefreshToken

    from dichvucong.accounts.models import Consent

    user = make_citizen()
    party, _secret = services.register_relying_party(
        actor=None,
        request=None,
        name="Cổng",
        agency=None,
        redirect_uris=["https://a.example/cb"],
        post_logout_redirect_uris=[],
    )
    Consent.objects.create(user=user, relying_party=party, scopes="openid profile")
    access = AccessToken.objects.create(
        user=user,
        application=party,
        token="a" * 40,
        expires=timezone.now() + dt.timedelta(hours=1),
        scope="openid",
    )
    RefreshToken.objects.create(user=user, application=party, token="r" * 40, access_token=access)

    class Request:
        META: dict[str, str] = {}
        user: Any = None

    services.withdraw_consent(request=Request(), user=user, relying_party=party)  # type: ignore[arg-type]
    assert not Consent.objects.exists() and not AccessToken.objects.exists()
    assert RefreshToken.objects.get().revoked is not None


def test_a_business_is_registered_by_a_valid_tax_code_and_acts_through_its_representative() -> None:
    from dichvucong.accounts.oidc import user_claims

    with pytest.raises(ValidationFailed):
        services.register_business(
            actor=None, request=None, tax_code="0300588568", name="Sai mã"
        )  # check digit
    business = services.register_business(
        actor=None, request=None, tax_code="0300588569", name="Công ty CP Sữa Việt Nam"
    )
    again = services.register_business(actor=None, request=None, tax_code="0300588569", name="x")
    assert again.pk == business.pk
    person = make_citizen()
    services.add_representative(actor=None, request=None, business=business, user=person, role="legal")
    assert user_claims(person)["business"] == [
        {"tax_code": "0300588569", "name": "Công ty CP Sữa Việt Nam", "role": "legal"}
    ]
    with pytest.raises(DomainError):
        services.add_representative(
            actor=None, request=None, business=business, user=make_operator(), role="legal"
        )
