import pytest

from dichvucong.organisations.models import AdministrativeUnit, Agency
from dichvucong.organisations.services import sync_register

pytestmark = pytest.mark.django_db


def test_register_has_34_provinces_and_their_communes() -> None:
    assert AdministrativeUnit.objects.filter(level="province").count() == 34
    assert AdministrativeUnit.objects.filter(level="commune").count() > 3000
    hanoi = AdministrativeUnit.objects.get(code="01")
    assert hanoi.name == "Thành phố Hà Nội"
    assert hanoi.children.filter(name="Phường Ba Đình").exists()


def test_register_has_ministries_social_security_electricity_and_branches() -> None:
    for code in ("BTP", "BCA", "BTC", "BHXH", "EVN", "UBND-01", "CA-79", "THUE-01"):
        assert Agency.objects.filter(code=code).exists(), code
    assert Agency.objects.get(code="BHXH").parent.code == "BTC"  # type: ignore[union-attr]
    police = Agency.objects.get(code="CA-01")
    assert police.sector == "police" and police.province.code == "01"  # type: ignore[union-attr]
    commune = Agency.objects.get(code="UBND-00004")
    assert commune.level == "commune" and commune.parent.code == "UBND-01"  # type: ignore[union-attr]


def test_every_agency_has_a_working_calendar() -> None:
    agency = Agency.objects.get(code="UBND-01")
    assert (agency.morning_start.hour, agency.afternoon_end.hour, agency.receipt_cutoff.hour) == (7, 17, 15)


def test_sync_register_is_idempotent_and_keeps_operator_changes() -> None:
    Agency.objects.filter(code="BTP").update(phone="024 6273 9718")
    before = Agency.objects.count()
    sync_register()
    assert Agency.objects.count() == before
    assert Agency.objects.get(code="BTP").phone == "024 6273 9718"
