"""The national sync interface (session sign-in; DongBoHoSoMC, CapNhatTienDoHoSoMC, TraCuuHoSo, LayThuTuc,
LayDanhSachTTHC) as existing one-stop systems speak it."""

from __future__ import annotations

import datetime as dt
import hashlib
import types
from typing import Any

import pytest
from django.utils import timezone

from dichvucong.api import legacy_sync
from dichvucong.dossiers.models import Dossier, DossierEvent, LegacySession
from dichvucong.organisations.models import Agency
from tests.api.test_agency_sync import make_integration
from tests.conftest import make_procedure

pytestmark = pytest.mark.django_db

URL = "/dvcqg/"
PASSWORD = "MotCua@2026"
# DOMAIN.md: the fields of a dossier and of a step in the national sync.
DOSSIER_FIELDS = [
    *(
        "MaHoSo",
        "MaTTHC",
        "TenTTHC",
        "MaLinhVuc",
        "TenLinhVuc",
        "ChuHoSo",
        "LoaiDoiTuong",
        "MaDoiTuong",
        "Email",
    ),
    *(
        "SoDienThoai",
        "TrichYeuHoSo",
        "NgayTiepNhan",
        "NgayHenTra",
        "TrangThaiHoSo",
        "NgayTra",
        "NgayKetThucXuLy",
    ),
    *("HinhThuc", "DonViXuLy", "TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua"),
]


@pytest.fixture
def integration() -> Any:
    return make_integration(legacy_username="hanoi-motcua", legacy_password=PASSWORD)


def call(client: Any, body: dict[str, Any], path: str = URL) -> dict[str, Any]:
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.fixture
def session(client: Any, integration: Any) -> str:
    answer = call(client, {"username": "hanoi-motcua", "password": PASSWORD}, URL + "auth")
    assert answer["error_code"] == "00", answer
    return str(answer["session"])


def body(session: str, service: str, **fields: Any) -> dict[str, Any]:
    return {"session": session, "madonvi": "UBND-01", "service": service, **fields}


def national_dossier(code: str = "UBND-01-261102-0001", **overrides: Any) -> dict[str, Any]:
    record = {
        "MaHoSo": code,
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "G15-HT",
        "TenLinhVuc": "Hộ tịch",
        "ChuHoSo": "Trần Văn Bình",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "001085012345",
        "Email": "binh@example.vn",
        "SoDienThoai": "0912000111",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con",
        "NgayTiepNhan": "20261102080000",
        "NgayHenTra": "20261102170000",
        "TrangThaiHoSo": "2",
        "NgayTra": "",
        "NgayKetThucXuLy": "",
        "HinhThuc": "1",
        "DonViXuLy": "UBND-01",
        "TaiLieuNop": [{"TepDinhKemId": "1", "TenTepDinhKem": "To khai", "DuongDanTaiTepTin": "https://x/1"}],
        "DanhSachLePhi": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
    }
    record.update(overrides)
    return record


def step(**overrides: Any) -> dict[str, Any]:
    values = {
        "MaHoSo": "UBND-01-261102-0001",
        "NguoiXuLy": "Nguyễn Thị Lan",
        "ChucDanh": "Công chức tư pháp - hộ tịch",
        "ThoiDiemXuLy": "20261102090000",
        "PhongBanXuLy": "Bộ phận một cửa",
        "NoiDungXuLy": "Thẩm định hồ sơ",
        "TrangThai": "4",
        "NgayBatDau": "20261102080000",
        "NgayKetThucTheoQuyDinh": "20261102160000",
    }
    values.update(overrides)
    return values


# --- session ---------------------------------------------------------------------------------------------------


def test_sign_in_returns_a_session_kept_only_as_a_hash(client: Any, integration: Any) -> None:
    answer = call(client, {"username": "hanoi-motcua", "password": PASSWORD})
    assert answer["error_code"] == "00"
    stored = LegacySession.objects.get()
    assert stored.token_hash == hashlib.sha256(answer["session"].encode()).hexdigest()
    assert answer["session"] not in stored.token_hash
    assert stored.expires_at > timezone.now() + dt.timedelta(minutes=59)


def test_a_wrong_password_or_username_gets_no_session(client: Any, integration: Any) -> None:
    for username, password in (("hanoi-motcua", "sai"), ("khong-co", PASSWORD)):
        answer = call(client, {"username": username, "password": password})
        assert answer["error_code"] != "00"
        assert "không đúng" in answer["message"]
        assert "session" not in answer
    assert not LegacySession.objects.exists()


def test_a_wrong_session_is_refused(client: Any, session: str) -> None:
    answer = call(client, body("phien-gia", "TraCuuHoSo", MaHoSo="X"))
    assert answer["error_code"] == "03"
    assert "đăng nhập lại" in answer["message"]


def test_a_session_expires(client: Any, session: str, monkeypatch: Any) -> None:
    assert call(client, body(session, "TraCuuHoSo", MaHoSo="X"))["error_code"] == "00"
    later = timezone.now() + dt.timedelta(seconds=3601)
    monkeypatch.setattr(legacy_sync, "timezone", types.SimpleNamespace(now=lambda: later))
    assert call(client, body(session, "TraCuuHoSo", MaHoSo="X"))["error_code"] == "03"


def test_madonvi_must_be_the_systems_agency_or_under_it(client: Any, session: str) -> None:
    commune = Agency.objects.filter(parent__code="UBND-01").order_by("code").first()
    assert commune is not None
    ok = call(client, {**body(session, "TraCuuHoSo", MaHoSo="X"), "madonvi": commune.code})
    assert ok["error_code"] == "00"
    other = call(client, {**body(session, "TraCuuHoSo", MaHoSo="X"), "madonvi": "UBND-79"})
    assert other["error_code"] == "04"


def test_an_unknown_service_is_named_in_the_error(client: Any, session: str) -> None:
    answer = call(client, body(session, "XoaHoSo"))
    assert answer["error_code"] == "05"
    assert "DongBoHoSoMC" in answer["message"]


def test_every_alias_address_answers(client: Any, session: str) -> None:
    for suffix in ("", "auth", "integration", "share"):
        assert call(client, body(session, "TraCuuHoSo", MaHoSo="X"), URL + suffix)["error_code"] == "00"


# --- DongBoHoSoMC and CapNhatTienDoHoSoMC -----------------------------------------------------------------------


def test_dong_bo_ho_so_creates_the_dossier_and_a_repeat_changes_nothing(client: Any, session: str) -> None:
    answer = call(client, body(session, "DongBoHoSoMC", isUpdating="False", data=[national_dossier()]))
    assert answer["error_code"] == "00", answer
    dossier = Dossier.objects.get(code="UBND-01-261102-0001")
    assert (dossier.status, dossier.applicant_name, dossier.procedure_code) == (
        2,
        "Trần Văn Bình",
        "1.001193",
    )
    assert dossier.received_at == dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    assert dossier.due_at == dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    assert DossierEvent.objects.get().source == "legacy"
    before = list(Dossier.objects.values())
    again = call(client, body(session, "DongBoHoSoMC", isUpdating="True", data=[national_dossier()]))
    assert again["error_code"] == "00"
    assert again["result"][0]["ketqua"] == "duplicate"
    assert list(Dossier.objects.values()) == before
    assert DossierEvent.objects.count() == 1


def test_dong_bo_ho_so_takes_what_existing_systems_send(client: Any, session: str) -> None:
    """HinhThuc "0" and the agency's name in DonViXuLy, as some one-stop systems send them."""
    name = "Ủy ban nhân dân thành phố Hà Nội - Bộ phận tiếp nhận và trả kết quả"
    record = national_dossier(HinhThuc="0", DonViXuLy=name)
    answer = call(client, body(session, "DongBoHoSoMC", isUpdating=False, data=[record]))
    assert answer["error_code"] == "00", answer
    dossier = Dossier.objects.get()
    assert dossier.agency.code == "UBND-01"
    assert dossier.details["TenDonViXuLy"] == name


def test_a_bad_record_is_reported_and_the_others_applied(client: Any, session: str) -> None:
    data = [national_dossier(), national_dossier("UBND-01-261102-0002", NgayTiepNhan="02/11/2026")]
    answer = call(client, body(session, "DongBoHoSoMC", isUpdating="False", data=data))
    assert answer["error_code"] == "01"
    assert [item["error_code"] for item in answer["result"]] == ["00", "01"]
    assert "NgayTiepNhan" in answer["result"][1]["message"]
    assert Dossier.objects.count() == 1


def test_cap_nhat_tien_do_records_a_step_once(client: Any, session: str) -> None:
    call(client, body(session, "DongBoHoSoMC", isUpdating="False", data=[national_dossier()]))
    answer = call(client, body(session, "CapNhatTienDoHoSoMC", data=[step()]))
    assert answer["error_code"] == "00", answer
    recorded = DossierEvent.objects.get(event_id__startswith="CapNhatTienDoHoSoMC-")
    assert (recorded.status, recorded.actor_name, recorded.actor_title, recorded.unit, recorded.content) == (
        4,
        "Nguyễn Thị Lan",
        "Công chức tư pháp - hộ tịch",
        "Bộ phận một cửa",
        "Thẩm định hồ sơ",
    )
    assert recorded.occurred_at == dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    assert recorded.step_due_at == dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    assert Dossier.objects.get().status == 4
    again = call(client, body(session, "CapNhatTienDoHoSoMC", data=[step()]))
    assert again["result"][0]["ketqua"] == "duplicate"
    other = call(client, body(session, "CapNhatTienDoHoSoMC", data=[step(NoiDungXuLy="Trình ký")]))
    assert other["result"][0]["ketqua"] == "applied"
    assert DossierEvent.objects.count() == 3


def test_a_step_for_another_provinces_dossier_is_rejected(client: Any, session: str) -> None:
    Dossier.objects.create(
        code="HCM-1", agency=Agency.objects.get(code="UBND-79"), origin="agency", status_at=timezone.now()
    )
    answer = call(client, body(session, "CapNhatTienDoHoSoMC", data=[step(MaHoSo="HCM-1")]))
    assert answer["error_code"] == "01"
    assert not DossierEvent.objects.exists()


# --- look-ups -----------------------------------------------------------------------------------------------------


def test_tra_cuu_ho_so_answers_in_the_national_field_names(client: Any, session: str) -> None:
    call(client, body(session, "DongBoHoSoMC", isUpdating="False", data=[national_dossier()]))
    answer = call(client, body(session, "TraCuuHoSo", MaHoSo="UBND-01-261102-0001"))
    assert answer["error_code"] == "00"
    (found,) = answer["result"]
    missing = [name for name in DOSSIER_FIELDS if name not in found and name not in ("MaLinhVuc",)]
    assert missing == []
    assert (found["MaHoSo"], found["TrangThaiHoSo"], found["NgayTiepNhan"]) == (
        "UBND-01-261102-0001",
        2,
        "20261102080000",
    )
    assert found["NgayHenTra"] == "20261102170000"


def test_tra_cuu_ho_so_does_not_show_another_provinces_dossier(client: Any, session: str) -> None:
    Dossier.objects.create(
        code="HCM-1", agency=Agency.objects.get(code="UBND-79"), origin="agency", status_at=timezone.now()
    )
    answer = call(client, body(session, "TraCuuHoSo", MaHoSo="HCM-1"))
    assert (answer["error_code"], answer["result"]) == ("00", [])


def test_lay_thu_tuc_and_lay_danh_sach_tthc(client: Any, session: str) -> None:
    make_procedure()
    answer = call(client, body(session, "LayThuTuc", MaTTHC="1.001456"))
    assert answer["error_code"] == "00"
    (procedure,) = answer["result"]
    assert (procedure["MATTHC"], procedure["TENTTHC"]) == ("1.001456", "Cấp hộ chiếu phổ thông ở trong nước")
    assert procedure["LINHVUCTHUCHIEN"][0]["TENLINHVUC"] == "Quản lý xuất nhập cảnh"
    channels = {m["KENH"]: m["THOIGIAN"][0] for m in procedure["CACHTHUCTHUCHIEN"]}
    assert channels[2]["PHILEPHI"][0]["SOTIEN"] == 160000
    assert channels[1]["DONVITINH"] == "Ngày làm việc"
    assert call(client, body(session, "LayThuTuc", maTTHC="1.001456"))["result"][0]["MATTHC"] == "1.001456"
    listing = call(client, body(session, "LayDanhSachTTHC"))
    assert {"MATTHC": "1.001456", "TENTTHC": "Cấp hộ chiếu phổ thông ở trong nước"}.items() <= listing[
        "result"
    ][0].items()
