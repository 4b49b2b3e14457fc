"""Personal data in what is published of a feedback: finding it (`check`, run by `services.publish`, which refuses
to publish while any is found) and proposing a redacted text (`suggest`, for the officer's form).

What counts as personal data here, and why:
- the sender's name, whole or as family name + given name ("Nguyễn Văn An", "Nguyễn An"), with or without
  diacritics. A single word of the name is not looked for: "An", "Bình", "Hà" are everyday words and places, and
  flagging every one would drown the officer in false alarms;
- the sender's address, whole, and its first part when it holds a house number ("12 phố Đội Cấn"): the street and
  the commune alone name a place of the case, which the public may need to read;
- the name of the sender's organisation (it names who complained as surely as a person's name);
- anywhere in the text: Vietnamese phone numbers (mobile and landline, in any format: spaces, dots, dashes,
  +84), e-mail addresses, 12-digit personal identification numbers, 9-digit numbers of the old identity cards,
  and dossier codes (`<agency>-YYMMDD-NNNN`): a dossier code points to one person's case, and with the
  sender's own dossier it points to them;
- not: enterprise tax codes, which are public (printed on every invoice, published in the business register).
  A 10-digit number written after "mã số thuế" or "MST", or with a branch suffix ("0301234567-001"), is read
  as a tax code even when its digits could be a mobile number; sums of money ("150.000.000") are not numbers
  of identity cards.
Matching is done on folded text (no diacritics, lower case), so "nguyen van an" is found as surely as
"Nguyễn Văn An".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dichvucong.core.errors import FieldError, ValidationFailed
from dichvucong.core.text import fold
from dichvucong.feedback.models import Feedback, SenderKind

REDACTED = "[đã ẩn]"

# --- phone numbers ----------------------------------------------------------------------------------------------

_PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()]")
MOBILE_RE = re.compile(r"0[35789][0-9]{8}")
LANDLINE_RE = re.compile(r"02[0-9]{9}")


def national_phone(value: str) -> str | None:
    """A Vietnamese mobile or landline number in its national form ("0912345678", "02438251234"), from any of
    the ways people write it ("0912 345 678", "0912.345.678", "+84 912 345 678", "(024) 3825 1234"), or None
    when it is not one."""
    digits = _PHONE_SEPARATORS_RE.sub("", value.strip())
    if digits.startswith("+84"):
        digits = digits[3:]
        digits = digits if digits.startswith("0") else "0" + digits
    elif digits.startswith("84") and len(digits) in (11, 12) and not digits.startswith("840"):
        digits = "0" + digits[2:]
    if MOBILE_RE.fullmatch(digits) or LANDLINE_RE.fullmatch(digits):
        return digits
    return None


def is_mobile(number: str) -> bool:
    return bool(MOBILE_RE.fullmatch(number))


# --- what is looked for -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # name, address, organisation, phone, email, citizen_id, old_id, dossier
    start: int
    end: int
    text: str


_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
# Runs of digits with at most one separator between them, optionally after a +84 country code or an area
# code in brackets.
_NUMBER_RE = re.compile(r"(?<![\w+])(?:\(?\+84\)?[ .\-]?|\(0\d{1,3}\)[ .\-]?)?\d(?:[ .\-]?\d){7,13}(?![\w])")
_GROUP_RE = re.compile(r"\(?\+84\)?|\(0\d{1,3}\)|\d+")
_AMOUNT_RE = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_TAX_CONTEXT_RE = re.compile(r"(?:ma so thue|mst)\W{0,3}$")
_BRANCH_SUFFIX_RE = re.compile(r"^\s?-\s?\d{3}(?!\d)")
_DOSSIER_CODE_RE = re.compile(r"(?<![\w.\-])[A-Za-z0-9][A-Za-z0-9.]*-\d{6}-\d{4}(?![\w])")


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character (as `core.text.fold`, without collapsing spaces), and for each
    character of the folded text the index of the character of `text` it came from."""
    folded: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.combining(char):
            continue
        lowered = char.replace("đ", "d").replace("Đ", "d").lower()
        base = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
        for piece in base:
            folded.append(" " if piece.isspace() else piece)
            positions.append(index)
    return "".join(folded), positions


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = re.findall(r"\w+", fold(phrase))
    if not words:
        return None
    joined = r"[\s,.\-]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){joined}(?!\w)")


def _name_variants(name: str) -> list[str]:
    words = name.split()
    variants = [" ".join(words)] if len(words) >= 2 else []
    if len(words) >= 3:
        variants.append(f"{words[0]} {words[-1]}")  # family name + given name: "Nguyễn An"
    return variants


def _address_variants(address: str) -> list[str]:
    variants = [address.strip()] if len(address.strip()) >= 5 else []
    first = address.split(",")[0].strip()
    if first != address.strip() and re.search(r"\d", first) and len(first) >= 5:
        variants.append(first)
    return variants


def _known_phrases(feedback: Feedback) -> list[tuple[str, str]]:
    phrases = [("name", v) for v in _name_variants(feedback.sender_name)]
    phrases += [("address", v) for v in _address_variants(feedback.sender_address)]
    if feedback.organisation_name.strip() and (
        feedback.sender_kind == SenderKind.ORGANISATION or len(feedback.organisation_name.strip()) >= 4
    ):
        phrases.append(("organisation", feedback.organisation_name.strip()))
    return phrases


def _number_kind(token: str, before: str, after: str) -> str | None:
    digits = re.sub(r"\D", "", token)
    if token.lstrip("(").startswith("+84") or national_phone(token):
        number = national_phone(token)
        if number is None:
            return None
        # Ten digits may be an enterprise tax code (those of Hồ Chí Minh City start with 03).
        tax_code = bool(_TAX_CONTEXT_RE.search(fold(before[-20:])) or _BRANCH_SUFFIX_RE.match(after))
        if tax_code and is_mobile(number) and len(digits) == 10 and token[0] == "0":
            return None
        return "phone"
    if _AMOUNT_RE.fullmatch(token):  # a sum of money written with thousands separators
        return None
    if len(digits) == 12:
        return "citizen_id"
    if len(digits) == 9:
        return "old_id"
    return None


def _numbers_in(text: str, start: int, end: int) -> list[Finding]:
    """The numbers in a run of digit groups: the run may join a number to its neighbours ("0912 345 678 2
    lần"), so the longest sequence of whole groups that is a number wins, from the left."""
    groups = [(start + m.start(), start + m.end()) for m in _GROUP_RE.finditer(text[start:end])]
    found: list[Finding] = []
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            first, last = groups[i][0], groups[j - 1][1]
            kind = _number_kind(text[first:last], text[:first], text[last:])
            if kind:
                found.append(Finding(kind, first, last, text[first:last]))
                i = j
                break
        else:
            i += 1
    return found


def find(feedback: Feedback, text: str) -> list[Finding]:
    """Every item of personal data in `text`, in order of position (overlaps removed: the longest wins)."""
    text = unicodedata.normalize("NFC", text)
    found: list[Finding] = []
    folded, positions = _fold_with_map(text)
    for kind, phrase in _known_phrases(feedback):
        pattern = _phrase_pattern(phrase)
        if pattern is None:
            continue
        for match in pattern.finditer(folded):
            start, end = positions[match.start()], positions[match.end() - 1] + 1
            found.append(Finding(kind, start, end, text[start:end]))
    for match in _EMAIL_RE.finditer(text):
        found.append(Finding("email", match.start(), match.end(), match.group(0)))
    for match in _NUMBER_RE.finditer(text):
        found += _numbers_in(text, match.start(), match.end())
    dossier_code = feedback.dossier.code if feedback.dossier_id and feedback.dossier else ""
    for match in _DOSSIER_CODE_RE.finditer(text):
        if not match.group(0).upper().startswith("PAKN-"):  # feedback codes are public
            found.append(Finding("dossier", match.start(), match.end(), match.group(0)))
    if dossier_code:
        for match in re.finditer(re.escape(dossier_code), text, flags=re.IGNORECASE):
            found.append(Finding("dossier", match.start(), match.end(), match.group(0)))
    return _without_overlaps(found)


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def _masked(finding: Finding) -> str:
    value = finding.text.strip()
    if finding.kind == "email":
        local, _at, domain = value.partition("@")
        return f"{local[:1]}…@{domain}"
    if finding.kind in ("phone", "citizen_id", "old_id"):
        return value[:4] + "…"
    return f"“{value}”"


def message(finding: Finding) -> str:
    """What the officer reads about one item found (Vietnamese; the numbers shortened, names in full)."""
    what = _masked(finding)
    messages = {
        "name": _("Còn họ tên người gửi %(what)s."),
        "address": _("Còn địa chỉ của người gửi %(what)s."),
        "organisation": _("Còn tên tổ chức của người gửi %(what)s."),
        "phone": _("Còn số điện thoại %(what)s."),
        "email": _("Còn địa chỉ thư điện tử %(what)s."),
        "citizen_id": _("Còn số định danh cá nhân %(what)s."),
        "old_id": _("Còn số chứng minh nhân dân %(what)s."),
        "dossier": _("Còn mã hồ sơ %(what)s, cho biết hồ sơ của người gửi."),
    }
    return messages[finding.kind] % {"what": what}


def check(feedback: Feedback, **texts: str) -> list[FieldError]:
    """One `FieldError` per item of personal data found in each text (column = the text's keyword, e.g.
    "public_answer"); the same item written twice in one text is reported once."""
    errors: list[FieldError] = []
    for column, text in texts.items():
        seen: set[tuple[str, str]] = set()
        for finding in find(feedback, text or ""):
            key = (finding.kind, fold(re.sub(r"[\s.\-()]", "", finding.text)))
            if key in seen:
                continue
            seen.add(key)
            errors.append(FieldError(None, column, message(finding)))
    return errors


def ensure_clean(feedback: Feedback, **texts: str) -> None:
    """`check`, raising `ValidationFailed` when anything is found."""
    errors = check(feedback, **texts)
    if errors:
        raise ValidationFailed(
            errors=errors,
            summary=_(
                "Nội dung công khai còn thông tin cá nhân (%(count)s mục). Vui lòng ẩn trước khi công khai."
            )
            % {"count": len(errors)},
        )


def suggest(feedback: Feedback, text: str) -> str:
    """`text` with every item of personal data replaced by "[đã ẩn]" (a proposal: the officer reads it)."""
    text = unicodedata.normalize("NFC", text)
    for finding in reversed(find(feedback, text)):
        text = text[: finding.start] + REDACTED + text[finding.end :]
    return text
