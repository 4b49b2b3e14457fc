import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from dichvucong.core.logging import RedactIdentifiers, redact

CITIZEN_ID = "001090123456"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler carries the filter, as settings.LOGGING wires it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactIdentifiers())
    logger = logging.getLogger("tests.core.test_logging")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_number_in_the_message_is_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info(f"sign-in by {CITIZEN_ID}")
    assert stream.getvalue() == "INFO sign-in by [redacted]\n"


def test_number_in_the_arguments_is_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info("sign-in by %s from %s", CITIZEN_ID, "127.0.0.1")
    assert stream.getvalue() == "INFO sign-in by [redacted] from 127.0.0.1\n"


def test_number_in_an_exception_is_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError(f"no citizen {CITIZEN_ID}")
    except ValueError:
        logger.exception("look-up failed")
    output = stream.getvalue()
    assert CITIZEN_ID not in output
    assert "ValueError: no citizen [redacted]" in output
    assert output.startswith("ERROR look-up failed\nTraceback")


def test_an_already_formatted_exception_is_redacted() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    record.exc_text = f"KeyError: '{CITIZEN_ID}'"
    RedactIdentifiers().filter(record)
    assert record.exc_text == "KeyError: '[redacted]'"


def test_record_keeps_the_final_message_and_no_arguments() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s signed %d forms", (CITIZEN_ID, 3), None)
    assert RedactIdentifiers().filter(record) is True
    assert (record.msg, record.args) == ("[redacted] signed 3 forms", ())
    assert record.getMessage() == "[redacted] signed 3 forms"


def test_old_nine_digit_identity_card_number_is_redacted() -> None:
    assert redact("CMND 123456789, cmnd=987654321") == "CMND [redacted], cmnd=[redacted]"


def test_every_number_in_a_message_is_redacted() -> None:
    assert redact(f"{CITIZEN_ID} and 079301012345") == "[redacted] and [redacted]"


def test_number_glued_to_letters_is_still_redacted() -> None:
    assert redact(f"cccd{CITIZEN_ID}") == "cccd[redacted]"


@pytest.mark.parametrize(
    "text",
    [
        "card 4111111111111111",  # 16 digits: not an identification number
        "tax code 0100112437005",  # 13 digits: a branch tax code
        "dossier H01.02-260101-0001",
        "tax code 0100112437, phone 0912345678",  # 10 digits
        "request A123456789",  # 9 digits without a word boundary before them
        "2026-11-23 03:12:10",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_longer_digit_runs_are_left_in_log_lines(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info("payment %s for dossier %s", "9704012345678901", "H01.02-260101-0001")
    assert stream.getvalue() == "INFO payment 9704012345678901 for dossier H01.02-260101-0001\n"


def test_malformed_call_does_not_raise_and_is_still_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "citizen %d", (CITIZEN_ID,), None)
    RedactIdentifiers().filter(record)
    assert CITIZEN_ID not in record.getMessage()
    assert record.args == ()


def test_filter_is_idempotent() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "100%% of %s", (CITIZEN_ID,), None)
    RedactIdentifiers().filter(record)
    RedactIdentifiers().filter(record)
    assert record.getMessage() == "100% of [redacted]"


def test_filter_can_be_named_in_a_logging_dict_config() -> None:
    configurator = logging.config.DictConfigurator({"version": 1})
    assert isinstance(
        configurator.configure_filter({"()": "dichvucong.core.logging.RedactIdentifiers"}), RedactIdentifiers
    )
