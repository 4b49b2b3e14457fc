"""Reconciliation (đối soát) of each provider's daily statement against the platform's orders, refunds and ledger.

A statement is a CSV file of one provider for one local day (Asia/Ho_Chi_Minh), header exactly
`order_reference,provider_transaction,amount,currency,status,paid_at`, status `success`, `refund` or `failed`.

- `import_statement` streams the file: every line is checked, every error reported with its line number, and the
  file is stored whole or not at all; the same file again gives the statement already imported.
- `reconcile` compares it with our side in SQL, set-wise (a statement may hold a million lines): each line is
  matched, or a discrepancy (missing on our side, amount, status); each of our payments and refunds of the day
  with no line is missing at the provider. Only discrepancies are stored, with the counts on the statement.
- `resolve` records an operator's decision on one discrepancy (re-query the provider, accept, refund the money
  due, escalate to the provider), audited; the statement is closed when none is left open.
- `export_report` streams the report as CSV lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dichvucong.core import audit
from dichvucong.core.errors import DomainError, FieldError, ValidationFailed
from dichvucong.core.text import spreadsheet_safe
from dichvucong.payments import services
from dichvucong.payments.models import (
    PAID_STATUSES,
    Discrepancy,
    DiscrepancyKind,
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    OrderStatus,
    PaymentOrder,
    Provider,
    Refund,
    Statement,
    StatementLine,
)
from dichvucong.payments.providers.base import CallbackOutcome

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = ("order_reference", "provider_transaction", "amount", "currency", "status", "paid_at")
LINE_STATUSES = ("success", "refund", "failed")
READ_CHUNK = 1 << 20
INSERT_CHUNK = 5000
# A file of a million wrong lines must not become a million messages in memory: the first ones are listed, the
# rest counted.
MAX_LISTED_ERRORS = 1000
MAX_AMOUNT = 2**63 - 1
# Below this many lines PostgreSQL's statistics matter little; above, the planner must know the new lines.
ANALYZE_AFTER_LINES = 10_000

Resolution = Discrepancy.Resolution
ACTIONS = {
    "requery": Resolution.REQUERIED,
    "accept": Resolution.ACCEPTED,
    "refund": Resolution.REFUND,
    "escalate": Resolution.ESCALATED,
}
# What a re-query may answer for the discrepancy to be settled by it.
SETTLING_OUTCOMES = (CallbackOutcome.APPLIED, CallbackOutcome.DUPLICATE, CallbackOutcome.LATE)


class ReconciliationError(DomainError):
    code = "reconciliation-error"
    status = 409


class BinaryReadable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


# --- Import ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    line_no: int
    order_reference: str
    provider_transaction: str
    amount: int
    currency: str
    status: str
    at: dt.datetime


def import_statement(
    *,
    provider: Provider,
    day: dt.date,
    file: BinaryReadable,
    file_name: str,
    actor: Any,
    request: Any = None,
) -> Statement:
    """Store the provider's statement of `day` from a CSV file, all lines or none (audited).

    The file is read in chunks, never held whole in memory (a statement may hold a million lines): once to
    compute its SHA-256 — the same file uploaded again gives the statement already stored, so an operator
    pressing twice or a retried job imports nothing twice — then to check and insert its lines, by COPY on
    PostgreSQL. Every error is collected with its line number and raised as `ValidationFailed`; the transaction
    is then rolled back."""
    stream = _rewindable(file)
    digest = hashlib.sha256()
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
    sha256 = digest.hexdigest()
    existing = Statement.objects.filter(provider=provider, day=day, sha256=sha256).first()
    if existing is not None:
        audit.record(
            "payments.statement_uploaded_again",
            actor=actor,
            request=request,
            target=existing,
            detail={"file": file_name[:255], "sha256": sha256},
        )
        return existing
    stream.seek(0)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                provider=provider,
                day=day,
                file_name=file_name[:255],
                sha256=sha256,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
            )
            count, errors, error_count = _store_lines(statement, stream)
            if error_count:
                raise _rejection(errors, error_count)
            if count == 0:
                raise ValidationFailed(
                    errors=[FieldError(None, "", "Bảng kê không có dòng giao dịch nào.")],
                    summary="Bảng kê không có dòng giao dịch nào.",
                )
            statement.line_count = count
            statement.save(update_fields=["line_count"])
            audit.record(
                "payments.statement_imported",
                actor=actor,
                request=request,
                target=statement,
                detail={"file": file_name[:255], "sha256": sha256, "lines": count},
            )
    except ValidationFailed as failure:
        audit.record(
            "payments.statement_rejected",
            actor=actor,
            request=request,
            detail={
                "provider": provider.code,
                "day": day.isoformat(),
                "file": file_name[:255],
                "errors": len(failure.errors),
            },
        )
        raise
    except IntegrityError:
        # The same file was being imported by another request at the same moment: theirs won.
        existing = Statement.objects.filter(provider=provider, day=day, sha256=sha256).first()
        if existing is None:
            raise
        return existing
    if count >= ANALYZE_AFTER_LINES and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {StatementLine._meta.db_table}")
    return statement


def _rewindable(file: BinaryReadable) -> Any:
    """The file itself if it can be read twice, else a temporary copy of it (spilled to disk when large)."""
    seekable = getattr(file, "seekable", None)
    if callable(seekable) and seekable():
        file.seek(0)  # type: ignore[attr-defined]
        return file
    # Closed by the caller's garbage collection once the import is done, like any upload's temporary file.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * READ_CHUNK)  # noqa: SIM115
    while chunk := file.read(READ_CHUNK):
        spool.write(chunk)
    spool.seek(0)
    return spool


def _rejection(errors: list[FieldError], error_count: int) -> ValidationFailed:
    listed = list(errors)
    if error_count > len(errors):
        listed.append(
            FieldError(
                None, "", f"… và {error_count - len(errors):,} lỗi khác không liệt kê.".replace(",", ".")
            )
        )
    return ValidationFailed(
        errors=listed,
        summary=f"Bảng kê có {error_count:,} lỗi, không dòng nào được nhập.".replace(",", "."),
    )


def _text_lines(stream: Any, errors: list[FieldError], counter: list[int]) -> Iterator[str]:
    """The file's lines as text, read in chunks; a line that is not UTF-8 is reported and replaced."""
    rest = b""
    line_no = 0
    while True:
        chunk = stream.read(READ_CHUNK)
        if chunk:
            pieces = (rest + chunk).split(b"\n")
            rest = pieces.pop()
        else:
            pieces = [rest] if rest else []
        for raw in pieces:
            line_no += 1
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # the byte-order mark spreadsheet programs write
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                counter[0] += 1
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(FieldError(line_no, "", "Dòng không được mã hóa UTF-8."))
                text = raw.decode("utf-8", errors="replace")
            yield text + "\n"
        if not chunk:
            return


def _store_lines(statement: Statement, stream: Any) -> tuple[int, list[FieldError], int]:
    """Check every line and insert the good ones while no error was found; returns (lines, listed errors,
    error count)."""
    errors: list[FieldError] = []
    counter = [0]  # errors found, listed or not
    reader = csv.reader(_text_lines(stream, errors, counter))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        message = "Dòng tiêu đề phải đúng là: " + ",".join(HEADER) + "."
        return 0, [FieldError(1, "", message)], 1
    count = 0
    with _LineWriter(statement) as writer:
        for row in reader:
            if not row or row == [""]:
                continue  # blank lines (a final newline, a spreadsheet's trailing rows) carry nothing
            line, problems = _parse(reader.line_num, row)
            if problems:
                counter[0] += len(problems)
                errors.extend(problems[: max(0, MAX_LISTED_ERRORS - len(errors))])
                continue
            assert line is not None
            count += 1
            if not counter[0]:  # once the file is known bad, nothing more is written: it will be rolled back
                writer.add(line)
    return count, errors, counter[0]


def _parse(line_no: int, row: list[str]) -> tuple[_Line | None, list[FieldError]]:
    problems: list[FieldError] = []

    def wrong(column: str, message: str) -> None:
        problems.append(FieldError(line_no, column, message))

    if len(row) != len(HEADER):
        wrong("", f"Dòng phải có {len(HEADER)} cột, có {len(row)} cột.")
        return None, problems
    reference, transaction_id, amount_text, currency, status, paid_at_text = (v.strip() for v in row)
    if not reference:
        wrong("order_reference", "Thiếu mã lệnh thanh toán.")
    elif len(reference) > 100:
        wrong("order_reference", "Mã lệnh thanh toán dài quá 100 ký tự.")
    if len(transaction_id) > 80:
        wrong("provider_transaction", "Mã giao dịch của tổ chức thanh toán dài quá 80 ký tự.")
    elif not transaction_id and status in ("success", "refund"):
        wrong("provider_transaction", "Thiếu mã giao dịch của tổ chức thanh toán.")
    amount = 0
    if not (amount_text.isascii() and amount_text.isdigit()):
        wrong("amount", f"Số tiền “{amount_text[:30]}” không phải số nguyên đồng (không dấu phân cách).")
    else:
        amount = int(amount_text)
        if amount <= 0:
            wrong("amount", "Số tiền phải lớn hơn 0.")
        elif amount > MAX_AMOUNT:
            wrong("amount", "Số tiền quá lớn.")
    if currency != "VND":
        wrong("currency", f"Loại tiền phải là VND, không phải “{currency[:10]}”.")
    if status not in LINE_STATUSES:
        wrong("status", f"Trạng thái “{status[:20]}” không hợp lệ (success, refund hoặc failed).")
    at: dt.datetime | None = None
    try:
        at = dt.datetime.fromisoformat(paid_at_text)
    except ValueError:
        wrong("paid_at", f"Thời điểm “{paid_at_text[:40]}” không đúng định dạng ISO 8601.")
    else:
        if at.tzinfo is None:
            wrong("paid_at", "Thời điểm phải ghi múi giờ (ví dụ 2026-11-02T09:03:00+07:00).")
    if problems or at is None:
        return None, problems
    return _Line(line_no, reference, transaction_id, amount, currency, status, at), []


class _LineWriter:
    """Inserts statement lines as they come: by COPY on PostgreSQL (a million lines in seconds), by
    `bulk_create` in chunks elsewhere."""

    COLUMNS = ("statement_id", "line_no", "order_reference", "provider_transaction", "amount", "currency")

    def __init__(self, statement: Statement) -> None:
        self.statement_id = statement.pk
        self.pending: list[StatementLine] = []
        self._copy_cm: Any = None
        self._copy: Any = None
        self._cursor: Any = None

    def __enter__(self) -> _LineWriter:
        if connection.vendor == "postgresql":
            self._cursor = connection.cursor()
            raw = self._cursor.cursor  # psycopg's own cursor
            table = StatementLine._meta.db_table
            columns = ", ".join((*self.COLUMNS, "status", "at"))
            self._copy_cm = raw.copy(f"COPY {table} ({columns}) FROM STDIN")
            self._copy = self._copy_cm.__enter__()
        return self

    def add(self, line: _Line) -> None:
        if self._copy is not None:
            self._copy.write_row(
                (
                    self.statement_id,
                    line.line_no,
                    line.order_reference,
                    line.provider_transaction,
                    line.amount,
                    line.currency,
                    line.status,
                    line.at,
                )
            )
            return
        self.pending.append(
            StatementLine(
                statement_id=self.statement_id,
                line_no=line.line_no,
                order_reference=line.order_reference,
                provider_transaction=line.provider_transaction,
                amount=line.amount,
                currency=line.currency,
                status=line.status,
                at=line.at,
            )
        )
        if len(self.pending) >= INSERT_CHUNK:
            self._flush()

    def _flush(self) -> None:
        StatementLine.objects.bulk_create(self.pending)
        self.pending = []

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._copy_cm is not None:
                self._copy_cm.__exit__(exc_type, exc, tb)
            elif exc_type is None and self.pending:
                self._flush()
        finally:
            if self._cursor is not None:
                self._cursor.close()


# --- Reconciliation -------------------------------------------------------------------------------------------


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day `day` in Hà Nội as [start, end) in UTC."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def _sql_list(values: Any) -> str:
    """Our own constants (never input) as an SQL list literal."""
    return "(" + ", ".join(f"'{v!s}'" for v in values) + ")"


PAID_SQL = _sql_list(PAID_STATUSES)
OPEN_SQL = _sql_list((OrderStatus.CREATED, OrderStatus.PENDING))


def _tables() -> dict[str, str]:
    return {
        "L": StatementLine._meta.db_table,
        "O": PaymentOrder._meta.db_table,
        "E": LedgerEntry._meta.db_table,
        "R": Refund._meta.db_table,
        "D": Discrepancy._meta.db_table,
    }


def _classified_lines_sql() -> str:
    """Every line of the statement (param 1: statement id) with its order of the provider (param 2) and its
    kind: 'matched', 'failed' (a failure that moved no money), or a discrepancy kind. The rules:

    - success: no order → missing_ours; amount differs → amount; our order paid with this transaction, or the
      payment kept for refund (late or double: ledger posting `late:<order>:<transaction>`) → matched; our
      order still open, or paid with another transaction (a second payment we never heard of) → missing_ours
      (a re-query settles it); our order failed, expired or cancelled → status.
    - refund: a succeeded refund of the order with this transaction and amount (or this amount) → matched;
      this transaction with another amount → amount; only refunds not succeeded → status; else missing_ours.
    - failed: our order paid with this very transaction, or paid that day with no success line for it in the
      statement → status; else it moved no money on either side.
    """
    t = _tables()
    refund_exists = f"SELECT 1 FROM {t['R']} r WHERE r.order_id = o.id"
    return f"""
        SELECT l.id AS line_id, l.order_reference AS order_reference, o.id AS order_id,
            l.amount AS their_amount, l.status AS their_status, o.status AS our_status,
            CASE WHEN l.status = 'refund' THEN (
                SELECT MAX(r.amount) FROM {t["R"]} r
                WHERE r.order_id = o.id AND r.provider_transaction = l.provider_transaction
            ) ELSE o.amount END AS our_amount,
            CASE
            WHEN l.status = 'success' THEN CASE
                WHEN o.id IS NULL THEN 'missing_ours'
                WHEN l.amount <> o.amount THEN 'amount'
                WHEN o.status IN {PAID_SQL} AND o.provider_transaction = l.provider_transaction THEN 'matched'
                WHEN EXISTS (
                    SELECT 1 FROM {t["E"]} e
                    WHERE e.posting = 'late:' || l.order_reference || ':' || l.provider_transaction
                ) THEN 'matched'
                WHEN o.status IN {OPEN_SQL} OR o.status IN {PAID_SQL} THEN 'missing_ours'
                ELSE 'status'
            END
            WHEN l.status = 'refund' THEN CASE
                WHEN o.id IS NULL THEN 'missing_ours'
                WHEN EXISTS ({refund_exists} AND r.status = 'succeeded'
                    AND r.provider_transaction = l.provider_transaction AND r.amount = l.amount) THEN 'matched'
                WHEN EXISTS ({refund_exists} AND r.status = 'succeeded'
                    AND r.provider_transaction = l.provider_transaction) THEN 'amount'
                WHEN EXISTS ({refund_exists} AND r.status = 'succeeded' AND r.amount = l.amount) THEN 'matched'
                WHEN EXISTS ({refund_exists} AND r.status <> 'succeeded') THEN 'status'
                ELSE 'missing_ours'
            END
            ELSE CASE
                WHEN o.status IN {PAID_SQL} AND (
                    o.provider_transaction = l.provider_transaction
                    OR (o.paid_at >= %s AND o.paid_at < %s AND NOT EXISTS (
                        SELECT 1 FROM {t["L"]} s
                        WHERE s.statement_id = l.statement_id AND s.order_reference = l.order_reference
                            AND s.status = 'success'
                    ))
                ) THEN 'status'
                ELSE 'failed'
            END
            END AS kind
        FROM {t["L"]} l
        LEFT JOIN {t["O"]} o ON o.reference = l.order_reference AND o.provider_id = %s
        WHERE l.statement_id = %s
    """


def _classified_params(statement: Statement, start: Any, end: Any) -> list[Any]:
    return [start, end, statement.provider_id, statement.pk]


DISCREPANCY_COLUMNS = (
    "statement_id, kind, order_id, line_id, order_reference, our_amount, their_amount, our_status, "
    "their_status, resolution, note"
)


def _missing_provider_sqls() -> list[str]:
    """Our side of the day (params: statement id, provider id, start, end, then the statement id again for the
    line look-ups) with no line for it: paid orders, payments kept for refund, succeeded refunds."""
    t = _tables()
    insert = f"INSERT INTO {t['D']} ({DISCREPANCY_COLUMNS}) "
    paid_orders = (
        insert
        + f"""
        SELECT %s, 'missing_provider', o.id, NULL, o.reference, o.amount, NULL, o.status, '', 'open', ''
        FROM {t["O"]} o
        WHERE o.provider_id = %s AND o.paid_at >= %s AND o.paid_at < %s AND o.status IN {PAID_SQL}
            AND NOT EXISTS (
                SELECT 1 FROM {t["L"]} l
                WHERE l.statement_id = %s AND l.order_reference = o.reference AND l.status IN ('success', 'failed')
            )
    """
    )
    kept_for_refund = (
        insert
        + f"""
        SELECT %s, 'missing_provider', o.id, NULL, o.reference, e.amount, NULL, o.status, '', 'open', ''
        FROM {t["E"]} e JOIN {t["O"]} o ON o.id = e.order_id
        WHERE e.kind = '{EntryKind.LATE_PAYMENT}' AND o.provider_id = %s AND e.account = %s
            AND e.at >= %s AND e.at < %s
            AND NOT EXISTS (
                SELECT 1 FROM {t["L"]} l
                WHERE l.statement_id = %s AND l.order_reference = o.reference AND l.status = 'success'
                    AND e.posting = 'late:' || l.order_reference || ':' || l.provider_transaction
            )
    """
    )
    refunds = (
        insert
        + f"""
        SELECT %s, 'missing_provider', o.id, NULL, o.reference, r.amount, NULL, 'refund', '', 'open', ''
        FROM {t["R"]} r JOIN {t["O"]} o ON o.id = r.order_id
        WHERE r.status = 'succeeded' AND o.provider_id = %s AND r.finished_at >= %s AND r.finished_at < %s
            AND NOT EXISTS (
                SELECT 1 FROM {t["L"]} l
                WHERE l.statement_id = %s AND l.order_reference = o.reference AND l.status = 'refund'
                    AND (l.provider_transaction = r.provider_transaction OR l.amount = r.amount)
            )
    """
    )
    return [paid_orders, kept_for_refund, refunds]


def reconcile(
    statement: Statement, *, now: dt.datetime | None = None, actor: Any = None, request: Any = None
) -> Statement:
    """Compare the statement with the provider's orders, payments kept for refund and refunds of its day, in
    SQL (no line is loaded into Python), and store each difference as an open `Discrepancy`, with the counts
    of each kind in `Statement.counts`.

    Safe to run again (after a re-query settled orders, or a corrected ledger): open discrepancies are replaced
    by what is found now, resolved ones are kept and not opened again. The statement is closed when nothing is
    left open."""
    now = now or timezone.now()
    t = _tables()
    ops = connection.ops
    start, end = (ops.adapt_datetimefield_value(v) for v in day_window(statement.day))
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update(of=("self",)).select_related("provider").get(pk=statement.pk)
        )
        Discrepancy.objects.filter(statement=statement, resolution=Resolution.OPEN).delete()
        classified = _classified_lines_sql()
        params = _classified_params(statement, start, end)
        counts = {"lines": statement.line_count, "matched": 0, "failed": 0}
        counts |= {kind.value: 0 for kind in DiscrepancyKind}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT c.kind, COUNT(*) FROM ({classified}) c GROUP BY c.kind", params)
            for kind, count in cursor.fetchall():
                counts[kind] = int(count)
            cursor.execute(
                f"""
                INSERT INTO {t["D"]} ({DISCREPANCY_COLUMNS})
                SELECT %s, c.kind, c.order_id, c.line_id, c.order_reference, c.our_amount, c.their_amount,
                    COALESCE(c.our_status, ''), c.their_status, 'open', ''
                FROM ({classified}) c
                WHERE c.kind IN ('missing_ours', 'amount', 'status')
                """,
                [statement.pk, *params],
            )
            paid, kept, refunded = _missing_provider_sqls()
            provider_account = LedgerAccount.provider(statement.provider.code)
            missing = 0
            runs: list[tuple[str, list[Any]]] = [
                (paid, [statement.pk, statement.provider_id, start, end, statement.pk]),
                (kept, [statement.pk, statement.provider_id, provider_account, start, end, statement.pk]),
                (refunded, [statement.pk, statement.provider_id, start, end, statement.pk]),
            ]
            for sql, extra in runs:
                cursor.execute(sql, extra)
                missing += max(cursor.rowcount, 0)
            counts[DiscrepancyKind.MISSING_PROVIDER.value] = missing
            # What an operator already resolved is not opened again.
            cursor.execute(
                f"""
                DELETE FROM {t["D"]} WHERE statement_id = %s AND resolution = 'open' AND EXISTS (
                    SELECT 1 FROM {t["D"]} d
                    WHERE d.statement_id = %s AND d.resolution <> 'open' AND d.kind = {t["D"]}.kind
                        AND (d.line_id = {t["D"]}.line_id OR (d.line_id IS NULL AND {t["D"]}.line_id IS NULL
                            AND d.order_id = {t["D"]}.order_id))
                )
                """,
                [statement.pk, statement.pk],
            )
        open_count = Discrepancy.objects.filter(statement=statement, resolution=Resolution.OPEN).count()
        counts["open"] = open_count
        counts["resolved"] = (
            Discrepancy.objects.filter(statement=statement).exclude(resolution=Resolution.OPEN).count()
        )
        statement.counts = counts
        statement.reconciled_at = now
        statement.status = Statement.Status.RECONCILED if open_count else Statement.Status.CLOSED
        statement.save(update_fields=["counts", "reconciled_at", "status"])
        audit.record(
            "payments.statement_reconciled",
            actor=actor,
            request=request,
            target=statement,
            detail={"counts": counts},
        )
    log.info("payments: statement %s reconciled: %s", statement, counts)
    return statement


# --- Resolution -----------------------------------------------------------------------------------------------


def resolve(
    discrepancy: Discrepancy,
    *,
    action: str,
    note: str,
    actor: Any,
    request: Any = None,
    now: dt.datetime | None = None,
) -> Discrepancy:
    """An operator's decision on one open discrepancy (audited):

    - `requery`: ask the provider for the order's status and apply its answer (`services.settle`) — how an
      order whose notification never came is settled; resolved only if the provider confirmed something;
    - `accept`: the difference is explained and needs no correction (a note is required);
    - `refund`: give back the money the order holds for refund (late or double payment) through
      `services.refund`; only where such money is due;
    - `escalate`: hand it to the provider to investigate (a note is required).

    A resolved discrepancy cannot be resolved again. When none is left open, the statement is closed."""
    now = now or timezone.now()
    note = (note or "").strip()
    resolution = ACTIONS.get(action)
    if resolution is None:
        raise ReconciliationError("Cách xử lý không hợp lệ.")
    current = Discrepancy.objects.select_related("order__provider", "statement").get(pk=discrepancy.pk)
    if current.resolution != Resolution.OPEN:
        raise ReconciliationError("Chênh lệch này đã được xử lý, không thể xử lý lại.")
    if action in ("accept", "escalate", "refund") and not note:
        raise ReconciliationError("Vui lòng ghi chú lý do xử lý.")
    order = current.order
    detail: dict[str, Any] = {"action": action, "kind": current.kind, "order": current.order_reference}
    if action == "requery":
        if order is None:
            raise ReconciliationError("Không có lệnh thanh toán nào của Cổng để truy vấn lại.")
        outcome = services.settle(order, now=now)
        detail["outcome"] = outcome.value if outcome is not None else None
        if outcome not in SETTLING_OUTCOMES:
            audit.record(
                "payments.discrepancy_requery_unsettled",
                actor=actor,
                request=request,
                target=current,
                detail=detail,
            )
            raise ReconciliationError(_unsettled_message(outcome))
        order.refresh_from_db()
        note = (note + "\n" if note else "") + (
            f"Tổ chức thanh toán trả lời: {outcome.value}; lệnh thanh toán: {order.get_status_display()}."
        )
    elif action == "refund":
        detail["refund"] = _refund_due(current, note=note, actor=actor, request=request, now=now)
    with transaction.atomic():
        locked = Discrepancy.objects.select_for_update().get(pk=current.pk)
        if locked.resolution != Resolution.OPEN:
            raise ReconciliationError("Chênh lệch này đã được xử lý, không thể xử lý lại.")
        locked.resolution = resolution
        locked.note = note
        locked.resolved_by = actor
        locked.resolved_at = now
        locked.save(update_fields=["resolution", "note", "resolved_by", "resolved_at"])
        audit.record(
            "payments.discrepancy_resolved",
            actor=actor,
            request=request,
            target=locked,
            agency_id=order.bill.agency_id if order is not None else None,
            detail={**detail, "note": note[:1000]},
        )
        _close_if_done(locked.statement_id)
    return locked


def _unsettled_message(outcome: CallbackOutcome | None) -> str:
    if outcome is None:
        return "Không truy vấn được tổ chức thanh toán, vui lòng thử lại sau."
    if outcome == CallbackOutcome.IGNORED:
        return "Tổ chức thanh toán chưa xác nhận giao dịch này là thành công; chênh lệch vẫn để mở."
    return (
        f"Tổ chức thanh toán trả lời không khớp với lệnh thanh toán ({outcome.value}); chênh lệch vẫn để mở."
    )


def _refund_due(discrepancy: Discrepancy, *, note: str, actor: Any, request: Any, now: dt.datetime) -> str:
    """Hand the money the order holds for refund to `services.refund`; returns the refund's reference."""
    order = discrepancy.order
    if order is None:
        raise ReconciliationError("Chênh lệch này không gắn với lệnh thanh toán nào để hoàn tiền.")
    order = PaymentOrder.objects.select_related("provider", "bill").get(pk=order.pk)
    pending = order.refunds.filter(status=Refund.Status.REQUESTED, of_refund_due=True)
    amount = order.refund_due - sum(r.amount for r in pending)
    if amount <= 0:
        waiting = pending.order_by("-created_at").first()
        if waiting is not None:  # already handed over, waiting for the provider's answer
            return waiting.reference
        raise ReconciliationError(
            "Lệnh thanh toán này không có khoản tiền nào chờ hoàn; hãy truy vấn lại hoặc chuyển tổ chức "
            "thanh toán xử lý."
        )
    item = services.refund(
        order=order, amount=amount, reason=note, actor=actor, request=request, of_refund_due=True, now=now
    )
    if item.status == Refund.Status.FAILED:
        raise ReconciliationError(
            f"Tổ chức thanh toán từ chối hoàn tiền: {item.error or 'không rõ lý do'}. Chênh lệch vẫn để mở."
        )
    return item.reference


def _close_if_done(statement_id: int) -> None:
    statement = Statement.objects.select_for_update().get(pk=statement_id)
    open_count = Discrepancy.objects.filter(statement_id=statement_id, resolution=Resolution.OPEN).count()
    counts = dict(statement.counts or {})
    counts["open"] = open_count
    counts["resolved"] = (
        Discrepancy.objects.filter(statement_id=statement_id).exclude(resolution=Resolution.OPEN).count()
    )
    statement.counts = counts
    fields = ["counts"]
    if open_count == 0 and statement.status != Statement.Status.CLOSED:
        statement.status = Statement.Status.CLOSED
        fields.append("status")
    statement.save(update_fields=fields)


# --- Report ---------------------------------------------------------------------------------------------------

COUNT_LABELS = (
    ("lines", "Số dòng của bảng kê"),
    ("matched", "Khớp"),
    ("failed", "Giao dịch không thành công ở cả hai bên"),
    (DiscrepancyKind.MISSING_OURS.value, str(DiscrepancyKind.MISSING_OURS.label)),
    (DiscrepancyKind.MISSING_PROVIDER.value, str(DiscrepancyKind.MISSING_PROVIDER.label)),
    (DiscrepancyKind.AMOUNT.value, str(DiscrepancyKind.AMOUNT.label)),
    (DiscrepancyKind.STATUS.value, str(DiscrepancyKind.STATUS.label)),
    ("open", "Chênh lệch chưa xử lý"),
    ("resolved", "Chênh lệch đã xử lý"),
)
REPORT_HEADER = (
    "Loại chênh lệch",
    "Mã lệnh thanh toán",
    "Dòng bảng kê",
    "Số tiền theo Cổng",
    "Số tiền theo tổ chức thanh toán",
    "Trạng thái theo Cổng",
    "Trạng thái theo tổ chức thanh toán",
    "Xử lý",
    "Ghi chú",
    "Người xử lý",
    "Thời điểm xử lý",
)
THEIR_STATUS_LABELS = {"success": "Thành công", "refund": "Hoàn tiền", "failed": "Không thành công"}


class _Echo:
    """A file whose `write` returns what it was given: csv.writer then yields each line as a string."""

    def write(self, value: str) -> str:
        return value


def _local_text(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S") if moment else ""


def export_report(statement: Statement) -> Iterator[str]:
    """The reconciliation report as CSV lines (Vietnamese headers): the statement and its counts, then every
    discrepancy with its resolution. Streamed: discrepancies are read in chunks."""
    statement = Statement.objects.select_related("provider").get(pk=statement.pk)  # as it is now
    writer: Any = csv.writer(_Echo())
    provider = statement.provider
    yield writer.writerow(["Báo cáo đối soát"])
    yield writer.writerow(["Tổ chức thanh toán", spreadsheet_safe(f"{provider.code} – {provider.name}")])
    yield writer.writerow(["Ngày giao dịch", statement.day.strftime("%d/%m/%Y")])
    yield writer.writerow(["Tệp bảng kê", spreadsheet_safe(statement.file_name)])
    yield writer.writerow(["SHA-256", statement.sha256])
    yield writer.writerow(["Trạng thái", statement.get_status_display()])
    yield writer.writerow(["Thời điểm đối soát", _local_text(statement.reconciled_at)])
    counts = statement.counts or {}
    for key, label in COUNT_LABELS:
        yield writer.writerow([label, counts.get(key, 0)])
    yield writer.writerow([])
    yield writer.writerow(REPORT_HEADER)
    kinds = dict(DiscrepancyKind.choices)
    resolutions = dict(Resolution.choices)
    order_statuses = dict(OrderStatus.choices)
    rows = (
        Discrepancy.objects.filter(statement=statement)
        .select_related("line", "resolved_by")
        .order_by("kind", "id")
        .iterator(chunk_size=2000)
    )
    for d in rows:
        yield writer.writerow(
            [
                kinds.get(d.kind, d.kind),
                spreadsheet_safe(d.order_reference),
                d.line.line_no if d.line is not None else "",
                d.our_amount if d.our_amount is not None else "",
                d.their_amount if d.their_amount is not None else "",
                order_statuses.get(d.our_status, "Hoàn tiền" if d.our_status == "refund" else d.our_status),
                THEIR_STATUS_LABELS.get(d.their_status, d.their_status),
                resolutions.get(d.resolution, d.resolution),
                spreadsheet_safe(d.note),
                spreadsheet_safe(d.resolved_by.get_username()) if d.resolved_by is not None else "",
                _local_text(d.resolved_at),
            ]
        )
