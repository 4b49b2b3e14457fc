from dichvucong.core.text import fold, slugify_vi, words


def test_fold_strips_vietnamese_marks_and_d_bar() -> None:
    assert fold("Cấp Phiếu Lý lịch Tư pháp") == "cap phieu ly lich tu phap"
    assert fold("Đăng ký  ĐẤT đai") == "dang ky dat dai"


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Hộ chiếu".encode().decode()  # precomposed
    import unicodedata

    assert fold(unicodedata.normalize("NFD", decomposed)) == "ho chieu"


def test_words_keep_codes_whole() -> None:
    assert words("Thủ tục 1.001193 theo Luật 60/2014") == [
        "thu",
        "tuc",
        "1.001193",
        "theo",
        "luat",
        "60/2014",
    ]


def test_slugify_vi() -> None:
    assert slugify_vi("Hộ tịch") == "ho-tich"
