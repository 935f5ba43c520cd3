"""A zip archive written as a stream: every write lands in a buffer the HTTP response drains, so the archive is
never held whole (zipfile writes data descriptors after each entry when its output cannot seek)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from typing import IO

COMPRESS_LEVEL = 1  # deflate level 1: most of level 6's size for a fraction of its CPU (docs/architecture.md)
SPOOL_BYTES = 4 * 1024 * 1024


class _Chunks:
    """An unseekable file that keeps what is written until taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class ZipStream:
    """Entries go in one after another; `take()` returns the bytes written since the last call."""

    def __init__(self, level: int = COMPRESS_LEVEL) -> None:
        self._out = _Chunks()
        self._zip = zipfile.ZipFile(self._out, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=level)

    def add(self, name: str, data: bytes) -> None:
        """A whole (small) file."""
        self._zip.writestr(name, data)

    def open(self, name: str) -> IO[bytes]:
        """A file written piece by piece (it must be closed before the next entry)."""
        return self._zip.open(name, "w", force_zip64=True)

    def take(self) -> bytes:
        """The archive bytes written since the last take."""
        return self._out.take()

    def close(self) -> bytes:
        """Write the central directory; the last bytes of the archive."""
        self._zip.close()
        return self._out.take()


class Spool:
    """Text kept aside until the end of an export (an index file, COCO's images): in memory up to 4 MiB, then in
    a temporary file, so memory stays bounded however many frames there are."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115 (closed when copied)
        self.empty = True

    def write(self, text: str) -> None:
        """Append text (UTF-8)."""
        self.write_bytes(text.encode())

    def write_bytes(self, data: bytes) -> None:
        """Append bytes."""
        self._file.write(data)
        self.empty = False

    def copy_to(self, out: IO[bytes]) -> None:
        """Write everything kept into `out`, then drop it."""
        self._file.seek(0)
        shutil.copyfileobj(self._file, out, 1024 * 1024)
        self._file.close()

    def read_all(self) -> bytes:
        """Everything kept (for small spools), then drop it."""
        self._file.seek(0)
        data = self._file.read()
        self._file.close()
        return bytes(data)
