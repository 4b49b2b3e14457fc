"""The catalogue back office (quản trị): operators import procedures and FAQ; agencies revise a published
procedure as a new draft version, send it for review, and a head of agency (or an operator) publishes it or
returns it with a reason (`admin_review.py`, `review.py`). The classes here only parse input and call
`services` / `selectors`; versions in review, published and superseded are never edited in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core import audit
from dichvucong.core.admin_mixins import AgencyScopedAdmin, OperatorOnlyAdmin, request_scope
from dichvucong.core.errors import DomainError, ValidationFailed

from . import selectors, services
from .admin_forms import (
    PROCEDURE_SYSTEM,
    FaqAdminForm,
    FieldAdminForm,
    ImportFileForm,
    ImportRunAdminForm,
    LifeEventAdminForm,
    ProcedureAdminForm,
)
from .admin_review import ProcedureReviewViews
from .models import Faq, Field, ImportRun, LifeEvent, Procedure, ProcedureStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

admin.site.site_header = _("Quản trị Cổng Dịch vụ công")
admin.site.site_title = _("Quản trị Cổng Dịch vụ công")
admin.site.index_title = _("Trang quản trị")

EXPORT_KINDS = ("procedures", "faqs")
EXPORT_FORMATS = ("json", "csv")
# --- helpers ---------------------------------------------------------------------------------------------------


def _column(name: str, label: StrOrPromise, *, boolean: bool = False) -> Callable[[Any, Any], Any]:
    """A changelist column with a Vietnamese header (the models' fields carry no verbose names)."""

    @admin.display(description=label, ordering=name, boolean=boolean)
    def show(model_admin: Any, obj: Any) -> Any:
        display = getattr(obj, f"get_{name}_display", None)
        return display() if display else getattr(obj, name)

    return show


def _titled(title: StrOrPromise) -> Any:
    """A list filter on a model field with a Vietnamese title instead of the field's name."""

    class TitledFilter(admin.FieldListFilter):
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            instance = admin.FieldListFilter.create(*args, **kwargs)
            instance.title = title
            return instance

    return TitledFilter


# --- procedures ------------------------------------------------------------------------------------------------


REVIEW_FIELDS = ("submitted_by", "submitted_at", "review_note")


@admin.register(Procedure)
class ProcedureAdmin(ProcedureReviewViews, AgencyScopedAdmin):
    agency_field = "managing_agency"
    form = ProcedureAdminForm
    list_display = (
        "code_column",
        "version_column",
        "name_column",
        "status_column",
        "managing_agency_column",
        "online_level_column",
        "submitted_column",
        "published_at_column",
        "synthetic_column",
    )
    list_filter = (
        ("status", _titled(_("Trạng thái"))),
        ("online_level", _titled(_("Mức độ dịch vụ công trực tuyến"))),
        ("synthetic", _titled(_("Dữ liệu giả lập"))),
        ("managing_agency__level", _titled(_("Cấp của cơ quan quản lý"))),
    )
    search_fields = ("code", "name")
    list_select_related = ("managing_agency", "submitted_by")
    autocomplete_fields = ("managing_agency", "province")
    filter_horizontal = ("fields",)
    actions = ("start_revision_action", "submit_for_review_action", "publish_action")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": PROCEDURE_SYSTEM}),
        (_("Duyệt"), {"fields": REVIEW_FIELDS}),
        (
            _("Thông tin chung"),
            {
                "fields": (
                    "name",
                    "name_en",
                    "summary",
                    "summary_en",
                    "decision",
                    "levels",
                    "audiences",
                    "fields",
                    "online_level",
                    "province",
                    "source",
                    "synthetic",
                )
            },
        ),
        (
            _("Cơ quan"),
            {
                "fields": (
                    "managing_agency",
                    "competent_agency",
                    "implementing_agency",
                    "authorised_agency",
                    "coordinating_agencies",
                    "receiving_address",
                )
            },
        ),
        (
            _("Nội dung (JSON, theo định dạng nhập)"),
            {
                "fields": (
                    "steps",
                    "methods",
                    "documents",
                    "conditions",
                    "results",
                    "legal_basis",
                    "related_procedures",
                )
            },
        ),
    )

    code_column = _column("code", _("Mã thủ tục"))
    version_column = _column("version", _("Phiên bản"))
    name_column = _column("name", _("Tên thủ tục"))
    status_column = _column("status", _("Trạng thái"))
    managing_agency_column = _column("managing_agency", _("Cơ quan quản lý"))
    online_level_column = _column("online_level", _("Mức độ"))
    published_at_column = _column("published_at", _("Công bố lúc"))
    synthetic_column = _column("synthetic", _("Giả lập"), boolean=True)

    @admin.display(description=_("Gửi duyệt"), ordering="submitted_at")
    def submitted_column(self, obj: Procedure) -> str:
        if obj.submitted_at is None:
            return "—"
        return f"{obj.submitted_by or '—'} · {timezone.localtime(obj.submitted_at):%d/%m/%Y %H:%M}"

    def get_urls(self) -> list[URLPattern]:
        return self.review_urls() + super().get_urls()

    @staticmethod
    def _is_draft(obj: Procedure | None) -> bool:
        return obj is not None and obj.status == ProcedureStatus.DRAFT

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New procedures arrive through import; new versions through the "new version" action.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Procedure | None = None) -> bool:
        if obj is not None and not self._is_draft(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Procedure | None = None) -> bool:
        if obj is not None and not self._is_draft(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Procedure | None = None) -> Any:
        if self._is_draft(obj):
            return PROCEDURE_SYSTEM + REVIEW_FIELDS
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    @admin.action(description=_("Tạo phiên bản mới để sửa"), permissions=["change"])
    def start_revision_action(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        for code in dict.fromkeys(queryset.values_list("code", flat=True)):
            try:
                draft = services.start_revision(code=code, actor=request.user, request=request)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            url = reverse("admin:catalogue_procedure_change", args=[draft.pk])
            self.message_user(
                request,
                format_html(
                    gettext(
                        'Đã mở bản nháp phiên bản {version} của thủ tục {code}: <a href="{url}">sửa</a>.'
                    ),
                    version=draft.version,
                    code=draft.code,
                    url=url,
                ),
                messages.SUCCESS,
            )

    @admin.action(description=_("Gửi duyệt"), permissions=["change"])
    def submit_for_review_action(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        self._each(
            request,
            queryset,
            lambda p: services.submit_for_review(procedure_id=p.pk, actor=request.user, request=request),
            gettext("Đã gửi duyệt thủ tục %(code)s phiên bản %(version)s."),
        )

    @admin.action(description=_("Duyệt và công bố"), permissions=["publish"])
    def publish_action(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        self._each(
            request,
            queryset.exclude(status=ProcedureStatus.PUBLISHED),
            lambda p: services.publish(procedure_id=p.pk, actor=request.user, request=request),
            gettext("Đã công bố thủ tục %(code)s phiên bản %(version)s."),
        )

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Procedure],
        step: Callable[[Procedure], Procedure],
        done: str,
    ) -> None:
        """One step on each selected version (the service audits it); one refused version (wrong state, the
        four-eyes rule) does not stop the others."""
        for procedure in queryset.order_by("code", "version"):
            try:
                step(procedure)
            except DomainError as error:
                self.message_user(
                    request, f"{procedure.code} v{procedure.version}: {error.message}", messages.ERROR
                )
                continue
            self.message_user(
                request, done % {"code": procedure.code, "version": procedure.version}, messages.SUCCESS
            )


# --- FAQ -------------------------------------------------------------------------------------------------------


@admin.register(Faq)
class FaqAdmin(AgencyScopedAdmin):
    form = FaqAdminForm
    list_display = ("code_column", "question_column", "field", "agency", "linked_codes", "updated_at_column")
    list_filter = (("field", _titled(_("Lĩnh vực"))), ("agency", _titled(_("Cơ quan trả lời"))))
    search_fields = ("code", "question")
    list_select_related = ("field", "agency")
    autocomplete_fields = ("agency",)
    fields = (
        "code",
        "question",
        "answer",
        "question_en",
        "answer_en",
        "procedure_codes",
        "field",
        "agency",
        "source",
        "synthetic",
        "updated_at",
    )

    code_column = _column("code", _("Mã câu hỏi"))
    question_column = _column("question", _("Câu hỏi"))
    updated_at_column = _column("updated_at", _("Cập nhật lúc"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Faq]:
        return super().get_queryset(request).prefetch_related("procedure_links")

    def get_readonly_fields(self, request: HttpRequest, obj: Faq | None = None) -> Any:
        # The code is the FAQ's identity in imports; changing it would make another FAQ.
        return ("code", "updated_at") if obj is not None else ("updated_at",)

    @admin.display(description=_("Thủ tục liên quan"))
    def linked_codes(self, obj: Faq) -> str:
        return ", ".join(sorted(link.procedure_code for link in obj.procedure_links.all()))

    def save_model(self, request: HttpRequest, obj: Faq, form: Any, change: bool) -> None:
        scope = request_scope(request)
        existing = Faq.objects.filter(code=form.record.code).first()
        if not scope.allows(obj.agency_id) or (existing is not None and not scope.allows(existing.agency_id)):
            raise PermissionDenied  # saving by code must not overwrite another agency's question
        services.save_faq(record=form.record)
        saved = Faq.objects.get(code=form.record.code)
        obj.pk = saved.pk
        obj.updated_at = saved.updated_at


# --- fields and life events ------------------------------------------------------------------------------------


@admin.register(Field)
class FieldAdmin(OperatorOnlyAdmin):
    """Fields are created by import from the names in procedure records; their Vietnamese name and slug are in
    the search index, so only the English name is edited here."""

    form = FieldAdminForm
    list_display = ("name_column", "slug_column", "name_en_column", "procedure_count")
    search_fields = ("name", "slug", "name_en")
    readonly_fields = ("slug", "name")

    name_column = _column("name", _("Tên lĩnh vực"))
    slug_column = _column("slug", _("Đường dẫn rút gọn"))
    name_en_column = _column("name_en", _("Tên tiếng Anh"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Field]:
        return super().get_queryset(request).annotate(procedure_total=Count("procedures"))

    @admin.display(description=_("Số phiên bản thủ tục"), ordering="procedure_total")
    def procedure_count(self, obj: Any) -> int:
        return int(getattr(obj, "procedure_total", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Field | None = None) -> bool:
        return False


@admin.register(LifeEvent)
class LifeEventAdmin(OperatorOnlyAdmin):
    form = LifeEventAdminForm
    list_display = ("name_column", "slug_column", "audience_column", "position_column", "procedure_total")
    list_filter = (("audience", _titled(_("Đối tượng"))),)
    search_fields = ("name", "slug")
    ordering = ("position", "slug")

    name_column = _column("name", _("Tên sự kiện"))
    slug_column = _column("slug", _("Đường dẫn rút gọn"))
    audience_column = _column("audience", _("Đối tượng"))
    position_column = _column("position", _("Thứ tự"))

    @admin.display(description=_("Số thủ tục"))
    def procedure_total(self, obj: LifeEvent) -> int:
        return len(obj.procedure_codes or [])

    def get_readonly_fields(self, request: HttpRequest, obj: LifeEvent | None = None) -> Any:
        return ("slug",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: LifeEvent, form: Any, change: bool) -> None:
        saved = services.save_life_event(
            slug=obj.slug,
            name=obj.name,
            name_en=obj.name_en,
            description=obj.description,
            description_en=obj.description_en,
            audience=obj.audience,
            procedure_codes=list(obj.procedure_codes),
            position=obj.position,
        )
        obj.pk = saved.pk


# --- import runs, import and export ----------------------------------------------------------------------------


@admin.register(ImportRun)
class ImportRunAdmin(OperatorOnlyAdmin):
    """The log of imports (read-only), and the import and export page of the catalogue."""

    form = ImportRunAdminForm
    list_display = (
        "created_at_column",
        "file_name_column",
        "file_format_column",
        "actor_column",
        "accepted_column",
        "procedures_created_column",
        "procedures_unchanged_column",
        "faqs_created_column",
        "faqs_updated_column",
        "faqs_unchanged_column",
        "error_count",
    )
    list_filter = (("accepted", _titled(_("Đã nhập"))), ("file_format", _titled(_("Định dạng"))))
    search_fields = ("file_name", "actor")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "file_name",
        "file_format",
        "actor",
        "accepted",
        "procedures_created",
        "procedures_unchanged",
        "faqs_created",
        "faqs_updated",
        "faqs_unchanged",
        "error_table",
    )
    readonly_fields = fields

    created_at_column = _column("created_at", _("Thời điểm"))
    file_name_column = _column("file_name", _("Tên tệp"))
    file_format_column = _column("file_format", _("Định dạng"))
    actor_column = _column("actor", _("Người nhập"))
    accepted_column = _column("accepted", _("Đã nhập"), boolean=True)
    procedures_created_column = _column("procedures_created", _("Phiên bản mới"))
    procedures_unchanged_column = _column("procedures_unchanged", _("Thủ tục không đổi"))
    faqs_created_column = _column("faqs_created", _("Câu hỏi mới"))
    faqs_updated_column = _column("faqs_updated", _("Câu hỏi cập nhật"))
    faqs_unchanged_column = _column("faqs_unchanged", _("Câu hỏi không đổi"))

    @admin.display(description=_("Số lỗi"))
    def error_count(self, obj: ImportRun) -> int:
        return len(obj.errors or [])

    @admin.display(description=_("Lỗi"))
    def error_table(self, obj: ImportRun) -> SafeString | str:
        if not obj.errors:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            ((e.get("row") or "—", e.get("column", ""), e.get("message", "")) for e in obj.errors),
        )
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            gettext("Dòng"),
            gettext("Cột"),
            gettext("Lỗi"),
            rows,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="catalogue_import"),
            path(
                "export/<str:kind>.<str:file_format>",
                self.admin_site.admin_view(self.export_view),
                name="catalogue_export",
            ),
        ]
        return extra + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "can_import": request.user.has_perm("catalogue.add_procedure"),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a catalogue file: every error by row and column, or the counts of what was imported."""
        if not request.user.has_perm("catalogue.add_procedure") or not self._operator(request):
            raise PermissionDenied
        form = ImportFileForm(request.POST or None, request.FILES or None)
        report: services.ImportReport | None = None
        failure: ValidationFailed | None = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = services.import_catalogue(
                    content=upload.read(), file_name=upload.name, actor=request.user.get_username()
                )
            except ValidationFailed as error:
                failure = error
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            audit.record(
                "catalogue.imported" if report else "catalogue.import_rejected",
                request=request,
                detail={"file": upload.name},
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Nhập và xuất dữ liệu thủ tục hành chính"),
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "failure": failure,
            "exports": [
                (kind, file_format, reverse("admin:catalogue_export", args=[kind, file_format]))
                for kind in EXPORT_KINDS
                for file_format in EXPORT_FORMATS
            ],
        }
        return TemplateResponse(request, "admin/catalogue/import.html", context)

    def export_view(self, request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
        """The published procedures or the FAQ as a file in the import format."""
        if kind not in EXPORT_KINDS or file_format not in EXPORT_FORMATS:
            raise Http404
        model = "procedure" if kind == "procedures" else "faq"
        if not request.user.has_perm(f"catalogue.view_{model}") or not self._operator(request):
            raise PermissionDenied
        content = selectors.export_catalogue(kind=kind, file_format=file_format)
        body = content.encode("utf-8")
        if file_format == "csv":
            # A byte-order mark makes spreadsheet programs read the Vietnamese letters as UTF-8; import skips it.
            body = b"\xef\xbb\xbf" + body
        content_type = "application/json" if file_format == "json" else "text/csv"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}.{file_format}"'
        return response
