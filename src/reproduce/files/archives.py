"""Safety checks of ZIP archives (and 3MF, which is a ZIP), without extracting anything to disk.

A ZIP can lie: about its entry names (``../../etc/passwd``), about what an entry is (a
symlink), and about its sizes (a "zip bomb" declares kilobytes and expands to terabytes). The
central directory is read with ``zipfile`` only to list the entries; every entry is then
decompressed here from the raw bytes, counting what really comes out, so nothing that the
archive declares is trusted. Only the two methods every ZIP tool writes are accepted:
stored and deflate.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reproduce.files.errors import Codes, FileRejected

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_RATIO = 100
# Below this size a high compression ratio harms nobody (a 10 kB text of spaces compresses
# 300:1); the ratio rule is for entries that could fill memory or disk.
RATIO_FLOOR_BYTES = 1024 * 1024
READ_CHUNK = 64 * 1024
OUTPUT_CHUNK = 256 * 1024

# Archives inside the archive are refused: they would escape every check made here.
ARCHIVE_MAGICS = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"Rar!\x1a\x07",  # RAR
    b"\x28\xb5\x2f\xfd",  # zstd
)
ARCHIVE_EXTENSIONS = (".zip", ".3mf", ".jar", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz")

_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unsafe(message: StrOrPromise, **params: object) -> FileRejected:
    return FileRejected(message, code=Codes.ARCHIVE_UNSAFE, params=params or None)


def entry_names(path: Path) -> list[str]:
    """The names in the archive's directory (for detection), after the entry-count check."""
    _check_declared_entry_count(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
        raise _damaged() from exc


def check_zip(path: Path) -> dict[str, int]:
    """Refuse an unsafe archive; return ``{"entries", "uncompressed_bytes"}`` (real bytes)."""
    _check_declared_entry_count(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_listing(infos)
            with path.open("rb") as raw:
                spans = [_data_span(raw, info) for info in infos]
                _check_no_overlap(infos, spans, archive.start_dir)
                total = 0
                for info, (start, _end) in zip(infos, spans, strict=True):
                    total += _measure_entry(
                        raw, info, start, settings.FILES_MAX_ARCHIVE_BYTES - total
                    )
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, zlib.error) as exc:
        raise _damaged() from exc
    return {"entries": len(infos), "uncompressed_bytes": total}


def _damaged() -> FileRejected:
    return FileRejected(
        _("The archive is damaged or incomplete and cannot be read."), code=Codes.CORRUPT
    )


def _check_declared_entry_count(path: Path) -> None:
    """Refuse too many entries from the end record alone, before ``zipfile`` builds one
    object per entry (a million tiny entries would cost gigabytes of memory)."""
    count = declared_entry_count(path)
    limit = settings.FILES_MAX_ARCHIVE_ENTRIES
    if count is not None and count > limit:
        raise unsafe(
            _("The archive holds more than %(limit)s files, which is not accepted."), limit=limit
        )


def declared_entry_count(path: Path) -> int | None:
    """Entry count from the end-of-central-directory record (ZIP64 aware); None if absent."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        start = max(0, size - (_EOCD.size + 0xFFFF + _EOCD64_LOCATOR.size))
        fh.seek(start)
        tail = fh.read()
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or len(tail) - pos < _EOCD.size:
            return None
        count = _EOCD.unpack_from(tail, pos)[4]
        locator = pos - _EOCD64_LOCATOR.size
        if count != 0xFFFF or locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            return int(count)
        fh.seek(_EOCD64_LOCATOR.unpack_from(tail, locator)[2])
        record = fh.read(_EOCD64.size)
    if len(record) < _EOCD64.size or record[:4] != b"PK\x06\x06":
        return None
    return int(_EOCD64.unpack(record)[7])


def _check_listing(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > settings.FILES_MAX_ARCHIVE_ENTRIES:
        raise unsafe(
            _("The archive holds more than %(limit)s files, which is not accepted."),
            limit=settings.FILES_MAX_ARCHIVE_ENTRIES,
        )
    declared = 0
    for info in infos:
        _check_entry(info)
        declared += info.file_size
    if declared > settings.FILES_MAX_ARCHIVE_BYTES:
        raise _too_large()


def _check_entry(info: zipfile.ZipInfo) -> None:
    name = info.orig_filename
    if unsafe_name(name):
        raise unsafe(
            _("The archive contains an entry with an unsafe name: %(name)s"), name=name[:120]
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise unsafe(_("The archive contains a symbolic link (%(name)s)."), name=name[:120])
    if info.flag_bits & 0x1:
        raise unsafe(_("The archive contains encrypted files, which cannot be checked."))
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise unsafe(
            _("The archive uses a compression method that is not accepted: use standard ZIP.")
        )
    if name.lower().endswith(ARCHIVE_EXTENSIONS):
        raise _nested(name)
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
        info.compress_size, 1
    ):
        raise _bomb(name)


def unsafe_name(name: str) -> bool:
    """True for names that would land outside the folder they are extracted to."""
    normalised = name.replace("\\", "/")
    return bool(
        not normalised
        or _CONTROL.search(normalised)
        or normalised.startswith("/")
        or _DRIVE.match(normalised)
        or ".." in normalised.split("/")
    )


def _data_span(raw: BinaryIO, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the entry's compressed bytes start and end, from its local header."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    fields = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
    return start, start + info.compress_size


def _check_no_overlap(
    infos: list[zipfile.ZipInfo], spans: list[tuple[int, int]], directory_start: int
) -> None:
    # Entries sharing compressed bytes are the trick of the non-recursive zip bomb.
    ordered = sorted(zip((i.header_offset for i in infos), spans, strict=True))
    limits = [offset for offset, _span in ordered[1:]] + [directory_start]
    if any(end > limit for (_offset, (_start, end)), limit in zip(ordered, limits, strict=True)):
        raise unsafe(_("The archive has overlapping entries, a trick of zip bombs."))


def _measure_entry(raw: BinaryIO, info: zipfile.ZipInfo, start: int, budget: int) -> int:
    """Decompress one entry from the raw bytes, counting; stop as soon as a limit is passed."""
    produced, crc, first = 0, 0, True
    for piece in _pieces(raw, info, start):
        if first and piece.startswith(ARCHIVE_MAGICS):
            raise _nested(info.orig_filename)
        first = False
        produced += len(piece)
        crc = zlib.crc32(piece, crc)
        if produced > budget:
            raise _too_large()
        if produced > RATIO_FLOOR_BYTES and produced > MAX_RATIO * max(info.compress_size, 1):
            raise _bomb(info.orig_filename)
    if produced != info.file_size:
        raise unsafe(
            _("The archive declares wrong sizes for %(name)s, a trick of zip bombs."),
            name=info.orig_filename[:120],
        )
    if crc != info.CRC:
        raise zipfile.BadZipFile("bad CRC")
    return produced


def _pieces(raw: BinaryIO, info: zipfile.ZipInfo, start: int) -> Iterator[bytes]:
    raw.seek(start)
    remaining = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while remaining > 0:
        chunk = raw.read(min(READ_CHUNK, remaining))
        if not chunk:
            raise zipfile.BadZipFile("truncated entry")
        remaining -= len(chunk)
        if inflater is None:
            yield chunk
            continue
        # max_length bounds memory: a few compressed bytes may stand for gigabytes.
        data = inflater.decompress(chunk, OUTPUT_CHUNK)
        while data:
            yield data
            data = inflater.decompress(inflater.unconsumed_tail, OUTPUT_CHUNK)
    if inflater is not None and not inflater.eof:
        raise zipfile.BadZipFile("truncated deflate stream")


def _too_large() -> FileRejected:
    return unsafe(
        _("The archive expands to more than %(limit)s MB, which is not accepted."),
        limit=settings.FILES_MAX_ARCHIVE_BYTES // (1024 * 1024),
    )


def _bomb(name: str) -> FileRejected:
    return unsafe(
        _(
            "%(name)s in the archive is compressed more than %(ratio)s times: this is refused as a "
            "possible zip bomb."
        ),
        name=name[:120],
        ratio=MAX_RATIO,
    )


def _nested(name: str) -> FileRejected:
    return unsafe(
        _("The archive contains another archive (%(name)s); upload its files directly instead."),
        name=name[:120],
    )
