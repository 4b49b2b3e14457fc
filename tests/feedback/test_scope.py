"""Acceptance 3 (feedback): officers of one agency cannot read another agency's feedback through any page or API.

Feedback forwarded to Hà Nội (A), to Hồ Chí Minh City (B), to a commune of Hà Nội, to another commune of Hà Nội,
and one not forwarded yet. An officer of A sees A's and its communes'; B's and the unforwarded one answer 404 (not
403) on every back-office URL and every officer API operation, whatever the method — the URLs are read from the
admin's `get_urls()` and the API's OpenAPI document, so that a URL added later is covered or fails this test. A
commune's officer sees their commune's only; an operator sees everything."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dichvucong.accounts.roles import Role
from dichvucong.core.models import AuditEvent
from dichvucong.feedback.models import Feedback, FeedbackEvent
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer, verified_staff_client
from tests.feedback.factories import PUBLIC, forwarded_feedback, make_feedback, operator

pytestmark = pytest.mark.django_db

API = "/api/v1/officer/feedback"
HANOI_COMMUNE = "UBND-00004"

# Every URL the back office has for feedback, and how it is reached (object: the feedback's id; attachment: the
# id of one of its files; list: no id). A new URL fails `test_every_url_is_covered` until it is added here.
ADMIN_URLS = {
    "feedback_feedback_changelist": "list",
    "feedback_feedback_add": "list",
    "feedback_feedback_change": "object",
    "feedback_feedback_history": "object",
    "feedback_feedback_delete": "object",
    "feedback_feedback_accept": "object",
    "feedback_feedback_refuse": "object",
    "feedback_feedback_merge": "object",
    "feedback_feedback_forward": "object",
    "feedback_feedback_answer": "object",
    "feedback_feedback_transfer": "object",
    "feedback_feedback_publish": "object",
    "feedback_feedback_attachment": "attachment",
    None: "object",  # <path:object_id>/ redirects to the change page
}
# Every officer API operation on feedback, with the body its POST needs (valid, so that only the scope decides).
API_OPERATIONS: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/officer/feedback"): None,
    ("GET", "/api/v1/officer/feedback/{code}"): None,
    ("GET", "/api/v1/officer/feedback/{code}/publication"): None,
    ("POST", "/api/v1/officer/feedback/{code}/answer"): {"text": "Đã xử lý xong."},
    ("POST", "/api/v1/officer/feedback/{code}/transfer"): {"agency": "UBND-01", "reason": "Thuộc Hà Nội."},
    ("POST", "/api/v1/officer/feedback/{code}/publish"): {**PUBLIC, "public_interest": True},
    ("POST", "/api/v1/officer/feedback/{code}/accept"): {},
    ("POST", "/api/v1/officer/feedback/{code}/refuse"): {"reason": "Không thuộc phạm vi."},
    ("POST", "/api/v1/officer/feedback/{code}/merge"): {"into_code": "PAKN-000000-000000"},
    ("POST", "/api/v1/officer/feedback/{code}/forward"): {"agency": "UBND-01"},
}


@dataclass
class World:
    mine: Feedback  # forwarded to Hà Nội's People's Committee (A)
    commune: Feedback  # forwarded to a commune of Hà Nội
    sibling: Feedback  # forwarded to another commune of Hà Nội
    theirs: Feedback  # forwarded to Hồ Chí Minh City's People's Committee (B)
    unforwarded: Feedback

    @property
    def hidden_from_a(self) -> list[Feedback]:
        return [self.theirs, self.unforwarded]


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"1" * 100, content_type="application/pdf")


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    sibling_code = (
        Agency.objects.filter(parent__code="UBND-01").exclude(code=HANOI_COMMUNE).order_by("code").first()
    )
    assert sibling_code is not None

    def made(agency: str | None, marker: str) -> Feedback:
        values: dict[str, Any] = {
            "title": f"Phản ánh {marker} về thủ tục",
            "content": f"Nội dung phản ánh riêng {marker}, hồ sơ bị trả kết quả chậm nhiều ngày.",
            "attachments": (_pdf(f"tep-{marker}.pdf"),),
        }
        found = forwarded_feedback(agency, **values) if agency else make_feedback(**values)
        return Feedback.objects.get(pk=found.pk)

    return World(
        mine=made("UBND-01", "HANOIMARK"),
        commune=made(HANOI_COMMUNE, "COMMUNEMARK"),
        sibling=made(sibling_code.code, "SIBLINGMARK"),
        theirs=made("UBND-79", "HCMMARK"),
        unforwarded=made(None, "NEWMARK"),
    )


def _marker(feedback: Feedback) -> str:
    found = re.search(r"riêng (\w+)", feedback.content)
    assert found
    return found.group(1)


@pytest.fixture
def officer_a(client: Client, world: World) -> Client:
    return verified_staff_client(client, make_officer("UBND-01", roles=(Role.HANDLER, Role.HEAD)))


def _admin_patterns() -> list[Any]:
    return admin.site._registry[Feedback].get_urls()


def _admin_url(pattern: Any, feedback: Feedback) -> str:
    kind = ADMIN_URLS[pattern.name]
    route = str(pattern.pattern)
    if kind == "list":
        return reverse(f"admin:{pattern.name}")
    if kind == "attachment":
        return reverse(f"admin:{pattern.name}", args=[feedback.attachments.get().pk])
    if pattern.name is None:
        return reverse("admin:feedback_feedback_changelist") + route.replace(
            "<path:object_id>", str(feedback.pk)
        )
    return reverse(f"admin:{pattern.name}", args=[feedback.pk])


def _api_operations() -> list[tuple[str, str]]:
    from dichvucong.api.urls import api

    return [
        (method.upper(), path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        if path.startswith(API)
        for method in operations
    ]


def _call(client: Client, method: str, path: str, code: str) -> Any:
    url = path.replace("{code}", code)
    if method == "GET":
        return client.get(url)
    body = API_OPERATIONS[(method, path)]
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def _listed(page: Any) -> list[str]:
    """The codes in the changelist's result rows (the page also repeats the search term)."""
    return [f.code for f in page.context["cl"].result_list]


def _state(feedback: Feedback) -> dict[str, Any]:
    return Feedback.objects.filter(pk=feedback.pk).values().get()


# --- coverage ---------------------------------------------------------------------------------------------------


def test_every_url_is_covered() -> None:
    """A URL added to the admin or the API without being added to this test's tables fails here."""
    assert {p.name for p in _admin_patterns()} == set(ADMIN_URLS)
    assert set(_api_operations()) == set(API_OPERATIONS)


# --- the back office --------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_agencys_own_and_its_communes(officer_a: Client, world: World) -> None:
    page = officer_a.get(reverse("admin:feedback_feedback_changelist"))
    assert page.status_code == 200
    for shown in (world.mine, world.commune, world.sibling):
        assert shown.code.encode() in page.content
    for hidden in world.hidden_from_a:
        assert hidden.code.encode() not in page.content
        assert _marker(hidden).encode() not in page.content


def test_searching_does_not_find_another_agencys_feedback(officer_a: Client, world: World) -> None:
    changelist = reverse("admin:feedback_feedback_changelist")
    for hidden in world.hidden_from_a:
        for term in (hidden.code, hidden.title, "HCMMARK" if hidden == world.theirs else "NEWMARK"):
            page = officer_a.get(changelist, {"q": term})
            assert page.status_code == 200
            assert _listed(page) == [], term
    # The control: the officer's own feedback is found the same ways.
    assert _listed(officer_a.get(changelist, {"q": world.mine.code})) == [world.mine.code]
    assert _listed(officer_a.get(changelist, {"q": world.mine.title})) == [world.mine.code]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_back_office_url_answers_404_for_another_agencys_feedback(
    officer_a: Client, world: World, method: str
) -> None:
    before = {f.pk: _state(f) for f in world.hidden_from_a}
    for hidden in world.hidden_from_a:
        for pattern in _admin_patterns():
            if ADMIN_URLS[pattern.name] == "list":
                continue
            url = _admin_url(pattern, hidden)
            data = {"text": "x", "reason": "x", "agency": "UBND-01", "into_code": world.mine.code, **PUBLIC}
            response = officer_a.get(url) if method == "GET" else officer_a.post(url, data)
            if pattern.name is None and response.status_code == 302:  # the old-style URL redirects first
                response = officer_a.get(response["Location"])
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            assert _marker(hidden).encode() not in response.content
    assert {f.pk: _state(f) for f in world.hidden_from_a} == before
    assert (
        not AuditEvent.objects.filter(
            object_type="feedback.feedback", object_id__in=[str(f.pk) for f in world.hidden_from_a]
        )
        .exclude(actor_id=operator().pk)
        .exists()
    )


def test_the_same_urls_open_for_the_officers_own_feedback(officer_a: Client, world: World) -> None:
    """The control: none of the URLs above answers 404 for the officer's own feedback."""
    for pattern in _admin_patterns():
        url = _admin_url(pattern, world.mine)
        response = officer_a.get(url, follow=pattern.name is None)
        assert response.status_code in (200, 403), f"GET {url} answered {response.status_code}"
    change = officer_a.get(
        _admin_url(next(p for p in _admin_patterns() if p.name.endswith("_change")), world.mine)
    )
    assert _marker(world.mine).encode() in change.content


def test_a_communes_officer_sees_only_the_communes_feedback(client: Client, world: World) -> None:
    commune_officer = make_officer(HANOI_COMMUNE, username="canbo-xa", roles=(Role.HANDLER,))
    verified_staff_client(client, commune_officer)
    page = client.get(reverse("admin:feedback_feedback_changelist"))
    assert world.commune.code.encode() in page.content
    for hidden in (world.mine, world.sibling, *world.hidden_from_a):
        assert hidden.code.encode() not in page.content
        assert client.get(reverse("admin:feedback_feedback_change", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("admin:feedback_feedback_change", args=[world.commune.pk])).status_code == 200
    listed = client.get(API).json()
    assert [item["code"] for item in listed["items"]] == [world.commune.code]
    assert client.get(f"{API}/{world.mine.code}").status_code == 404


def test_an_operator_sees_everything(client: Client, world: World) -> None:
    verified_staff_client(client, operator())
    page = client.get(reverse("admin:feedback_feedback_changelist"))
    everything = (world.mine, world.commune, world.sibling, *world.hidden_from_a)
    for shown in everything:
        assert shown.code.encode() in page.content
        assert client.get(reverse("admin:feedback_feedback_change", args=[shown.pk])).status_code == 200
    assert {item["code"] for item in client.get(API).json()["items"]} == {f.code for f in everything}


# --- the officer API --------------------------------------------------------------------------------------------


def test_the_api_lists_only_the_agencys_own_and_its_communes(officer_a: Client, world: World) -> None:
    listed = officer_a.get(API, {"limit": 200})
    assert listed.status_code == 200
    assert {item["code"] for item in listed.json()["items"]} == {
        world.mine.code,
        world.commune.code,
        world.sibling.code,
    }
    for hidden in world.hidden_from_a:
        searched = officer_a.get(API, {"q": hidden.code})
        assert searched.json()["items"] == [] and searched.json()["total"] == 0
        assert officer_a.get(API, {"q": hidden.title}).json()["items"] == []


def test_every_api_operation_answers_404_for_another_agencys_feedback(
    officer_a: Client, world: World
) -> None:
    before = {f.pk: _state(f) for f in world.hidden_from_a}
    events = FeedbackEvent.objects.count()
    for hidden in world.hidden_from_a:
        for method, path in _api_operations():
            if "{code}" not in path:
                continue
            response = _call(officer_a, method, path, hidden.code)
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            assert response["Content-Type"] == "application/problem+json"
            assert _marker(hidden).encode() not in response.content
            assert hidden.code.encode() not in response.content.replace(b"/" + hidden.code.encode(), b"")
    assert {f.pk: _state(f) for f in world.hidden_from_a} == before
    assert FeedbackEvent.objects.count() == events


def test_every_api_operation_reaches_the_officers_own_feedback(officer_a: Client, world: World) -> None:
    """The control: the same operations on the officer's own feedback are not 404 (operators' steps are 403, a
    step the state does not allow 409, a rule of the step 400 or 422)."""
    for method, path in _api_operations():
        if "{code}" not in path:
            continue
        response = _call(officer_a, method, path, world.mine.code)
        assert response.status_code in (200, 400, 403, 409, 422), (
            f"{method} {path} answered {response.status_code}: {response.content[:200]!r}"
        )
    assert officer_a.get(f"{API}/{world.mine.code}").json()["code"] == world.mine.code
