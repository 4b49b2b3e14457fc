import pytest

from dichvucong.catalogue.models import Procedure, SearchEntry
from dichvucong.catalogue.selectors import procedure_get, procedure_versions
from dichvucong.catalogue.services import publish, start_revision, submit_for_review
from dichvucong.core.errors import DomainError, NotFound
from tests.conftest import make_officer, make_procedure

pytestmark = pytest.mark.django_db


def test_new_content_publishes_a_new_version_and_supersedes_the_old() -> None:
    first = make_procedure()
    second = make_procedure(summary="Nội dung mới theo quyết định công bố mới.")
    first.refresh_from_db()
    assert (first.version, first.status) == (1, "superseded")
    assert (second.version, second.status) == (2, "published")
    assert procedure_get("1.001456").version == 2
    assert procedure_get("1.001456", version=1).summary != second.summary
    assert [v.version for v in procedure_versions("1.001456")] == [2, 1]
    statuses = dict(SearchEntry.objects.filter(code="1.001456").values_list("object_id", "status"))
    assert statuses == {first.pk: "superseded", second.pk: "published"}


def test_editing_a_published_procedure_opens_a_draft_and_leaves_the_published_one_alone() -> None:
    published = make_procedure()
    draft = start_revision(code="1.001456")
    draft.name = "Cấp hộ chiếu phổ thông (sửa đổi)"
    draft.save()
    assert procedure_get("1.001456").name == published.name
    assert not SearchEntry.objects.filter(object_id=draft.pk).exists()
    submit_for_review(procedure_id=draft.pk, actor=make_officer("XNC", roles=("catalogue_editor",)))
    publish(procedure_id=draft.pk, actor=make_officer("XNC", username="lanhdao-xnc", roles=("head",)))
    assert procedure_get("1.001456").name == "Cấp hộ chiếu phổ thông (sửa đổi)"
    assert list(procedure_get("1.001456").fields.values_list("name", flat=True)) == ["Quản lý xuất nhập cảnh"]
    assert Procedure.objects.get(pk=published.pk).status == "superseded"


def test_superseded_version_cannot_be_published_again() -> None:
    old = make_procedure()
    make_procedure(summary="Phiên bản 2")
    old.refresh_from_db()
    with pytest.raises(DomainError):
        publish(procedure_id=old.pk, actor=make_officer("XNC", roles=("head",)))


def test_draft_versions_are_not_readable_publicly() -> None:
    make_procedure(status="draft")
    with pytest.raises(NotFound):
        procedure_get("1.001456")
    with pytest.raises(NotFound):
        procedure_get("1.001456", version=1)


def test_procedure_type_comes_from_the_code_prefix() -> None:
    assert make_procedure(code="2.001610").procedure_type == "2"
