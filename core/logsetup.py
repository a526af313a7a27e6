"""Logging for every process: one format, and resident ID numbers masked in every record."""
from __future__ import annotations

import logging

from core.identity import mask_id_numbers_in_text


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_id_numbers_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# Loggers of servers we run that write through their own handlers (gunicorn's access log shows the
# query string, e.g. a staff search for an ID number).
SERVER_LOGGERS = ("gunicorn.access", "gunicorn.error")


def _add_mask(target) -> None:
    if not any(isinstance(f, MaskIdNumbers) for f in target.filters):
        target.addFilter(MaskIdNumbers())


def mask_all_handlers() -> None:
    """Mask ID numbers in every handler already on the root logger (another framework's, e.g. rasa_sdk's)
    and in the servers' own loggers. Safe to call more than once."""
    for handler in logging.getLogger().handlers:
        _add_mask(handler)
    for name in SERVER_LOGGERS:
        _add_mask(logging.getLogger(name))


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskIdNumbers) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(MaskIdNumbers())
        root.addHandler(handler)
        root.setLevel(level)
    mask_all_handlers()
