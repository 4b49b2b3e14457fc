"""The sandbox's test citizens (``citizens.json``) and the OpenID Connect claims released about them."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vietnam_provinces import Province, Ward, WardCode
from vietnam_provinces.legacy import Province as LegacyProvince
from vietnam_provinces.legacy.codes import ProvinceCode as LegacyProvinceCode

CITIZENS_FILE = Path(__file__).with_name("citizens.json")
SUB_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vneid-sandbox:citizen")
LEVEL_ACR = {1: "urn:vneid:loa:1", 2: "urn:vneid:loa:2"}
ACR_LEVEL = {acr: level for level, acr in LEVEL_ACR.items()}
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "family_name", "middle_name", "given_name", "birthdate", "gender"),
    "citizen_id": ("citizen_id",),
    "phone": ("phone_number", "phone_number_verified"),
    "email": ("email", "email_verified"),
    "address": ("address",),
}
SUPPORTED_SCOPES = ("openid", *SCOPE_CLAIMS)
PHONE_RE = re.compile(r"^\+84(3|5|7|8|9)\d{8}$")
CITIZEN_ID_RE = re.compile(r"^\d{12}$")


class CitizenDataError(ValueError):
    """``citizens.json`` holds a record that breaks the national rules."""


@dataclass(frozen=True)
class Citizen:
    """A test citizen holding a VNeID account."""

    citizen_id: str
    family_name: str
    middle_name: str
    given_name: str
    birthdate: str
    gender: str
    level: int
    phone_number: str
    email: str
    street_address: str
    commune_code: str

    @property
    def name(self) -> str:
        """Full name in Vietnamese order: family, middle, given."""
        return " ".join(part for part in (self.family_name, self.middle_name, self.given_name) if part)

    @property
    def sub(self) -> str:
        """Stable, opaque subject identifier (a UUID derived from the number, not the number itself)."""
        return str(uuid.uuid5(SUB_NAMESPACE, self.citizen_id))

    @property
    def acr(self) -> str:
        """Authentication context class of this citizen's account level."""
        return LEVEL_ACR[self.level]

    def address(self) -> dict[str, str]:
        """OIDC address claim, with the current (post-1 July 2025) commune and province and their codes."""
        ward = Ward.from_code(WardCode(int(self.commune_code)))
        province = Province.from_code(ward.province_code)
        return {
            "formatted": f"{self.street_address}, {ward.name}, {province.name}",
            "street_address": self.street_address,
            "locality": ward.name,
            "region": province.name,
            "country": "VN",
            "province_code": f"{province.code.value:02d}",
            "commune_code": f"{ward.code.value:05d}",
        }

    def claims(self, scopes: tuple[str, ...]) -> dict[str, Any]:
        """``sub`` plus the identity claims that the granted scopes allow."""
        values: dict[str, Any] = {
            "name": self.name,
            "family_name": self.family_name,
            "middle_name": self.middle_name,
            "given_name": self.given_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "citizen_id": self.citizen_id,
            "phone_number": self.phone_number,
            "phone_number_verified": True,
            "email": self.email,
            "email_verified": True,
        }
        result: dict[str, Any] = {"sub": self.sub}
        for scope in scopes:
            for claim in SCOPE_CLAIMS.get(scope, ()):
                result[claim] = self.address() if claim == "address" else values[claim]
        return result

    def check(self) -> None:
        """Raise :class:`CitizenDataError` unless the record follows the national rules."""
        number = self.citizen_id
        if not CITIZEN_ID_RE.match(number):
            raise CitizenDataError(f"{number}: a personal identification number has 12 digits")
        try:
            LegacyProvince.from_code(LegacyProvinceCode(int(number[:3])))
        except ValueError as exc:
            raise CitizenDataError(f"{number}: {number[:3]} is not a province code") from exc
        born = date.fromisoformat(self.birthdate)
        if self.gender not in {"male", "female"}:
            raise CitizenDataError(f"{number}: gender must be male or female")
        expected = (0 if born.year < 2000 else 2) + (1 if self.gender == "female" else 0)
        if (
            not 1900 <= born.year < 2100
            or number[3] != str(expected)
            or number[4:6] != f"{born.year % 100:02d}"
        ):
            raise CitizenDataError(f"{number}: century/sex digit or year digits disagree with the birth date")
        if self.level not in LEVEL_ACR:
            raise CitizenDataError(f"{number}: level must be 1 or 2")
        if not PHONE_RE.match(self.phone_number):
            raise CitizenDataError(f"{number}: phone number must be a Vietnamese mobile number as +84…")
        try:
            self.address()
        except ValueError as exc:
            raise CitizenDataError(f"{number}: unknown commune code {self.commune_code}") from exc


@dataclass(frozen=True)
class CitizenRegistry:
    """All test citizens and their shared test password."""

    password: str
    citizens: tuple[Citizen, ...]

    def get(self, citizen_id: str) -> Citizen | None:
        """The citizen with this personal identification number, if any."""
        return next((c for c in self.citizens if c.citizen_id == citizen_id), None)


def load_citizens(path: Path = CITIZENS_FILE) -> CitizenRegistry:
    """Read and check ``citizens.json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    citizens = tuple(Citizen(**record) for record in data["citizens"])
    for citizen in citizens:
        citizen.check()
    if len({c.citizen_id for c in citizens}) != len(citizens):
        raise CitizenDataError("personal identification numbers must be unique")
    return CitizenRegistry(password=str(data["password"]), citizens=citizens)


def all_claim_names() -> list[str]:
    """Every claim the sandbox can release, for the discovery document."""
    names = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash"]
    for claims in SCOPE_CLAIMS.values():
        names.extend(claims)
    return names
