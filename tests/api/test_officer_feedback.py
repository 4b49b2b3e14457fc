"""The officer API for feedback: the list of the agencies in scope (status, words, overdue, pages), one feedback
with its whole timeline, the handling agency's steps (answer, transfer, publish) and the operators' (accept,
refuse, merge, forward); roles decide who may act (403), the state what may be done (409), the rules what is
accepted (422, the fields at fault in RFC 9457 problem JSON)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dichvucong.accounts.roles import Role
from dichvucong.core.models import AuditEvent
from dichvucong.feedback.models import Action, AlertStage, Feedback, FeedbackAlert, FeedbackEvent, Status
from tests.conftest import make_officer, verified_staff_client
from tests.feedback.factories import (
    PUBLIC,
    SENDER_NAME,
    answered_feedback,
    forwarded_feedback,
    handler,
    make_feedback,
    operator,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/officer/feedback"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(client: Client) -> Client:
    """A handler of Hà Nội's People's Committee."""
    return verified_staff_client(client, handler("UBND-01"))


@pytest.fixture
def operator_api(client: Client) -> Client:
    return verified_staff_client(client, operator())


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


# --- list ------------------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_words_and_overdue(officer: Client) -> None:
    now = timezone.now()
    late = forwarded_feedback("UBND-01", now=now - dt.timedelta(days=60), title="Chậm cấp giấy phép xây dựng")
    fresh = forwarded_feedback("UBND-01", now=now, title="Cán bộ hướng dẫn không rõ ràng")
    answered = answered_feedback("UBND-01", now=now, title="Đã trả lời về hộ tịch")
    assert set(codes(officer.get(BASE))) == {late.code, fresh.code, answered.code}
    assert codes(officer.get(BASE, {"status": "answered"})) == [answered.code]
    assert codes(officer.get(BASE, {"overdue": "true"})) == [late.code]
    assert codes(officer.get(BASE, {"q": fresh.code.lower()})) == [fresh.code]
    assert codes(officer.get(BASE, {"q": "giấy phép"})) == [late.code]
    item = officer.get(BASE, {"q": late.code}).json()["items"][0]
    assert item["overdue"] is True and item["agency"] == "UBND-01" and item["status_label"] == "Đang xử lý"
    assert dt.datetime.fromisoformat(item["deadline"]) == late.due_at


def test_the_list_pages(officer: Client) -> None:
    made = [forwarded_feedback("UBND-01") for _ in range(3)]
    first = officer.get(BASE, {"limit": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next_offset"] == 2
    second = officer.get(BASE, {"limit": 2, "offset": 2}).json()
    assert len(second["items"]) == 1 and second["next_offset"] is None
    assert {i["code"] for i in first["items"] + second["items"]} == {f.code for f in made}


def test_a_wrong_status_is_a_problem(officer: Client) -> None:
    body = problem(officer.get(BASE, {"status": "dang-xu-ly"}), 422)
    assert body["errors"][0]["column"] == "status"
    problem(officer.get(BASE, {"limit": 0}), 422)


def test_the_api_needs_a_verified_staff_session_and_the_role(client: Client) -> None:
    problem(client.get(BASE), 401)
    verified_staff_client(client, make_officer("UBND-01", username="bientap", roles=(Role.CATALOGUE_EDITOR,)))
    problem(client.get(BASE), 403)


# --- one feedback ----------------------------------------------------------------------------------------------


def test_one_feedback_with_its_whole_timeline(officer: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    FeedbackEvent.objects.create(
        feedback=feedback, at=timezone.now(), action=Action.REMINDED, note="Nhắc hạn"
    )
    FeedbackAlert.objects.create(
        feedback=feedback,
        stage=AlertStage.DUE_SOON,
        deadline=feedback.due_at,
        agency=feedback.agency,
        recipients=["handler-ubnd-01"],
        sent_at=timezone.now(),
    )
    body = officer.get(f"{BASE}/{feedback.code}").json()
    assert body["code"] == feedback.code and body["sender_name"] == SENDER_NAME
    assert body["sender_phone"] == "0912345678" and body["content"] == feedback.content
    assert [e["action"] for e in body["events"]] == ["received", "forwarded", "reminded"]
    assert body["events"][1]["to_agency"] == "UBND-01" and body["events"][1]["actor"] == operator().username
    assert body["alerts"][0]["stage"] == "due_soon" and body["alerts"][0]["recipients"] == ["handler-ubnd-01"]
    assert body["actions"] == ["answer", "transfer"] and body["rating"] is None


def test_an_unknown_code_is_404(officer: Client) -> None:
    problem(officer.get(f"{BASE}/PAKN-000000-000000"), 404)


def test_the_publication_draft_hides_personal_data(officer: Client) -> None:
    feedback = answered_feedback(
        "UBND-01", content=f"Tôi là {SENDER_NAME}, gọi 0912 345 678 khi cần trao đổi thêm."
    )
    draft = officer.get(f"{BASE}/{feedback.code}/publication").json()
    assert "[đã ẩn]" in draft["public_content"]
    assert SENDER_NAME not in draft["public_content"] and "0912" not in draft["public_content"]
    assert draft["consent_to_publish"] is True


# --- the handling agency ---------------------------------------------------------------------------------------


def test_an_officer_answers(officer: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    body = problem(post(officer, f"{BASE}/{feedback.code}/answer", {"text": "  "}), 422)
    assert body["errors"][0]["column"] == "text"
    response = post(officer, f"{BASE}/{feedback.code}/answer", {"text": "Đã trả kết quả."})
    assert response.status_code == 200
    assert response.json()["status"] == "answered" and response.json()["answer"] == "Đã trả kết quả."
    assert response.json()["actions"] == ["publish"]
    assert AuditEvent.objects.filter(action="feedback.answered", object_id=str(feedback.pk)).exists()
    problem(post(officer, f"{BASE}/{feedback.code}/answer", {"text": "Lần nữa."}), 409)


def test_an_officer_without_the_change_permission_gets_403(client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    editor = make_officer("UBND-01", username="bientap", roles=(Role.CATALOGUE_EDITOR,))
    verified_staff_client(client, editor)
    problem(post(client, f"{BASE}/{feedback.code}/answer", {"text": "Trả lời"}), 403)
    assert Feedback.objects.get(pk=feedback.pk).status == Status.HANDLING


def test_an_officer_transfers_with_a_reason(officer: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    no_reason = problem(
        post(officer, f"{BASE}/{feedback.code}/transfer", {"agency": "UBND-79", "reason": ""}), 422
    )
    assert no_reason["errors"][0]["column"] == "reason"
    unknown = problem(
        post(officer, f"{BASE}/{feedback.code}/transfer", {"agency": "KHONG-CO", "reason": "x"}), 422
    )
    assert unknown["errors"][0]["column"] == "agency"
    problem(post(officer, f"{BASE}/{feedback.code}/transfer", {"agency": "UBND-01", "reason": "Thử"}), 400)
    response = post(
        officer, f"{BASE}/{feedback.code}/transfer", {"agency": "UBND-79", "reason": "Thuộc TP.HCM."}
    )
    assert response.status_code == 200 and response.json()["agency"] == "UBND-79"
    assert response.json()["events"][-1]["note"] == "Thuộc TP.HCM."
    # Now another agency's: gone from this officer's scope.
    problem(officer.get(f"{BASE}/{feedback.code}"), 404)


def test_an_officer_publishes_without_personal_data(officer: Client) -> None:
    feedback = answered_feedback("UBND-01")
    leaked = {**PUBLIC, "public_answer": "Đã gọi lại cho ông Nguyễn Văn An qua số 0912 345 678."}
    body = problem(post(officer, f"{BASE}/{feedback.code}/publish", leaked), 422)
    assert {e["column"] for e in body["errors"]} == {"public_answer"}
    assert any("số điện thoại" in e["message"] for e in body["errors"])
    assert any("họ tên" in e["message"] for e in body["errors"])
    assert Feedback.objects.get(pk=feedback.pk).status == Status.ANSWERED
    response = post(officer, f"{BASE}/{feedback.code}/publish", PUBLIC)
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert response.json()["public_answer"] == PUBLIC["public_answer"]
    problem(post(officer, f"{BASE}/{feedback.code}/publish", PUBLIC), 409)


def test_publishing_without_consent_needs_the_public_interest(officer: Client) -> None:
    feedback = answered_feedback("UBND-01", consent_to_publish=False)
    problem(post(officer, f"{BASE}/{feedback.code}/publish", PUBLIC), 400)
    response = post(officer, f"{BASE}/{feedback.code}/publish", {**PUBLIC, "public_interest": True})
    assert response.status_code == 200 and response.json()["public_interest"] is True


def test_publishing_before_the_answer_is_409(officer: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    problem(post(officer, f"{BASE}/{feedback.code}/publish", PUBLIC), 409)


def test_an_officer_cannot_triage(officer: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    for step, body in (
        ("accept", {}),
        ("refuse", {"reason": "x"}),
        ("merge", {"into_code": feedback.code}),
        ("forward", {"agency": "UBND-79"}),
    ):
        problem(post(officer, f"{BASE}/{feedback.code}/{step}", body), 403)
    assert Feedback.objects.get(pk=feedback.pk).agency_id == feedback.agency_id


# --- the portal's operators ------------------------------------------------------------------------------------


def test_an_operator_sees_unforwarded_feedback_and_accepts_it(operator_api: Client) -> None:
    feedback = make_feedback()
    assert codes(operator_api.get(BASE, {"status": "received"})) == [feedback.code]
    detail = operator_api.get(f"{BASE}/{feedback.code}").json()
    assert detail["agency"] is None and detail["actions"] == ["accept", "refuse", "merge", "forward"]
    response = post(operator_api, f"{BASE}/{feedback.code}/accept")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    problem(post(operator_api, f"{BASE}/{feedback.code}/accept"), 409)


def test_an_operator_refuses_with_a_reason(operator_api: Client) -> None:
    feedback = make_feedback()
    problem(post(operator_api, f"{BASE}/{feedback.code}/refuse", {"reason": ""}), 422)
    response = post(operator_api, f"{BASE}/{feedback.code}/refuse", {"reason": "Là đơn khiếu nại."})
    assert response.status_code == 200
    assert response.json()["status"] == "refused" and response.json()["refusal_reason"] == "Là đơn khiếu nại."
    assert AuditEvent.objects.filter(action="feedback.refused", object_id=str(feedback.pk)).exists()


def test_an_operator_merges(operator_api: Client) -> None:
    kept, duplicate = make_feedback(), make_feedback()
    problem(post(operator_api, f"{BASE}/{duplicate.code}/merge", {"into_code": "PAKN-000000-000000"}), 404)
    response = post(operator_api, f"{BASE}/{duplicate.code}/merge", {"into_code": kept.code})
    assert response.status_code == 200
    assert response.json()["status"] == "merged" and response.json()["merged_into"] == kept.code


def test_an_operator_forwards(operator_api: Client) -> None:
    feedback = make_feedback()
    problem(post(operator_api, f"{BASE}/{feedback.code}/forward", {"agency": "KHONG-CO"}), 422)
    response = post(
        operator_api, f"{BASE}/{feedback.code}/forward", {"agency": "ubnd-01", "note": "Thẩm quyền."}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["agency"] == "UBND-01" and body["status"] == "handling" and body["due_at"]
    assert body["events"][-1]["action"] == "forwarded" and body["events"][-1]["note"] == "Thẩm quyền."
    assert AuditEvent.objects.filter(action="feedback.forwarded", object_id=str(feedback.pk)).exists()
