"""The one-stop sandbox as a WSGI application: the delivery endpoint the portal posts dossiers to (signature
checked, each dossier stored once), the officer's pages (statuses, results, counter dossiers), and the test
controls under ``/_sandbox/`` (an outage, a slow answer, what was received, a status change)."""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from dichvucong.core import signing
from sandboxes.idp.web import BadRequest, Request, Response, json_response, redirect

from . import pages, workflow
from .config import Settings
from .portal import Background, PortalClient
from .result import result_pdf
from .routing import CODE, ID, Incoming, Routes, raw_body
from .store import Dossier, Store

log = logging.getLogger("sandboxes.onestop")

PROCEDURE_CODE = re.compile(r"\d\.\d{6}")
TESTS_KEPT = 50


def is_test(headers: Any, data: Any) -> bool:
    """A test message of the portal's console: the header ``x-dvc-test: 1`` or the flag in the body."""
    flagged = isinstance(data, dict) and (data.get("ThuNghiem") is True or data.get("test") is True)
    return headers.get("x-dvc-test", "") == "1" or flagged


@dataclass
class Controls:
    """The test controls: an outage (every delivery answered with `status`), a delay before answering
    deliveries, and counts of deliveries under way and seen."""

    down: bool = False
    down_status: int = 503
    slow_seconds: float = 0.0
    in_flight: int = 0
    requests_seen: int = 0
    # Test messages (the portal's console: header x-dvc-test, flag in the body), kept in memory only, never
    # stored as dossiers; the newest first, at most TESTS_KEPT.
    tests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_test(self, kind: str, webhook_id: str, summary: str) -> None:
        with self.lock:
            self.tests.insert(
                0,
                {
                    "kind": kind,
                    "webhook_id": webhook_id,
                    "summary": summary,
                    "at": workflow.iso(workflow.now()),
                },
            )
            del self.tests[TESTS_KEPT:]

    @contextmanager
    def delivery(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
            self.requests_seen += 1
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1


class OneStop:
    """The sandbox's state and its endpoints."""

    def __init__(
        self, settings: Settings, store: Store | None = None, client: PortalClient | None = None
    ) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.client = client or PortalClient(settings)
        self.controls = Controls()
        # Officer forms carry this token (a site elsewhere cannot read it, so cannot post them).
        self.csrf_token = secrets.token_urlsafe(24)
        self.background = Background(self.store, self.client, self.auto_step)

    # --- deliveries from the portal -------------------------------------------------------------------------

    def _refused(self, incoming: Incoming) -> Response | str:
        """The answer when the system is down or the signature is wrong; else the message id (webhook-id)."""
        if self.controls.down:
            return json_response(
                {"error_code": "99", "message": "Hệ thống đang bảo trì (sandbox: sự cố giả lập)."},
                self.controls.down_status,
            )
        if self.controls.slow_seconds:
            time.sleep(self.controls.slow_seconds)
        headers = incoming.request.headers
        key_id = headers.get("x-dvc-key-id", "")
        try:
            if key_id and key_id != self.settings.key_id:
                raise signing.SignatureError(f"unknown key id {key_id!r}")
            return signing.verify(self.settings.secret, headers, incoming.body)
        except signing.SignatureError as exc:
            log.warning("delivery refused: %s", exc)
            return json_response({"error_code": "01", "message": f"Chữ ký không hợp lệ: {exc}"}, 401)

    def receive(self, incoming: Incoming) -> Response:
        """POST /dossiers: a dossier from the portal, signed with the shared secret."""
        with self.controls.delivery():
            webhook_id = self._refused(incoming)
            if isinstance(webhook_id, Response):
                return webhook_id
            data = incoming.json()
            if not isinstance(data, dict) or not str(data.get("MaHoSo") or "").strip():
                return json_response({"error_code": "02", "message": "Thiếu MaHoSo."}, 400)
            code = str(data["MaHoSo"]).strip()
            if is_test(incoming.request.headers, data):
                self.controls.record_test("dossier", webhook_id, code)
                log.info("test dossier %s received (not stored)", code)
                return json_response(
                    {
                        "error_code": "00",
                        "MaHoSo": code,
                        "test": True,
                        "message": "Đã nhận hồ sơ thử nghiệm; không lưu, không xử lý.",
                    },
                    200,
                )
            now = workflow.now()
            auto_at = now + timedelta(seconds=self.settings.auto_delay) if self.settings.auto else None
            stored = self.store.receive(national=data, webhook_id=webhook_id, at=now, auto_at=auto_at)
            if stored:
                log.info("dossier %s received", code)
                self.background.fetch(self.store.attachments(code))
                self.background.wake()
                return json_response({"error_code": "00", "MaHoSo": code}, 202)
            log.info("dossier %s received again (duplicate)", code)
            return json_response({"error_code": "00", "MaHoSo": code, "duplicate": True}, 200)

    def status_events(self, incoming: Incoming) -> Response:
        """POST /status-events: the portal's test status events (its console); real ones are not taken here."""
        with self.controls.delivery():
            webhook_id = self._refused(incoming)
            if isinstance(webhook_id, Response):
                return webhook_id
            data = incoming.json()
            events = data.get("events") if isinstance(data, dict) else None
            if not isinstance(events, list) or not events:
                return json_response({"error_code": "02", "message": "Thiếu danh sách events."}, 400)
            if not is_test(incoming.request.headers, data):
                return json_response(
                    {"error_code": "02", "message": "Địa chỉ này chỉ nhận sự kiện trạng thái thử nghiệm."},
                    422,
                )
            codes = ", ".join(str(e.get("dossier_code", "")) for e in events if isinstance(e, dict))
            self.controls.record_test("status_event", webhook_id, codes)
            return json_response(
                {
                    "error_code": "00",
                    "test": True,
                    "received": len(events),
                    "message": "Đã nhận sự kiện trạng thái thử nghiệm; không xử lý.",
                },
                200,
            )

    # --- status changes ---------------------------------------------------------------------------------------

    def advance(
        self, code: str, status: int, content: str, *, expected: int | None = None, actor: str = ""
    ) -> Dossier:
        """Move a dossier to `status` and queue the push that tells the portal (with the result file at 9)."""
        dossier = self.store.dossier(code)
        if dossier is None:
            raise LookupError(code)
        if expected is not None and expected != dossier.status:
            raise workflow.TransitionError("Hồ sơ vừa được người khác xử lý; xem lại trạng thái hiện tại.")
        workflow.check_transition(dossier.status, status, content)
        content = content.strip() or workflow.DEFAULT_CONTENT.get(status, workflow.STATUS_LABELS[status])
        # Strictly after the previous status, so that the portal, which orders events by time, keeps this order.
        at = max(workflow.now(), dossier.status_at + timedelta(milliseconds=1))
        s = self.settings
        result = None
        if status == 9:
            result_code = f"KQ-{code}"
            name = f"Kết quả giải quyết hồ sơ {code}"
            pdf = result_pdf(
                code=code,
                result_code=result_code,
                procedure=str(dossier.national.get("TenTTHC") or ""),
                applicant=str(dossier.national.get("ChuHoSo") or ""),
                agency_name=s.agency_name,
                unit=s.unit,
                officer=actor or s.officer_name,
                at=at,
            )
            result = (name, result_code, pdf)
        event = workflow.status_event(
            code=code,
            status=status,
            at=at,
            step_started_at=dossier.status_at,
            due_at=dossier.due_at if status in (2, 4, 6) else None,
            content=content,
            actor_name=actor or s.officer_name,
            actor_title=s.officer_title,
            unit=s.unit,
        )
        auto_next = at + timedelta(seconds=s.auto_delay) if s.auto and status in workflow.AUTO_NEXT else None
        changed = self.store.change_status(
            code=code,
            status=status,
            content=content,
            at=at,
            actor=actor or s.officer_name,
            event=event,
            result=result,
            auto_next_at=auto_next,
            expected=dossier.status,
        )
        if not changed:
            raise workflow.TransitionError("Hồ sơ vừa được người khác xử lý; xem lại trạng thái hiện tại.")
        self.background.wake()
        return self.store.dossier(code) or dossier

    def auto_step(self, dossier: Dossier) -> None:
        """The automatic path (SANDBOX_ONESTOP_AUTO): one step of 1/2 → 4 → 9 → 10."""
        wanted = workflow.AUTO_NEXT.get(dossier.status)
        if wanted is None:
            return
        try:
            self.advance(dossier.code, wanted, "", expected=dossier.status, actor="Xử lý tự động (sandbox)")
        except workflow.TransitionError as exc:
            log.info("automatic step of %s skipped: %s", dossier.code, exc)

    # --- officer pages --------------------------------------------------------------------------------------

    def _checked(self, request: Request) -> bool:
        return secrets.compare_digest(self.csrf_token.encode(), request.param("csrf_token").encode("utf-8"))

    def home(self, incoming: Incoming) -> Response:
        notice = {
            "tiep-nhan": "Đã tiếp nhận hồ sơ và xếp lịch gửi về Cổng.",
            "gui-lai": "Đã xếp lịch gửi lại.",
            "su-co": "Đã bật giả lập sự cố: mọi thông điệp từ Cổng sẽ bị từ chối.",
            "binh-thuong": "Đã tắt giả lập sự cố: hệ thống nhận thông điệp bình thường.",
        }
        with self.controls.lock:
            down, tests = self.controls.down, list(self.controls.tests)
        return pages.home_page(
            self.store.dossiers(),
            self.store.deliveries(),
            self.store.pending_pushes(),
            self.store.failed_pushes(),
            self.csrf_token,
            agency_name=self.settings.agency_name,
            notice=notice.get(incoming.request.param("ok"), ""),
            down=down,
            tests=tests,
        )

    def dossier_page(self, incoming: Incoming, error: str = "") -> Response:
        code = incoming.match["code"]
        dossier = self.store.dossier(code)
        if dossier is None:
            return pages.error_page(f"Không có hồ sơ {code}.", 404)
        return pages.dossier_page(
            dossier,
            self.store.attachments(code),
            self.store.history(code),
            self.store.deliveries().get(code, []),
            self.csrf_token,
            error,
        )

    def change_status(self, incoming: Incoming) -> Response:
        """POST /ho-so/<code>/trang-thai: an officer's button."""
        request = incoming.request
        if not self._checked(request):
            return pages.error_page("Phiên làm việc đã hết hạn: tải lại trang rồi thử lại.", 403)
        try:
            status = int(request.param("status"))
            expected = int(request.param("expected")) if request.param("expected") else None
        except ValueError:
            return pages.error_page("Trạng thái không hợp lệ.", 400)
        code = incoming.match["code"]
        try:
            self.advance(code, status, request.param("content"), expected=expected)
        except LookupError:
            return pages.error_page(f"Không có hồ sơ {code}.", 404)
        except workflow.TransitionError as exc:
            return self.dossier_page(incoming, str(exc))
        return redirect(f"/ho-so/{code}", 303)

    def counter_form(self, incoming: Incoming) -> Response:
        return pages.counter_page(self.csrf_token)

    def counter_submit(self, incoming: Incoming) -> Response:
        """POST /tiep-nhan: a dossier received at the counter, pushed to the portal with its fields."""
        request = incoming.request
        if not self._checked(request):
            return pages.error_page("Phiên làm việc đã hết hạn: tải lại trang rồi thử lại.", 403)
        values = {name: request.param(name).strip() for name in request.form}
        error = ""
        try:
            days = int(values.get("SoNgayHen") or "5")
            fee = int(values.get("LePhi") or "0")
        except ValueError:
            days, fee, error = 0, 0, "Số ngày hẹn và lệ phí phải là số."
        if not error and not PROCEDURE_CODE.fullmatch(values.get("MaTTHC", "")):
            error = "Mã thủ tục có dạng 1.001193."
        elif not error and not (values.get("TenTTHC") and values.get("ChuHoSo")):
            error = "Cần tên thủ tục và chủ hồ sơ."
        elif not error and not (0 <= days <= 90 and fee >= 0):
            error = "Số ngày hẹn từ 0 đến 90, lệ phí không âm."
        if error:
            return pages.counter_page(self.csrf_token, values, error)
        s = self.settings
        at = workflow.now()
        due = workflow.add_working_days(at, days)
        national = {
            "MaTTHC": values["MaTTHC"],
            "TenTTHC": values["TenTTHC"],
            "ChuHoSo": values["ChuHoSo"],
            "LoaiDoiTuong": 2 if values.get("LoaiDoiTuong") == "2" else 1,
            "MaDoiTuong": values.get("MaDoiTuong", ""),
            "Email": values.get("Email", ""),
            "SoDienThoai": values.get("SoDienThoai", ""),
            "TrichYeuHoSo": values.get("TrichYeuHoSo", ""),
            "NgayTiepNhan": workflow.national_date(at),
            "NgayHenTra": workflow.national_date(due),
            "HinhThuc": 1,
            "DonViXuLy": s.code_prefix,
            "TenDonViXuLy": s.agency_name,
            "TaiLieuNop": [],
            "DanhSachLePhi": [{"MaLePhi": "", "SoTien": fee, "MoTa": "Lệ phí"}] if fee else [],
        }

        def make_event(record: dict[str, Any]) -> dict[str, Any]:
            return workflow.status_event(
                code=record["MaHoSo"],
                status=2,
                at=at,
                step_started_at=at,
                due_at=due,
                content="Tiếp nhận hồ sơ tại quầy",
                actor_name=s.officer_name,
                actor_title=s.officer_title,
                unit=s.unit,
                dossier=record,
            )

        code = self.store.create_counter_dossier(
            national=national,
            prefix=s.code_prefix,
            at=at,
            due_at=due,
            actor=s.officer_name,
            make_event=make_event,
            auto_next_at=at + timedelta(seconds=s.auto_delay) if s.auto else None,
        )
        self.background.wake()
        return redirect(f"/ho-so/{code}", 303)

    def outage_switch(self, incoming: Incoming) -> Response:
        """POST /gia-lap-su-co (down=1|0): the outage switch on the home page."""
        if not self._checked(incoming.request):
            return pages.error_page("Phiên làm việc đã hết hạn: tải lại trang rồi thử lại.", 403)
        down = incoming.request.param("down") == "1"
        with self.controls.lock:
            self.controls.down = down
        return redirect(f"/?ok={'su-co' if down else 'binh-thuong'}", 303)

    def retry_push(self, incoming: Incoming) -> Response:
        if not self._checked(incoming.request):
            return pages.error_page("Phiên làm việc đã hết hạn: tải lại trang rồi thử lại.", 403)
        self.store.retry_push(int(incoming.match["id"]), workflow.now())
        self.background.wake()
        return redirect("/?ok=gui-lai", 303)

    def result_file(self, incoming: Incoming) -> Response:
        pdf = self.store.result_pdf(incoming.match["code"])
        if pdf is None:
            return pages.error_page("Hồ sơ chưa có kết quả.", 404)
        return Response(pdf, 200, "application/pdf", [("Cache-Control", "no-store")])

    def attachment_file(self, incoming: Incoming) -> Response:
        found = self.store.attachment_content(incoming.match["code"], int(incoming.match["id"]))
        if found is None:
            return pages.error_page("Không có tệp này.", 404)
        name, content = found
        ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "tep"
        return Response(
            content,
            200,
            "application/octet-stream",
            [("Content-Disposition", f'attachment; filename="{ascii_name}"'), ("Cache-Control", "no-store")],
        )

    def healthz(self, incoming: Incoming) -> Response:
        return Response(b"ok\n")

    # --- test controls ----------------------------------------------------------------------------------------

    def outage(self, incoming: Incoming) -> Response:
        """POST /_sandbox/outage {"down": true|false, "status": 503}."""
        data = incoming.json()
        status = int(data.get("status", 503))
        if not 400 <= status <= 599:
            raise BadRequest("status must be a 4xx or 5xx code")
        with self.controls.lock:
            self.controls.down = bool(data.get("down"))
            self.controls.down_status = status
        return json_response({"down": self.controls.down, "status": status})

    def slow(self, incoming: Incoming) -> Response:
        """POST /_sandbox/slow {"seconds": n}: wait this long before answering each delivery."""
        seconds = float(incoming.json().get("seconds", 0))
        if not 0 <= seconds <= 600:
            raise BadRequest("seconds must be between 0 and 600")
        with self.controls.lock:
            self.controls.slow_seconds = seconds
        return json_response({"seconds": seconds})

    def dossiers_json(self, incoming: Incoming) -> Response:
        """GET /_sandbox/dossiers: every dossier with its deliveries, attachments and pending pushes."""
        deliveries = self.store.deliveries()
        attachments = self.store.all_attachments()
        pending = self.store.pending_pushes()
        items = [
            {
                "MaHoSo": d.code,
                "origin": d.origin,
                "status": d.status,
                "received_at": workflow.iso(d.received_at),
                "deliveries": len(deliveries.get(d.code, [])),
                "delivery_times": [workflow.iso(at) for _, at, _ in deliveries.get(d.code, [])],
                "webhook_ids": sorted({webhook_id for webhook_id, _, _ in deliveries.get(d.code, [])}),
                "attachments": [
                    {
                        "name": a.name,
                        "size": a.size,
                        "sha256": a.sha256,
                        "error": a.error,
                        "pending": a.pending,
                    }
                    for a in attachments.get(d.code, [])
                ],
                "result": {"name": d.result_name, "code": d.result_code} if d.has_result else None,
                "national": d.national,
            }
            for d in self.store.dossiers()
        ]
        with self.controls.lock:
            controls = {
                "in_flight": self.controls.in_flight,
                "requests_seen": self.controls.requests_seen,
                "down": self.controls.down,
                "slow_seconds": self.controls.slow_seconds,
                "tests": list(self.controls.tests),
            }
        return json_response(
            {
                "dossiers": items,
                **controls,
                "pushes": {
                    **self.store.push_counts(),
                    "queue": [
                        {"kind": p.kind, "code": p.code, "attempts": p.attempts, "last_error": p.last_error}
                        for p in pending
                    ],
                },
            }
        )

    def advance_json(self, incoming: Incoming) -> Response:
        """POST /_sandbox/dossiers/<code>/advance {"status": n, "content": …}."""
        data = incoming.json()
        try:
            dossier = self.advance(
                incoming.match["code"], int(data.get("status", 0)), str(data.get("content") or "")
            )
        except LookupError:
            return json_response({"error": "no such dossier"}, 404)
        except (workflow.TransitionError, ValueError) as exc:
            return json_response({"error": str(exc)}, 409)
        return json_response({"MaHoSo": dossier.code, "status": dossier.status})


def routes(app: OneStop) -> Routes:
    return Routes(
        [
            ("GET", "/", app.home),
            ("GET", "/healthz", app.healthz),
            ("POST", "/dossiers", app.receive),
            ("POST", "/status-events", app.status_events),
            ("POST", "/gia-lap-su-co", app.outage_switch),
            ("GET", "/tiep-nhan", app.counter_form),
            ("POST", "/tiep-nhan", app.counter_submit),
            ("GET", f"/ho-so/{CODE}", app.dossier_page),
            ("POST", f"/ho-so/{CODE}/trang-thai", app.change_status),
            ("GET", f"/ho-so/{CODE}/ket-qua.pdf", app.result_file),
            ("GET", f"/ho-so/{CODE}/tep/{ID}", app.attachment_file),
            ("POST", f"/gui-lai/{ID}", app.retry_push),
            ("POST", "/_sandbox/outage", app.outage),
            ("POST", "/_sandbox/slow", app.slow),
            ("GET", "/_sandbox/dossiers", app.dossiers_json),
            ("POST", f"/_sandbox/dossiers/{CODE}/advance", app.advance_json),
        ],
        not_found=lambda: pages.error_page("Không có trang này.", 404),
    )


def create_app(settings: Settings, *, start_background: bool = True) -> WSGIApplication:
    """The WSGI application of a one-stop system configured by ``settings`` (its background thread started)."""
    onestop = OneStop(settings)
    router = routes(onestop)
    if start_background:
        onestop.background.start()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            environ = dict(environ)
            # Content-Type is not an HTTP_* variable; the /_sandbox/ checks and the signature need it.
            if environ.get("CONTENT_TYPE"):
                environ["HTTP_CONTENT_TYPE"] = environ["CONTENT_TYPE"]
            body = raw_body(environ)
            response = router.dispatch(Request.from_environ(environ), body)
        except BadRequest as exc:
            response = json_response({"error": f"bad request: {exc}"}, 400)
        except Exception:
            log.exception("unhandled error in sandbox-onestop")
            response = Response(b"Internal server error\n", 500)
        return response(start_response)

    return application
