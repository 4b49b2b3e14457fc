"""Shared test set-up: the register of agencies is loaded once per test database, and factories make the
catalogue records each test needs."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dichvucong.catalogue.records import FaqRecord, ProcedureRecord
from dichvucong.organisations.services import sync_register


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, request: pytest.FixtureRequest
) -> None:
    """On SQLite the test database is a file (in /dev/shm where there is one), each worker its own, not
    SQLite's in-memory database. With an in-memory database pytest-django hands the test thread's connection
    to the live server's threads, so a browser test's direct calls (the outbox delivering a dossier) and the
    requests the server answers meanwhile (a sandbox pushing a status) share one transaction state: one
    thread's commit or rollback takes the other's writes with it. A file gives every thread its own
    connection, WAL and the busy timeout, as the portal runs. `TEST_DATABASE_NAME` still chooses the file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or database.get("TEST", {}).get("NAME"):
        return
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    shm = Path("/dev/shm")
    folder = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    database.setdefault("TEST", {})["NAME"] = str(folder / f"dichvucong-test-{os.getpid()}-{worker}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        sync_register()
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the portal's language (Vietnamese), whatever the test before it on this worker did."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Rendered fragments are keyed by row ids, which tests reuse."""
    from django.core.cache import cache

    from dichvucong.accounts import keys

    cache.clear()
    keys.forget_cached_key()  # tables are emptied between tests; a process would never lose its keys


@pytest.fixture(autouse=True)
def _register_present(request: pytest.FixtureRequest) -> None:
    """Transactional tests (browser tests) flush every table when they end; reload the register for the tests
    that come after them on the same worker."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
        "client",
    } & set(request.fixturenames)
    if not uses_db:
        return
    request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
    from dichvucong.organisations.models import Agency

    if not Agency.objects.exists():
        sync_register()


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


PASSPORT: dict[str, Any] = {
    "code": "1.001456",
    "name": "Cấp hộ chiếu phổ thông ở trong nước",
    "name_en": "Issuance of an ordinary passport in Vietnam",
    "summary": "Công dân Việt Nam đề nghị cấp, cấp lại hộ chiếu phổ thông tại cơ quan Quản lý xuất nhập cảnh.",
    "summary_en": "Vietnamese citizens apply for a first or replacement ordinary passport.",
    "levels": ["province"],
    "fields": ["Quản lý xuất nhập cảnh"],
    "audiences": ["citizen"],
    "managing_agency": "XNC",
    "competent_agency": "Cơ quan Quản lý xuất nhập cảnh Công an cấp tỉnh",
    "steps": [
        {"title": "Nộp hồ sơ", "description": "Nộp tờ khai và ảnh tại cơ quan Quản lý xuất nhập cảnh."},
        {"title": "Nhận kết quả", "description": "Nhận hộ chiếu sau 8 ngày làm việc.", "title_en": "Receive"},
    ],
    "methods": [
        {
            "channel": "in_person",
            "time_limit": 8,
            "time_unit": "working_days",
            "fees": [{"amount": 200000, "description": "Lệ phí cấp hộ chiếu"}],
        },
        {
            "channel": "online",
            "time_limit": 8,
            "time_unit": "working_days",
            "fees": [{"amount": 160000, "description": "Lệ phí cấp hộ chiếu trực tuyến"}],
        },
    ],
    "documents": [{"name": "Tờ khai đề nghị cấp hộ chiếu (mẫu TK01)", "originals": 1, "copies": 0}],
    "results": [{"name": "Hộ chiếu phổ thông"}],
    "legal_basis": [{"number": "49/2019/QH14", "title": "Luật Xuất cảnh, nhập cảnh của công dân Việt Nam"}],
    "online_level": "full",
    "source": "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001456",
}


def procedure_data(**overrides: Any) -> dict[str, Any]:
    """A valid procedure record (the passport procedure) with `overrides` applied."""
    data = copy.deepcopy(PASSPORT)
    data.update(overrides)
    return data


def make_procedure(**overrides: Any) -> Any:
    from dichvucong.catalogue.services import save_procedure

    procedure, _ = save_procedure(record=ProcedureRecord.model_validate(procedure_data(**overrides)))
    return procedure


def make_faq(**overrides: Any) -> Any:
    from dichvucong.catalogue.services import save_faq

    data: dict[str, Any] = {
        "code": "HD-XNC-001",
        "question": "Làm lại hộ chiếu mất bao lâu?",
        "answer": "Cơ quan Quản lý xuất nhập cảnh trả hộ chiếu trong 8 ngày làm việc.",
        "procedures": ["1.001456"],
        "field": "Quản lý xuất nhập cảnh",
        "agency": "XNC",
        "source": "Luật Xuất cảnh, nhập cảnh của công dân Việt Nam 2019",
    }
    data.update(overrides)
    save_faq(record=FaqRecord.model_validate(data))
    from dichvucong.catalogue.models import Faq

    return Faq.objects.get(code=data["code"])


@pytest.fixture
def passport(db: None) -> Any:
    return make_procedure()


# --- accounts --------------------------------------------------------------------------------------------------

PASSWORD = "Mat-khau-2026!"


def make_citizen(**overrides: Any) -> Any:
    from dichvucong.accounts.models import AccountKind, User

    values: dict[str, Any] = {
        "username": overrides.get("phone") or "0912345678",
        "kind": AccountKind.CITIZEN,
        "full_name": "Nguyễn Văn An",
        "phone": "0912345678",
        "phone_verified": True,
        "email": "an.nguyen@example.vn",
    }
    values.update(overrides)
    user = User(**values)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_officer(
    agency_code: str, *, username: str | None = None, roles: tuple[str, ...] = (), **overrides: Any
) -> Any:
    from dichvucong.accounts.models import AccountKind, OfficerRole, User
    from dichvucong.organisations.models import Agency

    values: dict[str, Any] = {
        "username": username or f"canbo-{agency_code.lower()}",
        "kind": AccountKind.OFFICER,
        "full_name": f"Cán bộ {agency_code}",
        "agency": Agency.objects.get(code=agency_code),
        "is_staff": True,
    }
    user = User(**(values | overrides))
    user.set_password(PASSWORD)
    user.save()
    for role in roles:
        OfficerRole.objects.create(user=user, role=role)
    return user


def make_operator(username: str = "quantri") -> Any:
    from dichvucong.accounts.models import AccountKind, User

    user = User(username=username, kind=AccountKind.OPERATOR, full_name="Quản trị viên", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def portal_session_cookie(user: Any, method: str = "test") -> str:
    """A signed-in browser session for `user`, made the way the sign-in pages make it (portal session and
    all), without going through a sign-in page; returns the session key for the `sessionid` cookie."""
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from dichvucong.accounts import services

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = user
    services.sign_in(request=request, user=user, method=method)
    request.session.save()
    assert request.session.session_key
    return request.session.session_key


def verified_staff_client(client: Any, user: Any) -> Any:
    """A Django test client signed in as staff who passed the second factor (django-otp)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = portal_session_cookie(user, method="staff")
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session.__class__(session_key=key)
    session["otp_device_id"] = device.persistent_id
    session.save()
    client.cookies["sessionid"] = key
    return client


@pytest.fixture(autouse=True)
def _sms_in_memory(settings: Any) -> Iterator[list[Any]]:
    """Text messages stay in memory (`dichvucong.core.messaging.outbox`), never in var/."""
    from dichvucong.core import messaging

    settings.SMS_BACKEND = "dichvucong.core.messaging.MemorySmsBackend"
    messaging.outbox.clear()
    yield messaging.outbox
    messaging.outbox.clear()


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    """pytest-django's admin client, with the second factor the back office requires."""
    return verified_staff_client(client, admin_user)


@pytest.fixture(autouse=True)
def _outbox_not_dispatched(settings: Any) -> None:
    """Nothing leaves the test process on its own: a test that wants a message delivered calls
    `outbox.deliver` or `outbox.deliver_due` (or runs a real worker, which sets its own settings)."""
    settings.OUTBOX_DISPATCH = "none"
