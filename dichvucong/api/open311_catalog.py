"""What the portal offers through Open311: the services (one per kind of feedback, `feedback.models.Kind`), their
service definitions (the attributes a client sends with `attribute[code]=value`), and the reading of a POSTed
service request into a `feedback.services.Submission`.

Mapping (also in docs/open311.md):
- service_code = the kind's value, service_name = its Vietnamese label, type "realtime" (the tracking code is the
  service_request_id, given at once), metadata true (every kind has the attributes below);
- group = the part of Decree 20/2008 the kind belongs to: feedback on how rules are applied, on the rules
  themselves, proposals, other;
- the sender: first_name and last_name (joined family name first, as Vietnamese names are written), phone,
  email; description = the content; address_string = where it happened; address_id = the administrative unit's
  code (as attribute[unit_code]); lat/long; device_id, account_id, media_url as given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dichvucong.feedback.models import Kind, SenderKind, Topic

MAX_DESCRIPTION = 4000  # the specification's limit for description
_COORDINATE = Decimal("0.000001")  # the precision the feedback keeps (6 decimal places, about 11 cm)

_APPLICATION = _lazy("Phản ánh về việc thực hiện quy định hành chính")
_REGULATION = _lazy("Phản ánh về quy định hành chính")
_PROPOSAL = _lazy("Kiến nghị, sáng kiến")
_OTHER = _lazy("Khác")


@dataclass(frozen=True)
class Service:
    kind: Kind
    group: Promise
    description: Promise
    keywords: Promise  # comma separated, as the specification has it


SERVICES: dict[str, Service] = {
    s.kind.value: s
    for s in (
        Service(
            Kind.DELAY_HARASSMENT,
            _APPLICATION,
            _lazy(
                "Cán bộ, công chức chậm trễ, gây phiền hà, sách nhiễu, đòi thêm giấy tờ hay chi phí ngoài quy định "
                "khi giải quyết thủ tục hành chính."
            ),
            _lazy("chậm trễ, trễ hẹn, phiền hà, sách nhiễu, cán bộ, công chức, thái độ"),
        ),
        Service(
            Kind.WRONG_APPLICATION,
            _APPLICATION,
            _lazy(
                "Cơ quan, cán bộ không thực hiện hoặc thực hiện không đúng quy định hành chính đã công bố (thành "
                "phần hồ sơ, thời hạn giải quyết, phí, lệ phí…)."
            ),
            _lazy("sai quy định, không đúng quy định, hồ sơ, thời hạn, phí, lệ phí"),
        ),
        Service(
            Kind.UNFIT_RULE,
            _REGULATION,
            _lazy("Quy định hành chính không phù hợp với thực tế, gây khó khăn cho người dân, doanh nghiệp."),
            _lazy("quy định, bất cập, không phù hợp, thực tế"),
        ),
        Service(
            Kind.CONFLICTING_RULES,
            _REGULATION,
            _lazy("Các quy định hành chính không đồng bộ, không thống nhất, chồng chéo nhau."),
            _lazy("quy định, chồng chéo, mâu thuẫn, không thống nhất"),
        ),
        Service(
            Kind.UNLAWFUL_RULE,
            _REGULATION,
            _lazy(
                "Quy định hành chính không hợp pháp: trái văn bản của cơ quan cấp trên hoặc ban hành không đúng "
                "thẩm quyền."
            ),
            _lazy("quy định, trái luật, không hợp pháp, thẩm quyền"),
        ),
        Service(
            Kind.CONTRARY_TO_TREATY,
            _REGULATION,
            _lazy("Quy định hành chính trái với điều ước quốc tế mà Việt Nam là thành viên."),
            _lazy("quy định, điều ước quốc tế, cam kết quốc tế"),
        ),
        Service(
            Kind.OTHER,
            _OTHER,
            _lazy(
                "Vấn đề khác về quy định hành chính và việc thực hiện quy định hành chính. Khiếu nại, tố cáo "
                "không thuộc phạm vi tiếp nhận."
            ),
            _lazy("khác, góp ý"),
        ),
        Service(
            Kind.PROPOSED_SOLUTION,
            _PROPOSAL,
            _lazy("Kiến nghị phương án xử lý những vấn đề đã phản ánh."),
            _lazy("kiến nghị, đề xuất, phương án, giải pháp"),
        ),
        Service(
            Kind.INITIATIVE,
            _PROPOSAL,
            _lazy(
                "Sáng kiến ban hành mới quy định hành chính liên quan đến sản xuất, kinh doanh và đời sống."
            ),
            _lazy("sáng kiến, đề xuất, quy định mới"),
        ),
    )
}


def service_list() -> list[dict[str, Any]]:
    """GET services: every kind of feedback, in the order of `Kind`."""
    return [
        {
            "service_code": code,
            "service_name": str(service.kind.label),
            "description": str(service.description),
            "metadata": True,
            "type": "realtime",
            "keywords": str(service.keywords),
            "group": str(service.group),
        }
        for code, service in SERVICES.items()
    ]


def service_notice() -> str:
    """What the portal does with a request (the specification's service_notice)."""
    return _(
        "Cổng Dịch vụ công phân loại và chuyển phản ánh, kiến nghị đến cơ quan có thẩm quyền trong "
        "%(forward)s ngày làm việc; cơ quan có thẩm quyền xử lý, trả lời trong %(handle)s ngày làm việc kể từ "
        "khi nhận. Kết quả được công khai khi người gửi đồng ý hoặc vì lợi ích chung, không kèm thông tin cá nhân."
    ) % {
        "forward": settings.FEEDBACK_FORWARD_WORKING_DAYS,
        "handle": settings.FEEDBACK_HANDLING_WORKING_DAYS,
    }


# --- the attributes ---------------------------------------------------------------------------------------------

STRING = "string"
SINGLE = "singlevaluelist"
TRUE_FALSE = (("true", _lazy("Đồng ý")), ("false", _lazy("Không đồng ý")))


@dataclass(frozen=True)
class Attribute:
    code: str  # also the Submission field it fills
    datatype: str
    required: bool
    description: Promise
    datatype_description: Promise | None = None
    values: Callable[[], list[tuple[str, Any]]] | None = None


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "topic",
        SINGLE,
        True,
        _lazy("Phản ánh, kiến nghị về việc gì"),
        values=lambda: list(Topic.choices),
    ),
    Attribute("title", STRING, True, _lazy("Tiêu đề: tóm tắt nội dung phản ánh, kiến nghị trong một câu")),
    Attribute(
        "sender_address",
        STRING,
        True,
        _lazy("Địa chỉ liên hệ của người gửi (bắt buộc theo quy định về tiếp nhận phản ánh, kiến nghị)"),
        _lazy("Số nhà, đường, xã/phường, tỉnh/thành phố"),
    ),
    Attribute(
        "sender_kind",
        SINGLE,
        False,
        _lazy("Người gửi là cá nhân hay tổ chức, doanh nghiệp (mặc định: cá nhân)"),
        values=lambda: list(SenderKind.choices),
    ),
    Attribute(
        "organisation_name", STRING, False, _lazy("Tên tổ chức, doanh nghiệp (khi người gửi là tổ chức)")
    ),
    Attribute(
        "procedure_code",
        STRING,
        False,
        _lazy("Mã thủ tục hành chính liên quan, nếu có"),
        _lazy("Mã trên Cơ sở dữ liệu quốc gia về thủ tục hành chính, ví dụ 1.001234"),
    ),
    Attribute(
        "dossier_code",
        STRING,
        False,
        _lazy("Mã hồ sơ liên quan, nếu có (hồ sơ phải tồn tại)"),
        _lazy("Mã hồ sơ in trên giấy tiếp nhận, dạng <mã cơ quan>-YYMMDD-NNNN"),
    ),
    Attribute(
        "agency_code",
        STRING,
        False,
        _lazy("Mã cơ quan bị phản ánh hoặc có thẩm quyền, nếu biết"),
        _lazy("Mã cơ quan trong danh mục cơ quan của Cổng, ví dụ UBND-01"),
    ),
    Attribute(
        "unit_code",
        STRING,
        False,
        _lazy("Đơn vị hành chính nơi xảy ra sự việc (cũng có thể gửi trong address_id)"),
        _lazy("Mã đơn vị hành chính: tỉnh 2 chữ số, xã 5 chữ số"),
    ),
    Attribute(
        "consent_to_publish",
        SINGLE,
        False,
        _lazy("Đồng ý công khai kết quả xử lý (không kèm thông tin cá nhân); mặc định: không đồng ý"),
        values=lambda: list(TRUE_FALSE),
    ),
)
ATTRIBUTE_BY_CODE = {a.code: a for a in ATTRIBUTES}


def service_definition(service_code: str) -> dict[str, Any]:
    """GET services/{service_code}: the same attributes for every kind (variable: the client asks the user)."""
    return {
        "service_code": service_code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": (
                    str(attribute.datatype_description) if attribute.datatype_description else None
                ),
                "order": order,
                "description": str(attribute.description),
                "values": [{"key": key, "name": str(name)} for key, name in attribute.values()]
                if attribute.values
                else [],
            }
            for order, attribute in enumerate(ATTRIBUTES, start=1)
        ],
    }


# --- reading a POSTed request -----------------------------------------------------------------------------------


@dataclass
class Parsed:
    """The Submission's fields read from the form, or the problems found (each "<parameter>: <message>"), and
    for each Submission field the Open311 parameter it came from (to name it in the domain's errors)."""

    fields: dict[str, Any]
    problems: list[str]
    sources: dict[str, str]


def attribute_values(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """`attribute[code]=v` and `attribute[code][]=v` (the specification's form for lists), by code."""
    found: dict[str, list[str]] = {}
    for key, values in form.items():
        if key.startswith("attribute[") and key.endswith("]"):
            code = key[len("attribute[") :].removesuffix("[]").removesuffix("]")
            found.setdefault(code, []).extend(values)
    return found


def _coordinate(name: str, raw: str, limit: int, problems: list[str]) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -limit <= value <= limit:
        problems.append(
            _("%(name)s: phải là một số thập phân từ -%(limit)s đến %(limit)s (WGS84).")
            % {"name": name, "limit": limit}
        )
        return None
    return value.quantize(_COORDINATE, rounding=ROUND_HALF_EVEN)


def _location(
    form: Mapping[str, str], fields: dict[str, Any], sources: dict[str, str], problems: list[str]
) -> None:
    lat, long = form.get("lat", "").strip(), form.get("long", "").strip()
    address_string, address_id = form.get("address_string", "").strip(), form.get("address_id", "").strip()
    if bool(lat) != bool(long):
        problems.append(_("lat, long: cần gửi cả vĩ độ (lat) và kinh độ (long)."))
    elif lat:
        fields["latitude"] = _coordinate("lat", lat, 90, problems)
        fields["longitude"] = _coordinate("long", long, 180, problems)
    if not (lat and long) and not address_string and not address_id:
        problems.append(
            _(
                "Cần cho biết nơi xảy ra sự việc: lat và long, address_string hoặc address_id (mã đơn vị hành chính)."
            )
        )
    if address_string:
        fields["address"] = address_string
        sources["address"] = "address_string"
    if address_id:
        unit = fields.get("unit_code", "")
        if unit and unit != address_id:
            problems.append(_("address_id: khác với attribute[unit_code]; chỉ cần gửi một trong hai."))
        fields["unit_code"] = address_id
        sources["unit_code"] = "address_id"


def _attributes(
    form: Mapping[str, list[str]], fields: dict[str, Any], sources: dict[str, str], problems: list[str]
) -> None:
    given = attribute_values(form)
    for attribute in ATTRIBUTES:
        name = f"attribute[{attribute.code}]"
        sources[attribute.code] = name
        values = [v.strip() for v in given.get(attribute.code, []) if v.strip()]
        if not values:
            if attribute.required:
                problems.append(
                    _("%(name)s: bắt buộc (%(what)s).") % {"name": name, "what": attribute.description}
                )
            continue
        if len(values) > 1:
            problems.append(_("%(name)s: chỉ nhận một giá trị.") % {"name": name})
            continue
        value = values[0]
        if attribute.values is not None:
            keys = [key for key, _label in attribute.values()]
            if value not in keys:
                problems.append(
                    _("%(name)s: giá trị “%(value)s” không có trong danh sách (%(keys)s).")
                    % {"name": name, "value": value, "keys": ", ".join(keys)}
                )
                continue
        fields[attribute.code] = value == "true" if attribute.code == "consent_to_publish" else value


def read_request(form: Mapping[str, list[str]]) -> Parsed:
    """The Submission fields of a POST requests form (`form`: each parameter's values, as QueryDict.lists()
    gives them), checked for what this interface promises in the service definition and the specification (a
    location, the required attributes and the values of the lists, description's 4,000 characters) and for the
    sender's name and phone, which the portal requires of all feedback. The domain checks the rest."""
    one = {key: (values[-1] if values else "") for key, values in form.items()}
    fields: dict[str, Any] = {}
    sources: dict[str, str] = {
        "content": "description",
        "sender_name": "first_name",
        "sender_phone": "phone",
        "sender_email": "email",
        "latitude": "lat",
        "longitude": "long",
        "kind": "service_code",
        "device_id": "device_id",
        "account_id": "account_id",
        "media_url": "media_url",
    }
    problems: list[str] = []
    _attributes(form, fields, sources, problems)
    _location(one, fields, sources, problems)

    name = " ".join(
        part for part in (one.get("last_name", "").strip(), one.get("first_name", "").strip()) if part
    )
    if not name:
        problems.append(_("first_name, last_name: vui lòng cho biết họ tên người gửi."))
    phone = one.get("phone", "").strip()
    if not phone:
        problems.append(_("phone: vui lòng cho biết số điện thoại của người gửi."))
    content = one.get("description", "").strip()
    if not content:
        problems.append(_("description: vui lòng nhập nội dung phản ánh, kiến nghị."))
    elif len(content) > MAX_DESCRIPTION:
        problems.append(_("description: tối đa %(max)s ký tự.") % {"max": MAX_DESCRIPTION})
    fields.update(
        sender_name=name,
        sender_phone=phone,
        sender_email=one.get("email", "").strip(),
        content=content,
        device_id=one.get("device_id", "").strip(),
        account_id=one.get("account_id", "").strip(),
        media_url=one.get("media_url", "").strip(),
    )
    return Parsed(fields=fields, problems=problems, sources=sources)
