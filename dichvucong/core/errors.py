"""Domain errors raised by services and turned into messages (pages) or RFC 9457 problem JSON (API)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """A rule of the domain was broken; `message` is for the user, in their language."""

    status = 400
    code = "domain-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404
    code = "not-found"


class Forbidden(DomainError):
    """Signed in, but this person's role does not allow the action (data outside their scope is NotFound, so
    that its existence is not revealed)."""

    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class FieldError:
    """One problem in one place of an input: row (1-based, None for the whole file), column, message."""

    row: int | None
    column: str
    message: str


@dataclass
class ValidationFailed(DomainError):
    """Input rejected as a whole; `errors` lists every problem found, not only the first."""

    errors: list[FieldError] = field(default_factory=list)
    summary: str = ""

    status = 422
    code = "validation-failed"

    def __post_init__(self) -> None:
        DomainError.__init__(self, self.summary)
