"""Durable files for the export: hash, fsync, seal into place, and the rejects file.

A window's file is written to a temp file beside its target, then flushed,
fsynced and renamed over the target, and the directories are fsynced too:
only then may its checkpoint say ``done``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from .._core.errors import CheckpointError
from ._plan import temp_path

__all__ = ("RejectsFile", "fsync_dir", "seal", "sha256_file")

logger = logging.getLogger("telcall.export")


def sha256_file(path: Path) -> str | None:
    """The file's SHA-256 (hex), or ``None`` if it does not exist."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Sync a directory's entries (a rename is durable only once its directory is)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def seal(file: BinaryIO, tmp: Path, final: Path) -> tuple[str, int]:
    """Sync the temp file, hash it, rename it over ``final`` and sync the directories."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    digest = sha256_file(tmp)
    if digest is None:
        raise CheckpointError(f"the temp file {tmp} vanished before it was sealed")
    size = tmp.stat().st_size
    os.replace(tmp, final)
    fsync_dir(final.parent)
    # The date directory may be new: its own entry lives in the parent.
    fsync_dir(final.parent.parent)
    return digest, size


class RejectsFile:
    """A window's rejects file (raw record and reason per line), opened at the first reject."""

    _encoder = msgspec.json.Encoder()

    def __init__(self, final: Path, run_id: str) -> None:
        self.final = final
        self.tmp = temp_path(final, run_id)
        self.file: BinaryIO | None = None
        self.kinds: dict[str, int] = {}

    def add(self, index: int, rid: str, kind: str, reason: str, wire: Any) -> None:
        """Write one rejected record; the message names its id, or its index without one."""
        if self.file is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.file = self.tmp.open("wb")
        name = f"record {rid!r}" if rid.strip() else f"record #{index} (no id)"
        line = {"index": index, "id": rid, "kind": kind, "reason": f"{name}: {reason}"}
        self.file.write(self._encoder.encode({**line, "record": wire}) + b"\n")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if sum(self.kinds.values()) == 1:
            logger.warning("%s: %s (more in %s)", name, reason, self.final.name)

    def seal(self) -> None:
        """Sync and rename the file into place, or remove an earlier run's if none was needed."""
        if self.file is None:
            self.final.unlink(missing_ok=True)
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.final)

    def discard(self) -> None:
        """Close and remove the temp file (the window failed)."""
        if self.file is not None:
            self.file.close()
            self.tmp.unlink(missing_ok=True)
