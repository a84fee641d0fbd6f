"""Real files generated with the libraries that read them, and crafted hostile ones."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib

import ezdxf
import numpy as np
from PIL import Image
from stl import Mode
from stl import mesh as stl_mesh


def cube_triangles(size: float = 20.0) -> np.ndarray:
    """A closed cube of 12 triangles, ``size`` mm wide, with its corner at the origin."""
    v = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]],
        dtype=float,
    )
    faces = [
        (0, 3, 1), (1, 3, 2), (4, 5, 7), (5, 6, 7), (0, 1, 5), (0, 5, 4),
        (2, 3, 7), (2, 7, 6), (1, 2, 6), (1, 6, 5), (0, 4, 7), (0, 7, 3),
    ]  # fmt: skip
    return np.array([[v[i] * size for i in face] for face in faces])


def stl_bytes(*, ascii: bool = False, triangles: np.ndarray | None = None) -> bytes:
    tris = cube_triangles() if triangles is None else triangles
    mesh = stl_mesh.Mesh(np.zeros(len(tris), dtype=stl_mesh.Mesh.dtype))
    mesh.vectors[:] = tris
    mesh.update_normals()
    buffer = io.BytesIO()
    mesh.save("cube.stl", fh=buffer, mode=Mode.ASCII if ascii else Mode.BINARY)
    data = buffer.getvalue()
    # numpy-stl puts the time in the binary header; a fixed one makes equal meshes equal bytes.
    return data if ascii else b"cube".ljust(80, b" ") + data[80:]


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), exif_orientation: int | None = None
) -> bytes:
    """A two-colour picture (left red, right blue) so orientation and content can be checked."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    images = [Image.new("RGB", (50, 70), "white") for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def dxf_bytes() -> bytes:
    document = ezdxf.new("R2010")
    document.header["$INSUNITS"] = 4  # millimetres
    modelspace = document.modelspace()
    modelspace.add_line((0, 0), (100, 0))
    modelspace.add_circle((50, 50), radius=20)
    modelspace.add_lwpolyline([(0, 0), (100, 0), (100, 80), (0, 80)], close=True)
    stream = io.StringIO()
    document.write(stream)
    return stream.getvalue().encode("utf-8")


STEP = b"""ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('bracket'),'2;1');
FILE_NAME('bracket.step','2024-01-01T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));
ENDSEC;
DATA;
#1=CARTESIAN_POINT('',(0.,0.,0.));
ENDSEC;
END-ISO-10303-21;
"""

SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="100mm" height="50mm" viewBox="0 0 100 50">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>
  <rect id="r" x="5" y="5" width="90" height="40" style="fill:url(#g);stroke:#000"/>
  <use xlink:href="#r" transform="translate(1,1)"/>
  <text x="10" y="30">Laser <tspan font-weight="bold">cut</tspan> here</text>
</svg>
"""


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def threemf_bytes() -> bytes:
    model = b"""<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<resources><object id="1" type="model"><mesh><vertices>
<vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="10" z="0"/>
</vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object></resources>
<build><item objectid="1"/></build></model>"""
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "3D/3dmodel.model": model,
        }
    )


def zeros_bomb(megabytes: int, name: str = "zeros.bin") -> bytes:
    """An honest bomb: ``megabytes`` MB of zeros, written in chunks (never all in memory)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            entry.write(chunk)
    return buffer.getvalue()


def lying_zip(real_bytes: int = 4 * 1024 * 1024, declared: int = 1000) -> bytes:
    """A bomb that declares ``declared`` bytes (size and matching CRC of that many zeros)
    while its deflate stream expands to ``real_bytes``: zipfile itself reads only the declared
    part and finds nothing wrong."""
    data = zip_bytes({"small.txt": bytes(real_bytes)})
    crc = zlib.crc32(bytes(declared))
    patched = bytearray(data)
    local = patched.find(b"PK\x03\x04")
    struct.pack_into("<L", patched, local + 14, crc)
    struct.pack_into("<L", patched, local + 22, declared)
    central = patched.find(b"PK\x01\x02")
    struct.pack_into("<L", patched, central + 16, crc)
    struct.pack_into("<L", patched, central + 24, declared)
    return bytes(patched)


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link-to-passwd")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def encrypted_zip() -> bytes:
    """The encryption flag set on an entry (the standard library cannot write real ones)."""
    patched = bytearray(zip_bytes({"secret.txt": b"hello"}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = patched.find(signature) + offset
        patched[position] |= 0x1
    return bytes(patched)
