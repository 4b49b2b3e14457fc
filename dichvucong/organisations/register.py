"""The central part of the register of agencies: ministries, ministry-level agencies, government agencies and
state enterprises that publish procedures, as organised after the government restructuring of March 2025.

Provinces, communes and the local branches of sectoral agencies are derived from `vietnam-provinces` in
`services.sync_register`, not listed here.
"""

from __future__ import annotations

from typing import NamedTuple


class CentralAgency(NamedTuple):
    code: str
    name: str
    name_en: str
    kind: str
    website: str
    parent: str = ""


CENTRAL_AGENCIES: tuple[CentralAgency, ...] = (
    CentralAgency("BQP", "Bộ Quốc phòng", "Ministry of National Defence", "ministry", "https://mod.gov.vn"),
    CentralAgency("BCA", "Bộ Công an", "Ministry of Public Security", "ministry", "https://bocongan.gov.vn"),
    CentralAgency("BNG", "Bộ Ngoại giao", "Ministry of Foreign Affairs", "ministry", "https://mofa.gov.vn"),
    CentralAgency("BNV", "Bộ Nội vụ", "Ministry of Home Affairs", "ministry", "https://moha.gov.vn"),
    CentralAgency("BTP", "Bộ Tư pháp", "Ministry of Justice", "ministry", "https://moj.gov.vn"),
    CentralAgency("BTC", "Bộ Tài chính", "Ministry of Finance", "ministry", "https://mof.gov.vn"),
    CentralAgency(
        "BCT", "Bộ Công Thương", "Ministry of Industry and Trade", "ministry", "https://moit.gov.vn"
    ),
    CentralAgency(
        "BNNMT",
        "Bộ Nông nghiệp và Môi trường",
        "Ministry of Agriculture and Environment",
        "ministry",
        "https://mae.gov.vn",
    ),
    CentralAgency("BXD", "Bộ Xây dựng", "Ministry of Construction", "ministry", "https://moc.gov.vn"),
    CentralAgency(
        "BVHTTDL",
        "Bộ Văn hóa, Thể thao và Du lịch",
        "Ministry of Culture, Sports and Tourism",
        "ministry",
        "https://bvhttdl.gov.vn",
    ),
    CentralAgency(
        "BKHCN",
        "Bộ Khoa học và Công nghệ",
        "Ministry of Science and Technology",
        "ministry",
        "https://mst.gov.vn",
    ),
    CentralAgency(
        "BGDDT",
        "Bộ Giáo dục và Đào tạo",
        "Ministry of Education and Training",
        "ministry",
        "https://moet.gov.vn",
    ),
    CentralAgency("BYT", "Bộ Y tế", "Ministry of Health", "ministry", "https://moh.gov.vn"),
    CentralAgency(
        "BDTTG",
        "Bộ Dân tộc và Tôn giáo",
        "Ministry of Ethnic Minority and Religious Affairs",
        "ministry",
        "https://ubdt.gov.vn",
    ),
    CentralAgency(
        "NHNN", "Ngân hàng Nhà nước Việt Nam", "State Bank of Vietnam", "ministry_level", "https://sbv.gov.vn"
    ),
    CentralAgency(
        "TTCP", "Thanh tra Chính phủ", "Government Inspectorate", "ministry_level", "https://thanhtra.gov.vn"
    ),
    CentralAgency(
        "VPCP",
        "Văn phòng Chính phủ",
        "Office of the Government",
        "ministry_level",
        "https://vpcp.chinhphu.vn",
    ),
    CentralAgency(
        "BHXH",
        "Bảo hiểm xã hội Việt Nam",
        "Vietnam Social Security",
        "government_agency",
        "https://baohiemxahoi.gov.vn",
        parent="BTC",
    ),
    CentralAgency(
        "CT", "Cục Thuế", "Tax Department", "government_agency", "https://gdt.gov.vn", parent="BTC"
    ),
    CentralAgency(
        "CSGT",
        "Cục Cảnh sát giao thông",
        "Traffic Police Department",
        "government_agency",
        "https://csgt.vn",
        parent="BCA",
    ),
    CentralAgency(
        "C06",
        "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "Police Department for Administrative Management of Social Order",
        "government_agency",
        "https://bocongan.gov.vn",
        parent="BCA",
    ),
    CentralAgency(
        "XNC",
        "Cục Quản lý xuất nhập cảnh",
        "Immigration Department",
        "government_agency",
        "https://xuatnhapcanh.gov.vn",
        parent="BCA",
    ),
    CentralAgency(
        "TTLLTPQG",
        "Trung tâm Lý lịch tư pháp quốc gia",
        "National Centre for Judicial Records",
        "government_agency",
        "https://lltptructuyen.moj.gov.vn",
        parent="BTP",
    ),
    CentralAgency(
        "EVN", "Tập đoàn Điện lực Việt Nam", "Vietnam Electricity", "state_enterprise", "https://evn.com.vn"
    ),
)

# Local branches of sectoral agencies created in every province: (code prefix, name pattern, English, sector,
# central parent code). After 2025 the provincial tax office is "Thuế tỉnh/thành phố", the social security branch
# "Bảo hiểm xã hội tỉnh/thành phố" and the police "Công an tỉnh/thành phố".
PROVINCIAL_BRANCHES: tuple[tuple[str, str, str, str, str], ...] = (
    ("CA", "Công an {name}", "{name_en} Police", "police", "BCA"),
    ("THUE", "Thuế {name}", "{name_en} Tax Office", "tax", "CT"),
    ("BHXH", "Bảo hiểm xã hội {name}", "{name_en} Social Security", "social_security", "BHXH"),
)
