"""Reads on dossiers: the public look-up (no personal data, the same answer whatever is wrong), the owner's
dossiers, overdue."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dichvucong.core.errors import NotFound
from dichvucong.dossiers import selectors, sync
from dichvucong.dossiers.models import Dossier
from tests.conftest import make_citizen
from tests.dossiers.factories import (
    APPLICANT_ID,
    MONDAY_9AM,
    birth_procedure_with_eform,
    citizen_with_address,
    submitted_dossier,
)

pytestmark = pytest.mark.django_db
NOT_FOUND = "Không tìm thấy hồ sơ với mã hồ sơ và số giấy tờ đã nhập."


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"
    birth_procedure_with_eform()


@pytest.fixture
def dossier() -> Dossier:
    dossier = submitted_dossier(citizen_with_address())
    source = sync.SyncSource(agency_id=dossier.agency_id, allowed_agency_ids=frozenset({dossier.agency_id}))
    sync.ingest(
        source=source,
        events=[
            sync.EventIn(
                event_id="tn-1",
                dossier_code=dossier.code,
                status=2,
                occurred_at=MONDAY_9AM + dt.timedelta(minutes=30),
                actor_name="Lê Thị Hoa",
                actor_title="Công chức tư pháp - hộ tịch",
                unit="Bộ phận Một cửa",
                content="Tiếp nhận hồ sơ của ông Nguyễn Văn An",
            )
        ],
        now=MONDAY_9AM + dt.timedelta(hours=1),
    )
    dossier.refresh_from_db()
    return dossier


def test_the_public_look_up_shows_the_progress_and_no_personal_data(dossier: Dossier) -> None:
    found = selectors.public_lookup(code=f" {dossier.code} ", id_number=f"{APPLICANT_ID} ")
    assert (found.code, found.status, found.status_label) == (dossier.code, 2, "Được tiếp nhận")
    assert found.procedure_name == "Thủ tục đăng ký khai sinh"
    assert found.agency_name == "Ủy ban nhân dân phường Ba Đình"
    assert found.due_at == dossier.due_at and found.overdue  # 2 November 2026 has passed
    assert [(status, unit) for _at, status, _label, unit in found.steps] == [
        (1, "Cổng Dịch vụ công quốc gia"),
        (2, "Bộ phận Một cửa"),
    ]
    shown = repr(dataclasses.astuple(found))
    for personal in (
        "Nguyễn",
        "Minh Khang",
        APPLICANT_ID,
        "0912345678",
        "example.vn",
        "Lê Thị Hoa",
        "Đội Cấn",
    ):
        assert personal not in shown


@pytest.mark.parametrize(
    ("code", "id_number"),
    [
        ("", APPLICANT_ID),
        ("UBND-00004-261102-9999", APPLICANT_ID),
        (None, "001093054322"),
        (None, ""),
        (None, APPLICANT_ID[:11]),
    ],
)
def test_a_wrong_code_or_number_gets_the_same_answer(
    dossier: Dossier, code: str | None, id_number: str
) -> None:
    with pytest.raises(NotFound) as caught:
        selectors.public_lookup(code=dossier.code if code is None else code, id_number=id_number)
    assert caught.value.message == NOT_FOUND


def test_a_dossier_without_an_identification_number_is_never_found(dossier: Dossier) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(applicant_id_number="")
    with pytest.raises(NotFound) as caught:
        selectors.public_lookup(code=dossier.code, id_number="")
    assert caught.value.message == NOT_FOUND


def test_a_person_sees_only_their_own_dossiers(dossier: Dossier) -> None:
    owner = dossier.owner
    other = make_citizen(username="0987654321", phone="0987654321")
    assert list(selectors.my_dossiers(owner)) == [dossier]
    assert list(selectors.my_dossiers(other)) == []
    assert selectors.dossier_for_owner(owner, dossier.code) == dossier
    with pytest.raises(NotFound):
        selectors.dossier_for_owner(other, dossier.code)


def test_a_dossier_is_overdue_past_its_appointment_until_it_is_finished(dossier: Dossier) -> None:
    assert dossier.due_at is not None and dossier.due_at < MONDAY_9AM + dt.timedelta(days=1)
    assert selectors.is_overdue(dossier)  # the appointment (2 November 2026) has passed
    dossier.status = 9
    assert not selectors.is_overdue(dossier)
    dossier.status, dossier.due_at = 4, None
    assert not selectors.is_overdue(dossier)
