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


# --- which one-stop system serves an agency --------------------------------------------------------------------


def _system(agency: Any, *, active: bool = True) -> Any:
    from dichvucong.dossiers.models import AgencyIntegration

    return AgencyIntegration.objects.create(
        agency=agency,
        name=f"Hệ thống một cửa {agency.code}",
        key_id=f"mot-cua-{agency.code.lower()}",
        secret="whsec_c2FuZGJveC1vbmVzdG9wLWhhLW5vaS1kZW1vLWtleSE=",
        is_active=active,
    )


def test_the_batch_rule_serves_every_agency_as_the_single_rule_does() -> None:
    from dichvucong.organisations.models import Agency, AgencyKind, AgencyLevel

    hanoi = Agency.objects.get(code="UBND-01")
    hanoi_system = _system(hanoi)
    commune, commune_with_own = Agency.objects.filter(parent=hanoi).order_by("code")[:2]
    own_system = _system(commune_with_own)
    under_commune = Agency.objects.create(  # two levels below the province's system
        code="TEST-DUOI-XA",
        name="Bộ phận một cửa thử nghiệm",
        name_folded="bo phan mot cua thu nghiem",
        level=AgencyLevel.COMMUNE,
        kind=AgencyKind.PEOPLES_COMMITTEE,
        parent=commune,
    )
    hcm = Agency.objects.get(code="UBND-79")
    _system(hcm, active=False)  # an inactive system serves nobody
    hcm_commune = Agency.objects.filter(parent=hcm).first()
    assert hcm_commune is not None
    agencies = [hanoi, commune, commune_with_own, under_commune, hcm, hcm_commune]

    batch = selectors.integrations_for_agencies([a.pk for a in agencies] + [-1])

    expected = {
        hanoi.pk: hanoi_system,
        commune.pk: hanoi_system,  # by its ancestor
        commune_with_own.pk: own_system,  # its own, the nearest
        under_commune.pk: hanoi_system,
    }
    assert batch == expected  # hcm, its commune and the unknown id are left out
    for agency in agencies:
        assert selectors.integration_for_agency(agency.pk) == batch.get(agency.pk)


def test_the_batch_rule_climbs_in_one_pair_of_queries_per_level(django_assert_num_queries: Any) -> None:
    from dichvucong.organisations.models import Agency

    hanoi = Agency.objects.get(code="UBND-01")
    _system(hanoi)
    communes = list(Agency.objects.filter(parent=hanoi).values_list("pk", flat=True)[:20])
    # The communes' systems and parents, then the province's system (which has one, so no parent read).
    with django_assert_num_queries(3):
        served = selectors.integrations_for_agencies(communes)
    assert set(served) == set(communes)


def test_each_dossier_counts_for_the_system_serving_its_agency(dossier: Dossier) -> None:
    from dichvucong.organisations.models import Agency

    assert selectors.integration_ids_for_dossiers([dossier.code, "KHONG-CO"]) == {}
    province = Agency.objects.get(pk=dossier.agency_id)
    while province.parent_id is not None:
        province = Agency.objects.get(pk=province.parent_id)
    system = _system(province)
    assert selectors.integration_ids_for_dossiers([dossier.code, "KHONG-CO"]) == {dossier.code: system.pk}
