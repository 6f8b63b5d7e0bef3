"""The worker's batched log: lines arrive within FLUSH_SECONDS, problems at once."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rentcal.web.request_log import FLUSH_SECONDS, BatchedStreamHandler, SecondFormatter


def _logger(path: Path) -> tuple[logging.Logger, BatchedStreamHandler]:
    handler = BatchedStreamHandler(path.open("w", encoding="utf-8", buffering=65536))
    handler.setFormatter(SecondFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(f"rentcal.test.{path.name}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler


def test_info_lines_arrive_in_a_batch(tmp_path: Path) -> None:
    path = tmp_path / "log"
    logger, handler = _logger(path)
    try:
        logger.info("GET /healthz 200")
        assert path.read_text() == ""  # buffered, not one write per line
        deadline = time.monotonic() + 10 * FLUSH_SECONDS
        while "GET /healthz 200" not in path.read_text() and time.monotonic() < deadline:
            time.sleep(FLUSH_SECONDS / 5)
        assert "INFO rentcal.test.log: GET /healthz 200" in path.read_text()
    finally:
        handler.close()


def test_warnings_are_written_at_once(tmp_path: Path) -> None:
    path = tmp_path / "log"
    logger, handler = _logger(path)
    try:
        logger.info("first")
        logger.warning("slow request")
        text = path.read_text()
        assert text.index("first") < text.index("slow request")  # in order, both out
    finally:
        handler.close()


def test_time_stamp_is_loggings_own_format(tmp_path: Path) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    ours = SecondFormatter("%(asctime)s").format(record)
    assert ours == logging.Formatter("%(asctime)s").format(record)


def test_close_writes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "log"
    logger, handler = _logger(path)
    logger.info("last words")
    handler.close()
    assert "last words" in path.read_text()
