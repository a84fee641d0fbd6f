"""Archives are checked entry by entry, from the real bytes, without extracting anything."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

from reproduce.files.archives import check_zip, declared_entry_count, unsafe_name
from reproduce.files.errors import FileRejected
from reproduce.files.tests import samples


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(data: bytes) -> Path:
        path = tmp_path / "upload.zip"
        path.write_bytes(data)
        return path

    return make


def refusal(path: Path) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        check_zip(path)
    return caught.value


def test_a_normal_archive_is_measured(write) -> None:
    data = samples.zip_bytes({"a/notes.txt": b"cut at 3 mm\n" * 50, "a/part.stl": os.urandom(500)})
    assert check_zip(write(data)) == {"entries": 2, "uncompressed_bytes": 600 + 500}


def test_stored_entries_and_3mf_are_accepted(write) -> None:
    stored = samples.zip_bytes({"x.bin": os.urandom(300)}, compression=zipfile.ZIP_STORED)
    assert check_zip(write(stored))["uncompressed_bytes"] == 300
    assert check_zip(write(samples.threemf_bytes()))["entries"] == 3


def test_a_small_but_very_compressible_file_is_not_a_bomb(write) -> None:
    # 500 kB of spaces compresses far more than 100:1 yet harms nobody.
    assert check_zip(write(samples.zip_bytes({"pad.txt": b" " * 500_000})))["entries"] == 1


def test_zip_bomb_of_200_mb_of_zeros_is_refused(write) -> None:
    bomb = samples.zeros_bomb(200)
    assert len(bomb) < 1024 * 1024
    rejected = refusal(write(bomb))
    assert rejected.code == "archive_unsafe"
    assert "zip bomb" in str(rejected)


def test_a_bomb_that_lies_about_its_size_is_found_by_decompressing(write) -> None:
    path = write(samples.lying_zip(real_bytes=8 * 1024 * 1024, declared=1000))
    # The standard library trusts the declared size and sees nothing wrong...
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.infolist()[0].file_size == 1000
    # ...the real decompression finds the bomb.
    assert refusal(path).code == "archive_unsafe"


def test_an_entry_larger_than_declared_is_refused(write) -> None:
    rejected = refusal(write(samples.lying_zip(real_bytes=5000, declared=1000)))
    assert rejected.code == "archive_unsafe"
    assert "wrong sizes" in str(rejected)


def test_decompression_stops_at_the_archive_limit(write, settings) -> None:
    settings.FILES_MAX_ARCHIVE_BYTES = 3000  # declared 1000: only real bytes pass the limit
    rejected = refusal(write(samples.lying_zip(real_bytes=5000, declared=1000)))
    assert "expands to more than" in str(rejected)


def test_declared_total_over_the_limit_is_refused_before_decompressing(write, settings) -> None:
    settings.FILES_MAX_ARCHIVE_BYTES = 1000
    data = samples.zip_bytes({f"{i}.bin": os.urandom(600) for i in range(3)})
    assert "expands to more than" in str(refusal(write(data)))


def test_too_many_entries_are_refused_from_the_end_record(write, settings) -> None:
    settings.FILES_MAX_ARCHIVE_ENTRIES = 3
    path = write(samples.zip_bytes({f"{i}.txt": b"x" for i in range(5)}))
    assert declared_entry_count(path) == 5
    rejected = refusal(path)
    assert rejected.code == "archive_unsafe" and "more than 3 files" in str(rejected)


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "docs/../../evil.txt",
        "/etc/cron.d/evil",
        "C:/Windows/evil.dll",
        "c:evil.txt",
        "..\\evil.txt",
        "docs\\..\\..\\evil.txt",
        "\\\\server\\share\\evil.txt",
        "tab\tname.txt",
    ],
)
def test_entries_that_escape_the_folder_are_refused(write, name: str) -> None:
    rejected = refusal(write(samples.zip_bytes({"ok.txt": b"fine", name: b"pwned"})))
    assert rejected.code == "archive_unsafe"
    assert "unsafe name" in str(rejected)


@pytest.mark.parametrize("name", ["docs/readme.txt", "a/b/c/", "./x.txt", "notes..txt", "é.txt"])
def test_ordinary_names_are_safe(name: str) -> None:
    assert not unsafe_name(name)


def test_symbolic_links_are_refused(write) -> None:
    rejected = refusal(write(samples.symlink_zip()))
    assert rejected.code == "archive_unsafe" and "symbolic link" in str(rejected)


def test_nested_archives_are_refused_by_name_and_by_content(write) -> None:
    inner = samples.zip_bytes({"a.txt": b"inner"})
    by_name = refusal(write(samples.zip_bytes({"inner.zip": inner})))
    assert "another archive" in str(by_name)
    by_content = refusal(write(samples.zip_bytes({"data.bin": inner})))
    assert "another archive" in str(by_content)
    gzip = refusal(write(samples.zip_bytes({"data.bin": b"\x1f\x8b\x08\x00" + bytes(40)})))
    assert gzip.code == "archive_unsafe"


def test_encrypted_entries_are_refused(write) -> None:
    rejected = refusal(write(samples.encrypted_zip()))
    assert rejected.code == "archive_unsafe" and "encrypted" in str(rejected)


def test_other_compression_methods_are_refused(write) -> None:
    data = samples.zip_bytes({"a.txt": b"hello" * 100}, compression=zipfile.ZIP_BZIP2)
    assert "compression method" in str(refusal(write(data)))


def test_overlapping_entries_are_refused(write) -> None:
    # Two directory records pointing at the same bytes: the non-recursive zip bomb trick.
    data = samples.zip_bytes({"a.txt": b"x" * 100})
    directory, end = data.find(b"PK\x01\x02"), data.find(b"PK\x05\x06")
    record = data[directory:end]
    fields = list(struct.unpack("<4s4H2LH", data[end : end + 22]))
    fields[3] += 1
    fields[4] += 1
    fields[5] *= 2
    forged = data[:directory] + record + record.replace(b"a.txt", b"b.txt")
    forged += struct.pack("<4s4H2LH", *fields)
    rejected = refusal(write(forged))
    assert "overlapping" in str(rejected)


def test_a_crc_mismatch_is_refused_as_damaged(write) -> None:
    data = bytearray(samples.zip_bytes({"a.txt": b"hello world" * 10}))
    for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        position = data.find(signature) + offset
        data[position] ^= 0xFF
    assert refusal(write(bytes(data))).code == "corrupt"


def test_nothing_is_written_to_disk_while_checking(write, tmp_path: Path) -> None:
    path = write(samples.zip_bytes({"a/b.txt": b"hello"}))
    before = sorted(tmp_path.rglob("*"))
    check_zip(path)
    assert sorted(tmp_path.rglob("*")) == before


def test_a_nul_byte_hiding_the_real_name_is_refused(write) -> None:
    # "evil\0.txt": tools that stop at the NUL see another name than the archive holds.
    data = samples.zip_bytes({"evilX.txt": b"x"}).replace(b"evilX", b"evil\x00")
    assert "unsafe name" in str(refusal(write(data)))
