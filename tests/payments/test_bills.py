"""Bills looked up from the agencies (against sandbox-billers, or a stand-in adapter where a biller must change its
mind) and bills made for the fees of dossiers submitted on the portal."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.test import override_settings

from dichvucong.core.errors import NotFound
from dichvucong.organisations.models import Agency
from dichvucong.payments import bills
from dichvucong.payments.billers import BillerUnreachable, BillNotFoundAtBiller, BillRecord
from dichvucong.payments.models import Bill, BillSource, BillStatus, ServiceGroup
from tests.conftest import make_citizen, make_procedure
from tests.payments.factories import MONDAY_9AM, make_biller, make_order
from tests.sandboxes.billers import BillersServer, portal_biller, running_billers

pytestmark = pytest.mark.django_db
FINE = ServiceGroup.FINE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillersServer]:
    with running_billers(tmp_path_factory.mktemp("billers")) as running:
        yield running


@pytest.fixture
def sandbox(server: BillersServer) -> BillersServer:
    server.reset()
    return server


class StandIn:
    """A biller whose answers the test sets: a record per code, or an error."""

    records: ClassVar[dict[str, BillRecord]] = {}
    unreachable: ClassVar[set[str]] = set()

    def lookup(self, biller: Any, code: str) -> BillRecord:
        if biller.code in self.unreachable:
            raise BillerUnreachable(f"{biller.code} is down")
        record = self.records.get(f"{biller.code}:{code}")
        if record is None:
            raise BillNotFoundAtBiller(code)
        return record


@pytest.fixture
def stand_in() -> Iterator[type[StandIn]]:
    StandIn.records, StandIn.unreachable = {}, set()
    with override_settings(PAYMENT_BILL_ADAPTERS={"stand_in": f"{__name__}.StandIn"}):
        yield StandIn


def record(reference: str = "123/QĐ-XPHC", amount: int = 2_000_000, **overrides: Any) -> BillRecord:
    values: dict[str, Any] = {
        "reference": reference,
        "title": f"Nộp phạt theo quyết định {reference}",
        "payer_name": "Nguyễn Văn An",
        "amount": amount,
        "lines": [{"code": "", "name": "Tiền phạt", "amount": amount}],
        "details": {"plate": "30A-123.45"},
    }
    values.update(overrides)
    return BillRecord(**values)


# --- codes as people type them ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  123 / qđ-xphc ", "123/QĐ-XPHC"),
        ("pd01000123456", "PD01000123456"),
        ("45/2026/TLST–DS", "45/2026/TLST-DS"),
    ],
)
def test_a_code_is_normalised_the_way_billers_store_it(typed: str, expected: str) -> None:
    assert bills.normalise_code(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "123<script>", "x" * 101])
def test_an_empty_or_impossible_code_is_refused(typed: str) -> None:
    with pytest.raises(bills.InvalidBillCode):
        bills.normalise_code(typed)


# --- look-up against sandbox-billers ------------------------------------------------------------------------------


def test_a_looked_up_fine_is_stored_as_a_bill_of_its_biller(sandbox: BillersServer) -> None:
    biller = portal_biller(sandbox)
    user = make_citizen()
    bill = bills.lookup_bill(group=FINE, code="123/qđ-xphc", user=user, now=MONDAY_9AM)
    assert (bill.biller, bill.reference, bill.source) == (biller, "123/QĐ-XPHC", BillSource.LOOKUP)
    assert (bill.group, bill.agency.code, bill.amount, bill.status) == (FINE, "CA-01", 2_000_000, "open")
    assert bill.details["plate"] == "30A-123.45"
    assert bill.due_date == dt.date(2026, 12, 4)
    assert bill.owner == user
    assert bill.fetched_at == MONDAY_9AM


def test_looking_the_same_bill_up_again_gives_the_same_row(sandbox: BillersServer) -> None:
    portal_biller(sandbox)
    first = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    again = bills.lookup_bill(group=FINE, code="123/QD-XPHC", now=MONDAY_9AM + dt.timedelta(minutes=5))
    assert again.pk == first.pk
    assert Bill.objects.count() == 1
    assert again.fetched_at == MONDAY_9AM + dt.timedelta(minutes=5)


def test_a_bill_the_biller_reports_paid_is_stored_paid(sandbox: BillersServer) -> None:
    portal_biller(sandbox)
    bill = bills.lookup_bill(group=FINE, code="789/QĐ-XPHC", now=MONDAY_9AM)
    assert bill.status == BillStatus.PAID


def test_a_bill_paid_on_the_portal_stays_paid_when_the_biller_still_says_open(sandbox: BillersServer) -> None:
    portal_biller(sandbox)
    bill = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.PAID)
    again = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    assert again.status == BillStatus.PAID


def test_an_unknown_code_says_what_to_check_in_vietnamese(sandbox: BillersServer) -> None:
    portal_biller(sandbox)
    with pytest.raises(bills.BillNotFound) as caught:
        bills.lookup_bill(group=FINE, code="999/QĐ-XPHC")
    assert caught.value.message.startswith(
        "Không tìm thấy khoản phải nộp với mã 999/QĐ-XPHC; vui lòng kiểm tra lại"
    )
    assert "số quyết định xử phạt" in caught.value.message
    assert not Bill.objects.exists()


def test_a_biller_that_is_down_makes_the_look_up_unavailable(sandbox: BillersServer) -> None:
    portal_biller(sandbox)
    sandbox.down("csgt")
    with pytest.raises(bills.BillerUnavailable) as caught:
        bills.lookup_bill(group=FINE, code="123/QĐ-XPHC")
    assert caught.value.status == 503
    assert "Công an thành phố Hà Nội" in caught.value.message


def test_a_group_no_biller_serves_is_unavailable() -> None:
    with pytest.raises(bills.BillerUnavailable, match="Cổng chưa kết nối"):
        bills.lookup_bill(group=ServiceGroup.COURT, code="125/TB-TA")


# --- look-up rules, with a stand-in biller ------------------------------------------------------------------------


def test_each_biller_of_the_group_is_asked_until_one_knows_the_code(stand_in: type[StandIn]) -> None:
    make_biller("csgt-a", adapter="stand_in")
    second = make_biller("csgt-b", adapter="stand_in")
    stand_in.records["csgt-b:123/QĐ-XPHC"] = record()
    assert bills.lookup_bill(group=FINE, code="123/QĐ-XPHC").biller == second


def test_a_code_unknown_to_one_biller_while_another_is_down_is_unavailable_not_unknown(
    stand_in: type[StandIn],
) -> None:
    make_biller("csgt-a", adapter="stand_in")
    make_biller("csgt-b", adapter="stand_in")
    stand_in.unreachable.add("csgt-b")
    with pytest.raises(bills.BillerUnavailable):
        bills.lookup_bill(group=FINE, code="123/QĐ-XPHC")


def test_each_look_up_is_recorded_as_an_exchange_with_the_biller_a_not_found_being_an_answer(
    stand_in: type[StandIn],
) -> None:
    from dichvucong.monitoring.models import IntegrationCall

    unknown = make_biller("csgt-a", adapter="stand_in")
    down = make_biller("csgt-b", adapter="stand_in")
    knows = make_biller("csgt-c", adapter="stand_in")
    stand_in.unreachable.add("csgt-b")
    stand_in.records["csgt-c:123/QĐ-XPHC"] = record()
    bills.lookup_bill(group=FINE, code="123/QĐ-XPHC")
    calls = {
        c.integration_id: c
        for c in IntegrationCall.objects.filter(kind="biller", operation="bill", direction="out")
    }
    assert set(calls) == {unknown.pk, down.pk, knows.pk}
    assert (calls[unknown.pk].ok, calls[unknown.pk].status_code) == (True, 404)
    assert (calls[down.pk].ok, calls[down.pk].error) == (False, "csgt-b is down")
    assert (calls[knows.pk].ok, calls[knows.pk].error) == (True, "")


def test_an_amount_changed_by_the_biller_is_taken_when_no_order_is_open(stand_in: type[StandIn]) -> None:
    make_biller(adapter="stand_in")
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=2_000_000)
    bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=1_000_000)
    bill = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    assert bill.amount == 1_000_000
    assert bill.lines == [{"code": "", "name": "Tiền phạt", "amount": 1_000_000}]


def test_an_amount_changed_while_an_order_is_open_is_refused_and_the_bill_kept(
    stand_in: type[StandIn],
) -> None:
    make_biller(adapter="stand_in")
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=2_000_000)
    bill = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    make_order(bill, now=MONDAY_9AM)
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=1_000_000)
    with pytest.raises(bills.BillChanged, match=re.escape("từ 2.000.000 đồng thành 1.000.000 đồng")):
        bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM + dt.timedelta(minutes=1))
    bill.refresh_from_db()
    assert bill.amount == 2_000_000


def test_an_order_past_its_deadline_no_longer_holds_the_amount(stand_in: type[StandIn]) -> None:
    make_biller(adapter="stand_in")
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=2_000_000)
    bill = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    make_order(bill, now=MONDAY_9AM)
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(amount=1_000_000)
    later = bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM + dt.timedelta(days=1))
    assert later.amount == 1_000_000


def test_a_bill_the_biller_cancelled_is_cancelled(stand_in: type[StandIn]) -> None:
    make_biller(adapter="stand_in")
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record()
    bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM)
    stand_in.records["csgt-ha-noi:123/QĐ-XPHC"] = record(status="cancelled")
    assert bills.lookup_bill(group=FINE, code="123/QĐ-XPHC", now=MONDAY_9AM).status == BillStatus.CANCELLED


# --- dossier fees -------------------------------------------------------------------------------------------------


def fee_biller(agency_code: str = "UBND-01") -> Any:
    return make_biller(
        "mot-cua-ha-noi", group=ServiceGroup.FEE, agency=Agency.objects.get(code=agency_code), adapter=""
    )


def submit(owner: Any, agency_code: str = "UBND-01", **procedure: Any) -> Any:
    from dichvucong.dossiers import services

    return services.submit_dossier(
        owner=owner,
        procedure=make_procedure(**procedure),
        agency=Agency.objects.get(code=agency_code),
        applicant=services.Applicant(name="Nguyễn Văn An", id_number="001090012345", phone="0912345678"),
        summary="Đề nghị cấp hộ chiếu phổ thông",
        form_data={"noi_sinh": "Hà Nội"},
        now=MONDAY_9AM,
    )


def test_the_fees_of_a_dossier_become_one_bill_of_the_agencys_fee_biller() -> None:
    biller = fee_biller()
    owner = make_citizen()
    dossier = submit(owner)
    bill = bills.bill_for_dossier(dossier.code, user=owner, now=MONDAY_9AM)
    assert bill is not None
    assert (bill.biller, bill.reference, bill.source) == (biller, dossier.code, BillSource.DOSSIER)
    assert (bill.group, bill.agency.code, bill.amount) == (ServiceGroup.FEE, "UBND-01", 160_000)
    assert bill.lines == [{"code": "", "name": "Lệ phí cấp hộ chiếu trực tuyến", "amount": 160_000}]
    assert (bill.dossier_code, bill.procedure_code, bill.owner) == (dossier.code, "1.001456", owner)
    assert bill.payer_name == "Nguyễn Văn An"


def test_asking_for_the_fee_bill_twice_gives_the_same_bill() -> None:
    fee_biller()
    owner = make_citizen()
    dossier = submit(owner)
    first = bills.bill_for_dossier(dossier.code, user=owner)
    again = bills.bill_for_dossier(dossier.code, user=owner)
    assert first is not None and again is not None
    assert again.pk == first.pk
    assert Bill.objects.count() == 1


def test_a_commune_dossier_uses_the_fee_biller_of_the_province_above_it() -> None:
    biller = fee_biller()
    commune = Agency.objects.filter(parent__code="UBND-01", level="commune").order_by("code").first()
    assert commune is not None
    owner = make_citizen()
    bill = bills.bill_for_dossier(submit(owner, commune.code).code, user=owner)
    assert bill is not None
    assert bill.biller == biller
    assert bill.agency == commune


def test_someone_elses_dossier_has_no_fee_bill_for_you() -> None:
    fee_biller()
    dossier = submit(make_citizen())
    stranger = make_citizen(username="0987654321", phone="0987654321")
    with pytest.raises(NotFound):
        bills.bill_for_dossier(dossier.code, user=stranger)
    with pytest.raises(NotFound):
        bills.bill_for_dossier(dossier.code, user=None)
    assert not Bill.objects.exists()


def test_a_dossier_without_fees_has_no_bill() -> None:
    fee_biller()
    owner = make_citizen()
    free = {"channel": "online", "time_limit": 8, "time_unit": "working_days", "fees": []}
    dossier = submit(owner, methods=[free])
    assert bills.bill_for_dossier(dossier.code, user=owner) is None
    assert not Bill.objects.exists()


def test_an_agency_without_a_fee_biller_cannot_take_fees_online() -> None:
    owner = make_citizen()
    dossier = submit(owner)
    with pytest.raises(bills.BillerUnavailable, match="chưa nhận thanh toán phí, lệ phí trực tuyến"):
        bills.bill_for_dossier(dossier.code, user=owner)


def test_a_refused_dossier_owes_no_fee() -> None:
    from dichvucong.dossiers.models import Dossier, Status

    fee_biller()
    owner = make_citizen()
    dossier = submit(owner)
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.REFUSED)
    with pytest.raises(bills.NoFeeDue):
        bills.bill_for_dossier(dossier.code, user=owner)
