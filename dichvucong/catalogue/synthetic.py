"""A large synthetic catalogue for benchmarks (`manage.py gensynthetic`). Every record is marked synthetic and
its code starts with 9, a prefix no real procedure has, so it can never be mistaken for, or mixed with, the
curated demo data."""

from __future__ import annotations

import random

from django.db import transaction

from dichvucong.organisations.models import Agency, AgencyLevel

from . import search
from .models import Faq, Field, Procedure, ProcedureStatus, SearchEntry
from .services import field_for_name

ACTIONS = [
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Đăng ký",
    "Gia hạn",
    "Điều chỉnh",
    "Thu hồi",
    "Xác nhận",
    "Thẩm định",
    "Phê duyệt",
    "Công nhận",
    "Chấm dứt",
    "Bổ sung",
    "Đăng ký thay đổi nội dung",
]
OBJECTS = [
    "giấy phép",
    "chứng chỉ hành nghề",
    "giấy chứng nhận",
    "văn bản chấp thuận",
    "quyết định",
    "giấy xác nhận",
    "thẻ",
    "sổ",
    "hồ sơ",
    "bản đăng ký",
]
SUBJECTS = [
    "kinh doanh dịch vụ lữ hành",
    "khám bệnh, chữa bệnh",
    "hoạt động xây dựng",
    "khai thác tài nguyên nước",
    "vận tải hành khách",
    "dạy nghề",
    "nuôi trồng thủy sản",
    "an toàn thực phẩm",
    "phòng cháy chữa cháy",
    "xuất khẩu gạo",
    "kinh doanh xăng dầu",
    "hoạt động in",
    "quảng cáo",
    "giáo dục mầm non",
    "đấu giá tài sản",
    "công chứng",
    "thừa phát lại",
    "luật sư",
    "bảo vệ môi trường",
    "sử dụng đất",
    "nhà ở xã hội",
    "thuốc bảo vệ thực vật",
    "thú y",
    "lưu trú du lịch",
    "karaoke",
    "trò chơi điện tử",
    "hóa chất",
    "vật liệu nổ công nghiệp",
    "thiết bị y tế",
    "dược phẩm",
    "mỹ phẩm",
    "bưu chính",
    "viễn thông",
    "tần số vô tuyến điện",
    "đo lường",
    "tiêu chuẩn chất lượng",
    "sở hữu trí tuệ",
    "nuôi con nuôi",
    "quốc tịch",
    "người có công",
    "bảo trợ xã hội",
    "trẻ em",
    "lao động nước ngoài",
]
QUALIFIERS = [
    "",
    "cho cá nhân",
    "cho tổ chức",
    "cho doanh nghiệp",
    "có yếu tố nước ngoài",
    "tại khu công nghiệp",
    "trong trường hợp bị mất",
    "trong trường hợp hết hạn",
    "lần đầu",
]
FIELDS = [
    "Y tế",
    "Du lịch",
    "Xây dựng",
    "Tài nguyên nước",
    "Giao thông vận tải",
    "Giáo dục nghề nghiệp",
    "Thủy sản",
    "An toàn thực phẩm",
    "Phòng cháy chữa cháy",
    "Thương mại",
    "Văn hóa",
    "Tư pháp",
    "Môi trường",
    "Đất đai",
    "Nhà ở",
    "Nông nghiệp",
    "Công nghiệp",
    "Thông tin và truyền thông",
    "Khoa học công nghệ",
    "Lao động",
    "Bảo trợ xã hội",
    "Hộ tịch",
    "Quốc tịch",
    "Nuôi con nuôi",
]
QUESTIONS = [
    "Thủ tục {s} cần những giấy tờ gì?",
    "Làm {s} mất bao lâu?",
    "Lệ phí {s} là bao nhiêu?",
    "Nộp hồ sơ {s} ở đâu?",
    "Có thể làm {s} trực tuyến không?",
    "Ai được {s}?",
]
LEVELS = ["ministry", "province", "commune"]


@transaction.atomic
def generate(*, procedures: int, faqs: int, seed: int = 2025) -> tuple[int, int]:
    """Replace the synthetic catalogue with `procedures` procedures and `faqs` questions."""
    rng = random.Random(seed)
    SearchEntry.objects.filter(synthetic=True).delete()
    Faq.objects.filter(synthetic=True).delete()
    Procedure.objects.filter(synthetic=True).delete()
    fields = [field_for_name(name) for name in FIELDS]
    agencies = list(Agency.objects.filter(level=AgencyLevel.CENTRAL))
    provinces = [
        None,
        None,
        None,
        *{a.province for a in Agency.objects.filter(level="province") if a.province},
    ]
    made: list[Procedure] = []
    chosen_fields: list[Field] = []
    for n in range(procedures):
        subject = rng.choice(SUBJECTS)
        name = " ".join(
            x for x in (rng.choice(ACTIONS), rng.choice(OBJECTS), subject, rng.choice(QUALIFIERS)) if x
        )
        fee = rng.choice([0, 50_000, 100_000, 150_000, 200_000, 500_000, 1_000_000])
        limit = rng.choice([1, 3, 5, 7, 10, 15, 20, 30])
        steps = [
            {
                "title": "Nộp hồ sơ",
                "description": f"Tổ chức, cá nhân nộp hồ sơ {subject} tại bộ phận một cửa.",
            },
            {"title": "Thẩm định", "description": "Cơ quan có thẩm quyền kiểm tra, thẩm định hồ sơ."},
            {"title": "Trả kết quả", "description": "Trả kết quả trực tiếp, qua bưu chính hoặc trực tuyến."},
        ]
        methods = [
            {
                "channel": channel,
                "time_limit": limit,
                "time_unit": "working_days",
                "time_limit_text": "",
                "description": "",
                "fees": [{"code": "", "kind": "fee", "amount": fee, "description": "Lệ phí"}],
            }
            for channel in ("in_person", "online", "post")
        ]
        field = rng.choice(fields)
        province = rng.choice(provinces)
        made.append(
            Procedure(
                code=f"9.{n:06d}",
                version=1,
                status=ProcedureStatus.PUBLISHED,
                name=name[0].upper() + name[1:],
                name_en=f"Synthetic procedure {n}",
                summary=f"Thủ tục tổng hợp phục vụ đo hiệu năng: {name} thuộc lĩnh vực {field.name.lower()}.",
                levels=[rng.choice(LEVELS)],
                audiences=["citizen", "enterprise"][: rng.randint(1, 2)],
                managing_agency=rng.choice(agencies),
                competent_agency="Cơ quan có thẩm quyền",
                steps=steps,
                methods=methods,
                documents=[
                    {
                        "group": "Giấy tờ phải nộp",
                        "case": "",
                        "name": f"Đơn đề nghị {name.lower()}",
                        "template": "",
                        "template_url": "",
                        "originals": 1,
                        "copies": 0,
                        "required": True,
                    }
                ],
                results=[{"name": f"Kết quả {subject}", "code": ""}],
                legal_basis=[
                    {"number": "00/0000/SYN", "title": "Văn bản tổng hợp", "issued_on": None, "issuer": ""}
                ],
                online_level=rng.choice(["none", "partial", "full"]),
                province=province,
                source="synthetic",
                synthetic=True,
                content_hash=f"synthetic-{seed}-{n}",
            )
        )
        chosen_fields.append(field)
    Procedure.objects.bulk_create(made, batch_size=1000)
    through = Procedure.fields.through
    through.objects.bulk_create(
        [through(procedure_id=p.pk, field_id=f.pk) for p, f in zip(made, chosen_fields, strict=True)],
        batch_size=2000,
    )
    for p, f in zip(made, chosen_fields, strict=True):
        p._prefetched_objects_cache = {"fields": [f]}  # type: ignore[attr-defined]
    entries = [
        SearchEntry(kind="procedure", object_id=p.pk, **search.entry_values_for_procedure(p)) for p in made
    ]
    made_faqs = []
    for n in range(faqs):
        subject = rng.choice(SUBJECTS)
        made_faqs.append(
            Faq(
                code=f"SYN-{n:06d}",
                question=rng.choice(QUESTIONS).format(s=subject),
                answer=f"Câu trả lời tổng hợp số {n} về {subject}: xem thành phần hồ sơ và thời hạn của thủ tục.",
                field=rng.choice(fields),
                source="synthetic",
                synthetic=True,
                content_hash=f"synthetic-{seed}-{n}",
            )
        )
    Faq.objects.bulk_create(made_faqs, batch_size=1000)
    entries += [SearchEntry(kind="faq", object_id=f.pk, **search.entry_values_for_faq(f)) for f in made_faqs]
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    search.rebuild_vocabulary()
    return len(made), len(made_faqs)


__all__ = ["generate"]
