"""Files a person hands in (an application, a catalog): a regular file under the size limit, checked before
a byte is read, so `/dev/zero`, a named pipe or a 52 MB upload is refused at once (exit 2)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from approvals.errors import BadInput


def read_text_file(path: Path, what: str, limit: int) -> str:
    """The UTF-8 text of `path`, a regular file of at most `limit` bytes (ONEVISIT_MAX_FILE_BYTES)."""
    try:
        # O_NONBLOCK: opening a named pipe with no writer must not wait; a regular file ignores it
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise BadInput(f"cannot read {what} {path}: {exc.strerror}") from None
    facts = os.fstat(descriptor)
    if not stat.S_ISREG(facts.st_mode):
        os.close(descriptor)
        raise BadInput(f"{what} {path} is not a regular file")
    if facts.st_size > limit:
        os.close(descriptor)
        raise BadInput(f"{what} {path} is {facts.st_size:,} bytes, over the limit of {limit:,} "
                       "(ONEVISIT_MAX_FILE_BYTES)")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            content = handle.read(limit + 1)
        except OSError as exc:
            raise BadInput(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(content) > limit:  # grew while we looked
        raise BadInput(f"{what} {path} is over the limit of {limit:,} bytes (ONEVISIT_MAX_FILE_BYTES)")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"cannot read {what} {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
