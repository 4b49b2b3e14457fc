"""E-form definitions and the server-side validation of what citizens type, with messages in Vietnamese."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from dichvucong.core.errors import ValidationFailed
from dichvucong.dossiers import eform_values, eforms
from dichvucong.dossiers.demo_eforms import DEFINITIONS_DIR, load_demo_eforms
from dichvucong.dossiers.models import EForm
from tests.dossiers.factories import (
    BA_DINH,
    BIRTH,
    HA_NOI,
    MOTHER_ID,
    THU_DAU_MOT,
    birth_steps,
    citizen_with_address,
    make_demo_procedure,
)

TODAY = dt.date(2026, 11, 2)


def field(kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": "value", "label": "Giá trị", "type": kind, **extra}


def clean(kind: str, value: Any, **extra: Any) -> Any:
    return eform_values.clean_field(field(kind, **extra), value, today=TODAY)


def refusal(kind: str, value: Any, **extra: Any) -> str:
    with pytest.raises(eform_values.Invalid) as caught:
        clean(kind, value, **extra)
    return str(caught.value)


def birth_definition() -> dict[str, Any]:
    return json.loads((DEFINITIONS_DIR / "birth_registration.json").read_text(encoding="utf-8"))


# --- values ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["1.500.000", "1500000", "1500000 đ", "1.500.000 đồng", "1,500,000", "1 500 000đ", "1500000 VND"]
)
def test_money_is_integer_dong_however_it_is_written(typed: str) -> None:
    assert clean("money", typed) == 1_500_000


@pytest.mark.parametrize("typed", ["1.5", "1,50", "15.00.000", "một triệu", "-5"])
def test_money_that_is_not_an_amount_is_refused_with_an_example(typed: str) -> None:
    assert "ví dụ 1.500.000" in refusal("money", typed)


def test_money_bounds_are_shown_grouped() -> None:
    assert refusal("money", "500", min=1000) == "Giá trị không được nhỏ hơn 1.000."
    assert clean("money", 1_500_000) == 1_500_000  # a saved value validates again


@pytest.mark.parametrize(
    "typed", ["15/03/2026", "15-03-2026", "15.03.2026", "15 / 3 / 2026", "15032026", "2026-03-15"]
)
def test_dates_are_day_month_year(typed: str) -> None:
    assert clean("date", typed) == "2026-03-15"


@pytest.mark.parametrize("typed", ["31/02/2026", "2026/03/15", "15/3/26", "hôm qua"])
def test_a_date_that_does_not_exist_is_refused_with_the_expected_form(typed: str) -> None:
    assert refusal("date", typed) == "Vui lòng nhập giá trị theo dạng ngày/tháng/năm, ví dụ 15/03/2026."


def test_a_date_bounded_by_today_is_refused_after_today() -> None:
    assert refusal("date", "03/11/2026", max="today") == "Giá trị không được sau ngày hôm nay."
    assert clean("date", "02/11/2026", max="today") == "2026-11-02"
    assert refusal("date", "01/01/2020", min="2021-01-01") == "Giá trị không được trước ngày 01/01/2021."


def test_a_required_field_left_empty_asks_for_it_by_its_label() -> None:
    assert refusal("text", "  ", required=True) == "Vui lòng nhập giá trị."
    assert refusal("select", "", required=True, choices=["a"]) == "Vui lòng chọn giá trị."
    assert refusal("checkbox", False, required=True) == "Vui lòng đánh dấu vào ô giá trị."
    assert (
        refusal("checkbox", "", required=True, short_label="Lời cam đoan")
        == "Vui lòng đánh dấu vào ô lời cam đoan."
    )


def test_an_empty_optional_field_is_none_and_a_required_one_passes_half_way() -> None:
    assert clean("text", "") is None
    assert clean("checkbox", "") is False
    assert eform_values.clean_field(field("text", required=True), "", partial=True) is None


def test_identification_numbers_are_checked_with_the_accounts_rules() -> None:
    assert clean("id_number", "001 195 012 345") == MOTHER_ID
    assert "12 chữ số" in refusal("id_number", "12345")
    assert "không tồn tại" in refusal("id_number", "999195012345")


def test_an_identification_number_must_agree_with_the_date_of_birth_it_names() -> None:
    definition = {
        "title": "t",
        "steps": [
            {
                "title": "s",
                "fields": [
                    {
                        "name": "id",
                        "label": "Số định danh",
                        "type": "id_number",
                        "date_of_birth_field": "born",
                    },
                    {"name": "born", "label": "Ngày sinh", "type": "date"},
                ],
            }
        ],
    }
    cleaned, errors = eforms.validate_step(
        definition, 0, {"id": MOTHER_ID, "born": "03/04/1996"}, today=TODAY
    )
    assert errors == {"id": "Số định danh cá nhân không khớp với năm sinh 1996."}
    assert cleaned == {"born": "1996-04-03"}
    _cleaned, errors = eforms.validate_step(
        definition, 0, {"id": MOTHER_ID, "born": "03/04/1995"}, today=TODAY
    )
    assert errors == {}


def test_phone_email_tax_code_select_number_and_text() -> None:
    assert clean("phone", "+84 912 345 678") == "0912345678"
    assert "10 chữ số" in refusal("phone", "12345")
    assert clean("email", " an@example.vn ") == "an@example.vn"
    assert refusal("email", "an@") == "Thư điện tử chưa đúng, ví dụ ten@example.vn."
    assert clean("tax_code", "0100112437 005") == "0100112437-005"
    assert "Mã số thuế" in refusal("tax_code", "123")
    assert clean("select", "b", choices=[["a", "A"], ["b", "B"]]) == "b"
    assert refusal("select", "c", choices=["a", "b"]) == "Vui lòng chọn giá trị trong danh sách."
    assert clean("number", " 3 ", min=0, max=10) == 3
    assert refusal("number", "11", max=10) == "Giá trị không được lớn hơn 10."
    assert refusal("number", "2,5") == "Giá trị: vui lòng nhập một số nguyên, ví dụ 2."
    assert clean("text", "  Nguyễn   Văn  An ") == "Nguyễn Văn An"
    assert refusal("text", "x" * 201) == "Giá trị dài quá 200 ký tự."
    assert clean("textarea", "dòng 1\ndòng 2") == "dòng 1\ndòng 2"


# --- addresses -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_address_is_a_current_province_and_commune_and_a_street() -> None:
    value = clean("address", {"province": HA_NOI, "commune": BA_DINH, "street": " 12  phố Đội Cấn "})
    assert value == {
        "province": HA_NOI,
        "province_name": "Thành phố Hà Nội",
        "commune": BA_DINH,
        "commune_name": "Phường Ba Đình",
        "street": "12 phố Đội Cấn",
    }
    assert clean("address", value) == value  # a saved address validates again


@pytest.mark.django_db
def test_an_address_whose_commune_is_in_another_province_is_refused() -> None:
    message = refusal("address", {"province": HA_NOI, "commune": THU_DAU_MOT}, required=True)
    assert message == "Xã, phường đã chọn không thuộc Thành phố Hà Nội."
    assert (
        refusal("address", {"province": "99", "commune": BA_DINH})
        == "Tỉnh, thành phố đã chọn không có trong danh mục."
    )
    assert refusal("address", {"province": BA_DINH}) == "Tỉnh, thành phố đã chọn không có trong danh mục."


@pytest.mark.django_db
def test_an_address_asks_for_each_missing_part_and_keeps_a_province_half_way() -> None:
    assert refusal("address", {}, required=True) == "Vui lòng chọn tỉnh, thành phố của giá trị."
    assert refusal("address", {"province": HA_NOI}, required=True) == "Vui lòng chọn xã, phường của giá trị."
    message = refusal("address", {"province": HA_NOI, "commune": BA_DINH}, street="required")
    assert message == "Vui lòng nhập số nhà, đường, thôn, tổ của giá trị."
    half = eform_values.clean_field(field("address", required=True), {"province": HA_NOI}, partial=True)
    assert half == {"province": HA_NOI, "province_name": "Thành phố Hà Nội"}
    province_only = clean(
        "address", {"province": HA_NOI, "commune": BA_DINH, "street": "x"}, commune=False, street="none"
    )
    assert province_only == {"province": HA_NOI, "province_name": "Thành phố Hà Nội"}


# --- steps -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_step_keeps_the_valid_values_and_reports_each_invalid_one() -> None:
    definition = birth_definition()
    typed = birth_steps()[1] | {"child_date_of_birth": "32/10/2026", "child_name": ""}
    cleaned, errors = eforms.validate_step(definition, 1, typed, today=TODAY)
    assert errors == {
        "child_name": "Vui lòng nhập họ, chữ đệm, tên của trẻ.",
        "child_date_of_birth": "Vui lòng nhập ngày, tháng, năm sinh theo dạng ngày/tháng/năm, ví dụ 15/03/2026.",
    }
    assert cleaned["child_sex"] == "male" and cleaned["child_birth_place"]["commune_name"] == "Phường Ngọc Hà"


@pytest.mark.django_db
def test_the_whole_birth_form_validates_when_every_step_is_filled_in() -> None:
    definition = birth_definition()
    data: dict[str, Any] = {}
    for index, typed in enumerate(birth_steps()):
        cleaned, errors = eforms.validate_step(definition, index, typed, today=TODAY, context=data)
        assert errors == {}, (index, errors)
        data |= cleaned
    cleaned, errors = eforms.validate_all(definition, data, today=TODAY)
    assert errors == {}
    assert cleaned == data
    assert data["copies"] == 1 and data["declaration"] is True and data["applicant_phone"] == "0912345678"
    assert data["registration_place"] == {
        "province": HA_NOI,
        "province_name": "Thành phố Hà Nội",
        "commune": BA_DINH,
        "commune_name": "Phường Ba Đình",
    }


def test_raw_values_come_from_the_posted_form() -> None:
    definition = birth_definition()
    post = {"registration_place__province": HA_NOI, "registration_place__commune": BA_DINH, "copies": "2"}
    assert eforms.raw_from_post(definition, 4, post) == {
        "registration_place": {"province": HA_NOI, "commune": BA_DINH, "street": ""},
        "copies": "2",
        "declaration": False,
    }
    assert eforms.raw_from_post(definition, 4, post | {"declaration": "on"})["declaration"] is True


# --- prefill and display ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_form_is_prefilled_from_the_profile_and_the_defaults() -> None:
    user = citizen_with_address()
    data = eforms.initial_data(birth_definition(), user)
    assert data["applicant_name"] == "Nguyễn Văn An"
    assert data["applicant_id_number"] == "001093054321"
    assert data["applicant_phone"] == "0912345678" and data["applicant_email"] == "an.nguyen@example.vn"
    assert (
        data["applicant_address"]["commune"] == BA_DINH
        and data["applicant_address"]["street"] == "12 phố Đội Cấn"
    )
    assert "street" not in data["registration_place"]  # this address has no street line
    assert (
        data["child_ethnicity"] == "Kinh" and data["child_nationality"] == "Việt Nam" and data["copies"] == 0
    )
    assert "mother_name" not in data and "father_nationality" not in data


def test_saved_values_go_back_into_inputs_and_read_as_text() -> None:
    date, money = field("date"), field("money")
    assert eform_values.input_value(date, "2026-03-15") == "15/03/2026"
    assert eform_values.input_value(money, 1_500_000) == "1.500.000"
    assert eform_values.readable(money, 1_500_000) == "1.500.000 đồng"
    assert eform_values.readable(field("checkbox"), True) == "Có"
    assert eform_values.readable(field("select", choices=[["male", "Nam"]]), "male") == "Nam"
    address = {"province_name": "Thành phố Hà Nội", "commune_name": "Phường Ba Đình", "street": "12 Đội Cấn"}
    assert eform_values.readable(field("address"), address) == "12 Đội Cấn, Phường Ba Đình, Thành phố Hà Nội"
    assert eform_values.readable(field("text"), None) == ""


# --- definitions -----------------------------------------------------------------------------------------------


def test_the_birth_registration_definition_is_valid() -> None:
    eforms.validate_definition(birth_definition())


def test_an_invalid_definition_lists_every_problem_with_its_place() -> None:
    definition = birth_definition()
    broken = copy.deepcopy(definition)
    broken["steps"][0]["fields"][0]["type"] = "colour"
    broken["steps"][0]["fields"][1]["name"] = "applicant_name"
    broken["steps"][1]["fields"][2]["choices"] = []
    broken["steps"][1]["fields"][1]["max"] = "tomorrow"
    broken["steps"][2]["fields"][0]["prefill"] = "profile.salary"
    broken["agency"]["field"] = "child_name"
    broken["summary"] = "Khai sinh cho {nobody}"
    broken["document_overrides"]["giay-1"] = {"skip": True}
    with pytest.raises(ValidationFailed) as caught:
        eforms.validate_definition(broken)
    places = {error.column for error in caught.value.errors}
    assert places == {
        "steps[0].fields[0].type",
        "steps[0].fields[1].name",
        "steps[1].fields[2].choices",
        "steps[1].fields[1].max",
        "steps[2].fields[0].prefill",
        "agency.field",
        "summary",
        "document_overrides.giay-1",
    }
    assert caught.value.summary == "Biểu mẫu điện tử có 8 lỗi."
    with pytest.raises(ValidationFailed):
        eforms.validate_definition({"title": "", "steps": []})
    with pytest.raises(ValidationFailed):
        eforms.validate_definition(["not", "an", "object"])


@pytest.mark.django_db
def test_document_slots_follow_the_procedure_and_the_overrides() -> None:
    procedure = make_demo_procedure(BIRTH)
    plain = eforms.document_slots(procedure)
    assert [s.key for s in plain] == ["doc-1", "doc-2", "doc-3", "doc-4", "doc-5", "doc-6"]
    assert [s.required for s in plain] == [True, True, False, False, False, True]
    assert plain[2].case == "Trẻ bị bỏ rơi" and plain[5].group == "Giấy tờ phải xuất trình"
    slots = eforms.document_slots(procedure, birth_definition())
    assert [s.key for s in slots] == ["doc-2", "doc-3", "doc-4", "doc-5", "doc-6"]
    assert slots[-1].required is False and "số định danh" in slots[-1].help


@pytest.mark.django_db
def test_the_default_definition_asks_for_the_applicant_and_the_request(passport: Any) -> None:
    definition = eforms.default_definition(passport)
    eforms.validate_definition(definition)
    assert eforms.definition_for(passport) == definition  # no EForm for the passport
    names = [f["name"] for _step, f in eforms.all_fields(definition)]
    assert names[:2] == ["applicant_name", "applicant_id_number"] and names[-1] == "request"
    assert definition["agency"] == {"field": "applicant_address"}


@pytest.mark.django_db
def test_demo_eforms_load_once() -> None:
    assert load_demo_eforms() == "1 e-forms (1 changed)"
    assert load_demo_eforms() == "1 e-forms (0 changed)"
    eform = EForm.objects.get(procedure_code=BIRTH)
    assert eform.title == "Tờ khai đăng ký khai sinh"
    assert eforms.definition_for(make_demo_procedure(BIRTH))["title"] == eform.title
