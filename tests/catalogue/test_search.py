"""One results contract on SQLite (FTS5) and PostgreSQL (tsvector, unaccent, pg_trgm): these tests run on
whichever database DATABASE_URL names, and CI runs them on both."""

import pytest
from django.db import connection

from dichvucong.catalogue.search import Filters, search, suggest
from tests.conftest import make_faq
from tests.conftest import make_procedure as make_passport

pytestmark = pytest.mark.django_db

NEUTRAL = {
    "summary_en": "",
    "steps": [{"title": "Nộp hồ sơ", "description": "Nộp hồ sơ tại bộ phận một cửa."}],
    "documents": [{"name": "Đơn đề nghị", "originals": 1}],
    "results": [{"name": "Kết quả giải quyết"}],
    "methods": [{"channel": "in_person", "time_limit": 5, "fees": []}],
}


def make_procedure(**overrides: object) -> object:
    """A procedure with neutral steps and documents unless it is the passport itself."""
    if overrides.get("code", "1.001456") == "1.001456":
        return make_passport(**overrides)
    return make_passport(**{**NEUTRAL, **overrides})


@pytest.fixture
def catalogue(db: None) -> None:
    make_procedure()
    make_procedure(
        code="3.000333",
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        name_en="Issuance of a judicial record certificate",
        summary="Cấp Phiếu lý lịch tư pháp số 1, số 2 cho công dân Việt Nam.",
        summary_en="Judicial record certificate for Vietnamese citizens.",
        fields=["Lý lịch tư pháp"],
        managing_agency="TTLLTPQG",
        levels=["province"],
        online_level="full",
    )
    make_procedure(
        code="3.000347",
        name="Đổi giấy phép lái xe do ngành Công an cấp",
        name_en="Renewal of a driving licence",
        summary="Đổi giấy phép lái xe khi hết hạn, hư hỏng hoặc thay đổi thông tin.",
        summary_en="Renew a driving licence.",
        fields=["Đường bộ"],
        managing_agency="CSGT",
        levels=["province"],
        online_level="partial",
    )
    make_procedure(
        code="1.014061",
        name="Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên",
        name_en="Issuance of an identity card",
        summary="Cấp thẻ căn cước lần đầu cho công dân từ đủ 14 tuổi.",
        summary_en="Identity card for citizens aged 14 and over.",
        fields=["Căn cước"],
        managing_agency="C06",
        levels=["commune"],
    )
    make_procedure(
        code="1.013225",
        name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        name_en="Construction permit for a detached house",
        summary="Cấp giấy phép xây dựng mới nhà ở riêng lẻ.",
        fields=["Hoạt động xây dựng"],
        managing_agency="BXD",
        levels=["commune"],
        province="01",
    )
    make_procedure(
        code="1.009999",
        name="Đăng ký cấp giấy chứng nhận quyền sử dụng đất lần đầu",
        name_en="First registration of land use rights",
        summary="Đăng ký đất đai, cấp giấy chứng nhận quyền sử dụng đất lần đầu.",
        fields=["Đất đai"],
        managing_agency="BNNMT",
        levels=["commune"],
    )
    make_faq()


def codes(text: str, **filters: object) -> list[str]:
    return [h.code for h in search(text, Filters(**filters)).items]  # type: ignore[arg-type]


@pytest.mark.usefixtures("catalogue")
class TestMatching:
    def test_without_diacritics(self) -> None:
        assert codes("ly lich tu phap")[0] == "3.000333"

    def test_with_diacritics(self) -> None:
        assert codes("lý lịch tư pháp")[0] == "3.000333"

    def test_d_bar_folds_to_d(self) -> None:
        assert codes("doi giay phep lai xe")[0] == "3.000347"
        assert codes("đổi giấy phép lái xe")[0] == "3.000347"

    def test_cap_lai_ho_chieu_finds_the_passport(self) -> None:
        assert codes("cap lai ho chieu", kind="procedure")[0] == "1.001456"

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("LLTP", "3.000333"),
            ("GPLX", "3.000347"),
            ("bằng lái", "3.000347"),
            ("CCCD", "1.014061"),
            ("cmnd", "1.014061"),
            ("sổ đỏ", "1.009999"),
            ("gpxd", "1.013225"),
        ],
    )
    def test_abbreviations_and_colloquial_names(self, typed: str, expected: str) -> None:
        assert codes(typed, kind="procedure")[0] == expected

    def test_english_words_match_english_translations(self) -> None:
        assert codes("passport", kind="procedure") == ["1.001456"]
        assert codes("driving licence")[0] == "3.000347"

    def test_small_typos_are_corrected(self) -> None:
        results = search("ho chieeu", Filters(kind="procedure"))
        assert results.items[0].code == "1.001456"
        assert ("chieeu", "chieu") in results.corrections

    def test_prefix_of_last_word_matches_as_you_type(self) -> None:
        assert codes("giay phep xay d")[0] == "1.013225"

    def test_code_finds_the_procedure_first(self) -> None:
        assert codes("3.000347")[0] == "3.000347"

    def test_faq_is_searched_with_procedures(self) -> None:
        assert "HD-XNC-001" in codes("lam lai ho chieu mat bao lau")

    def test_when_not_every_word_matches_any_word_is_enough(self) -> None:
        results = search("hộ chiếu khủng long")
        assert not results.matched_all_words
        assert results.items[0].code in {"1.001456", "HD-XNC-001"}


@pytest.mark.usefixtures("catalogue")
class TestRankingAndContract:
    def test_name_ranks_above_body(self) -> None:
        make_procedure(
            code="2.000001",
            name="Thủ tục khác",
            name_en="",
            summary="Nhắc đến lý lịch tư pháp trong phần mô tả.",
            fields=["Khác"],
            managing_agency="BTP",
        )
        assert codes("ly lich tu phap")[:2] == ["3.000333", "2.000001"]

    def test_published_ranks_above_superseded(self) -> None:
        make_procedure(summary="Phiên bản mới của thủ tục cấp hộ chiếu phổ thông, cấp lại hộ chiếu.")
        hits = search("ho chieu pho thong", Filters(kind="procedure")).items
        assert [(h.code, h.status) for h in hits[:2]] == [
            ("1.001456", "published"),
            ("1.001456", "superseded"),
        ]
        assert all(
            h.status == "published" for h in search("ho chieu", Filters(include_superseded=False)).items
        )

    def test_highlights_mark_matched_words_in_the_original_text(self) -> None:
        hit = search("ly lich", Filters(kind="procedure")).items[0]
        assert "<mark>lý</mark> <mark>lịch</mark>" in hit.title_html

    def test_highlight_escapes_html(self) -> None:
        make_procedure(code="2.000002", name="Thủ tục <script>x</script> đặc biệt", fields=["Khác"])
        hit = search("dac biet").items[0]
        assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html

    def test_results_contract(self) -> None:
        results = search("giay phep", limit=1)
        assert results.count >= 2 and len(results.items) == 1
        hit = results.items[0]
        assert {hit.kind, hit.status} <= {"procedure", "faq", "published", "superseded"}
        second = search("giay phep", limit=1, offset=1).items[0]
        assert second.code != hit.code

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"field": "ly-lich-tu-phap"}, {"3.000333"}),
            ({"agency": "CSGT"}, {"3.000347"}),
            ({"level": "commune", "kind": "procedure"}, {"1.014061", "1.013225", "1.009999"}),
            ({"online_level": "partial"}, {"3.000347"}),
            ({"audience": "enterprise"}, set()),
            ({"province": "79", "level": "commune"}, {"1.014061", "1.009999"}),
            ({"province": "01", "level": "commune"}, {"1.014061", "1.009999", "1.013225"}),
        ],
    )
    def test_filters(self, filters: dict[str, str], expected: set[str]) -> None:
        assert set(codes("", **filters)) == expected

    def test_filters_apply_to_text_search(self) -> None:
        assert codes("cap", field="can-cuoc") == ["1.014061"]

    def test_suggestions_follow_the_keyboard(self) -> None:
        assert [h.code for h in suggest("ly lich tu ph")][:1] == ["3.000333"]
        assert suggest("l") == []


@pytest.mark.postgres
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL (DATABASE_URL=postgres://…)"
)
def test_postgres_index_uses_unaccent_tsvector_and_trigram(db: None) -> None:
    make_procedure()
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        assert {"unaccent", "pg_trgm"} <= {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT document::text FROM catalogue_searchentry WHERE code = '1.001456'")
        assert "'chieu':" in cursor.fetchone()[0]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalogue_searchterm'")
        assert "catalogue_searchterm_trgm" in {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the FTS5 index exists only on SQLite")
def test_sqlite_fts5_index_follows_the_entries(db: None) -> None:
    procedure = make_procedure()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalogue_searchentry_fts WHERE catalogue_searchentry_fts MATCH 'chieu'"
        )
        assert cursor.fetchone()[0] == 1
    from dichvucong.catalogue.models import SearchEntry

    SearchEntry.objects.filter(object_id=procedure.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalogue_searchentry_fts WHERE catalogue_searchentry_fts MATCH 'chieu'"
        )
        assert cursor.fetchone()[0] == 0


def test_rebuild_vocabulary_counts_every_word_and_keeps_unchanged_rows(db: None) -> None:
    from dichvucong.catalogue.models import SearchTerm
    from dichvucong.catalogue.search import rebuild_vocabulary

    make_procedure()
    before = dict(SearchTerm.objects.values_list("term", "pk"))
    SearchTerm.objects.filter(term="chieu").update(frequency=99)
    SearchTerm.objects.create(term="khonglienquan", length=13, frequency=1)
    rebuild_vocabulary()
    after = dict(SearchTerm.objects.values_list("term", "pk"))
    assert after == before  # same rows, the stray one removed
    assert SearchTerm.objects.get(term="chieu").frequency == 1
