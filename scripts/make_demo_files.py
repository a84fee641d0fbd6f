"""Generate the files of the demo designs library (STL, DXF, SVG, PNG, source archives).

Run from the repository root:  .venv/bin/python scripts/make_demo_files.py

Why a script rather than hand-made files: the demo must show real, openable files whose
dimensions agree with the BOM, routing and QC criteria of ``demo_designs.json``, and anybody can
regenerate or change them. The output is deterministic (same bytes on every run, for the same
library versions): fixed STL header, ezdxf's fixed metadata, no PNG timestamps, fixed ZIP dates.
"""

from __future__ import annotations

import io
import itertools
import math
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import ezdxf
import numpy as np
from ezdxf.document import Drawing
from ezdxf.layouts import Modelspace
from PIL import Image, ImageDraw, ImageFont
from stl import mesh as stl_mesh

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "reproduce" / "designs" / "data" / "demo_files"

Tris = np.ndarray  # (n, 3, 3) float64: n triangles of three xyz corners, counter-clockwise
Point = tuple[float, float]
RGB = tuple[int, int, int]

# ---------------------------------------------------------------- meshes


def _solid(tris: Tris) -> Tris:
    """Wind a closed shell outward (positive signed volume), whatever order built it."""
    volume = np.einsum("ij,ij->i", tris[:, 0], np.cross(tris[:, 1], tris[:, 2])).sum() / 6
    return tris if volume >= 0 else tris[:, [0, 2, 1]]


def _fan(loop: np.ndarray, up: bool) -> list[np.ndarray]:
    centre = loop.mean(axis=0)
    n = len(loop)
    if up:
        return [np.array([centre, loop[i], loop[(i + 1) % n]]) for i in range(n)]
    return [np.array([centre, loop[(i + 1) % n], loop[i]]) for i in range(n)]


def loft(loops: Sequence[np.ndarray], closed: bool) -> list[np.ndarray]:
    """Quads between consecutive loops of the same point count (a tube, or a ring if closed)."""
    tris: list[np.ndarray] = []
    count = len(loops) if closed else len(loops) - 1
    for k in range(count):
        a, b = loops[k], loops[(k + 1) % len(loops)]
        n = len(a)
        for i in range(n):
            j = (i + 1) % n
            tris += [np.array([a[i], a[j], b[j]]), np.array([a[i], b[j], b[i]])]
    return tris


def _at(points: Sequence[Point], z: float) -> np.ndarray:
    return np.array([(x, y, z) for x, y in points], dtype=float)


def prism(outline: Sequence[Point], z0: float, z1: float) -> Tris:
    """Extrude an outline (star-shaped around its centroid, counter-clockwise) from z0 to z1."""
    bottom, top = _at(outline, z0), _at(outline, z1)
    return _solid(
        np.array(loft([bottom, top], closed=False) + _fan(bottom, False) + _fan(top, True))
    )


def ring(outer: Sequence[Point], inner: Sequence[Point], z0: float, z1: float) -> Tris:
    """Extrude the region between two outlines sampled at matching angles (a plate with a hole)."""
    loops = [_at(outer, z0), _at(outer, z1), _at(inner, z1), _at(inner, z0)]
    return _solid(np.array(loft(loops, closed=True)))


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> Tris:
    return prism([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], z0, z1)


def circle(r: float, n: int = 48, cx: float = 0, cy: float = 0) -> list[Point]:
    return [
        (cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]


def rot_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def place(
    tris: Tris, rotation: np.ndarray | None = None, offset: Sequence[float] = (0, 0, 0)
) -> Tris:
    out = tris @ rotation.T if rotation is not None else tris.copy()
    return out + np.asarray(offset, dtype=float)


def join(*parts: Tris) -> Tris:
    return np.concatenate(parts)


def rect_at_angles(w: float, h: float, angles: Iterable[float]) -> list[Point]:
    """A w×h rectangle centred on the origin, sampled along rays at the given angles."""
    pts = []
    for a in angles:
        c, s = math.cos(a), math.sin(a)
        t = min(
            w / 2 / abs(c) if abs(c) > 1e-12 else math.inf,
            h / 2 / abs(s) if abs(s) > 1e-12 else math.inf,
        )
        pts.append((t * c, t * s))
    return pts


def plate_with_hole(w: float, h: float, r: float, t: float) -> Tris:
    """A w×h plate, t thick, centred on the origin, with a round hole of radius r."""
    corner = math.atan2(h, w)
    angles = sorted(
        {
            *(2 * math.pi * i / 40 for i in range(40)),
            corner,
            math.pi - corner,
            math.pi + corner,
            2 * math.pi - corner,
        }
    )
    return ring(
        rect_at_angles(w, h, angles), [(r * math.cos(a), r * math.sin(a)) for a in angles], 0, t
    )


def stadium(straight: float, radius: float, n: int = 24) -> list[Point]:
    """A race-track outline: two half circles joined by straights (the Hollander tub)."""
    pts = []
    for i in range(n + 1):
        a = -math.pi / 2 + math.pi * i / n
        pts.append((straight / 2 + radius * math.cos(a), radius * math.sin(a)))
    for i in range(n + 1):
        a = math.pi / 2 + math.pi * i / n
        pts.append((-straight / 2 + radius * math.cos(a), radius * math.sin(a)))
    return pts


def write_stl(path: Path, tris: Tris, name: str) -> None:
    """Binary STL through numpy-stl, with a fixed header (numpy-stl's own has the time)."""
    m = stl_mesh.Mesh(np.zeros(len(tris), dtype=stl_mesh.Mesh.dtype))
    m.vectors[:] = tris.astype(np.float32)
    m.update_normals()
    header = f"ReProduce demo - {name} - mm".encode("ascii")[:80].ljust(80, b" ")
    path.write_bytes(header + np.uint32(len(tris)).tobytes() + m.data.tobytes())


# ---------------------------------------------------------------- parts


def hollander_tub() -> Tris:
    """Tub 1200×600×350 mm: 30 mm walls and floor, 40 mm midfeather, backfall behind the roll."""
    floor = prism(stadium(600, 300), 0, 30)
    wall = ring(stadium(600, 300), stadium(600, 270), 30, 350)
    midfeather = box(-300, -20, 30, 300, 20, 350)
    ramp = prism([(120, 30), (420, 30), (120, 230)], -265, -25)  # triangle in XZ, across Y
    backfall = place(ramp, rot_x(90))
    return join(floor, wall, midfeather, backfall)


def hollander_roll(bars: int) -> Tris:
    """Beater roll Ø200 × 200 mm with ``bars`` steel bars, on a Ø30 × 400 mm shaft (axis X):
    one bearing in the midfeather, the other and the pulley outside the tub."""
    core = place(prism(circle(100, 64), -100, 100), rot_y(90))
    shaft = place(prism(circle(15, 24), -125, 275), rot_y(90))
    bar = box(-100, -2.5, 95, 100, 2.5, 112)
    parts = [core, shaft] + [place(bar, rot_x(360 * k / bars)) for k in range(bars)]
    return join(*parts)


def hollander_bedplate(thickness: float, ribs: bool) -> Tris:
    """Bedplate 250×110 mm with seven 4 mm bars; 1.1 is thicker and has two ribs below."""
    parts = [box(-125, -55, 0, 125, 55, thickness)]
    for k in range(7):
        y = -45 + 15 * k
        parts.append(box(-120, y - 2, thickness, 120, y + 2, thickness + 6))
    if ribs:
        parts += [box(-125, -55, -20, 125, -45, 0), box(-125, 45, -20, 125, 55, 0)]
    return join(*parts)


def shredder_blade() -> Tris:
    """Blade Ø150 × 6 mm, three hooked teeth, 30 mm hexagonal bore (across flats)."""
    angles: list[float] = []
    radii: list[float] = []
    for tooth in range(3):
        start = tooth * 2 * math.pi / 3
        for i in range(24):
            angles.append(start + (2 * math.pi / 3 - 0.06) * i / 23)
            radii.append(58 + 17 * (i / 23) ** 1.6)
        angles.append(start + 2 * math.pi / 3 - 0.03)
        radii.append(58)
    apothem = 15

    def hex_r(a: float) -> float:
        phi = (a % (math.pi / 3)) - math.pi / 6
        return apothem / math.cos(phi)

    outer = [(r * math.cos(a), r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]
    inner = [(hex_r(a) * math.cos(a), hex_r(a) * math.sin(a)) for a in angles]
    return ring(outer, inner, 0, 6)


def shredder_hopper() -> Tris:
    """Hopper: a 2 mm steel funnel, 420×320 mm at the top, 200×80 mm throat, 300 mm high."""

    def rect(w: float, h: float, z: float) -> np.ndarray:
        return np.array(
            [(-w / 2, -h / 2, z), (w / 2, -h / 2, z), (w / 2, h / 2, z), (-w / 2, h / 2, z)]
        )

    shell = _solid(
        np.array(
            loft(
                [rect(200, 80, 0), rect(420, 320, 300), rect(416, 316, 300), rect(196, 76, 0)],
                closed=True,
            )
        )
    )
    flange = ring(rect_square(460, 360), rect_square(420, 320), 300, 304)
    return join(shell, flange)


def rect_square(w: float, h: float) -> list[Point]:
    return [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]


def shredder_assembly() -> Tris:
    """Blade stack (12 blades, 8 mm spacers) on its shaft and the hopper: for the picture."""
    parts = []
    for k in range(12):
        x = -110 + k * 20
        parts.append(place(shredder_blade(), rot_z(30 * k) @ rot_y(90), (x, 0, 0)))
        parts.append(place(prism(circle(45, 32), 0, 8), rot_y(90), (x + 6, 0, 0)))
    parts.append(place(prism(circle(17, 6), -200, 200), rot_y(90)))
    parts.append(place(shredder_hopper(), None, (0, 0, 90)))
    parts.append(box(-170, -110, -80, -150, 110, 90))
    parts.append(box(150, -110, -80, 170, 110, 90))
    return join(*parts)


CONNECTOR_W, CONNECTOR_L, CONNECTOR_T, HOLE_D = 40.0, 70.0, 6.0, 8.5


def connector(holes: bool = True) -> Tris:
    """Corner connector for 45 mm timber: two 40×70×6 mm flanges at 90°, two Ø8.5 holes each
    (for M8 bolts), two gussets. Printed lying on the outer face of a flange. Without
    ``holes`` (in the bench, where they do not show) it weighs 50 triangles instead of 1,500."""
    w, length, t = CONNECTOR_W, CONNECTOR_L, CONNECTOR_T
    half = (length - t) / 2
    hole = (
        plate_with_hole(w, half, HOLE_D / 2, t)
        if holes
        else box(-w / 2, -half / 2, 0, w / 2, half / 2, t)
    )
    parts = [box(0, 0, 0, w, t, t)]
    for k in range(2):
        y0 = t + k * half
        parts.append(place(hole, None, (w / 2, y0 + half / 2, 0)))  # horizontal flange
        parts.append(place(hole, rot_x(90), (w / 2, t, y0 + half / 2)))  # vertical flange
    gusset = prism([(t, t), (t + 40, t), (t, t + 40)], 0, 4)  # triangle in YZ, along X
    to_yz = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]])  # outline x,y -> y,z; extrusion -> x
    parts += [place(gusset, to_yz, (x, 0, 0)) for x in (0, w - 4)]
    return join(*parts)


BENCH_LENGTH, BENCH_DEPTH, BENCH_HEIGHT = 1800, 420, 450


def bench() -> Tris:
    """Bench 1800×420×450 mm: two leg frames (45×95 timber), four seat slats, a plywood stretcher,
    eight printed connectors at the leg/rail corners."""
    parts = []
    for slat in range(4):
        y0 = slat * (95 + 13.3)
        parts.append(box(0, y0, 405, BENCH_LENGTH, y0 + 95, 450))
    c = connector(holes=False)
    for fx in (150, BENCH_LENGTH - 150 - 45):
        parts += [box(fx, 0, 0, fx + 45, 95, 310), box(fx, 325, 0, fx + 45, 420, 310)]
        parts.append(box(fx, 0, 310, fx + 45, 420, 405))
        x_mid = fx + 45 / 2 + CONNECTOR_W / 2
        parts.append(place(c, rot_y(180), (x_mid, 95, 310)))
        parts.append(place(c, rot_x(180), (x_mid - CONNECTOR_W, 325, 310)))
    parts.append(box(195, 201, 60, BENCH_LENGTH - 195, 219, 260))
    return join(*parts)


# ---------------------------------------------------------------- rendering (PNG)


FONT_FILES = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (fonts-dejavu-core) for its accents and ×, Ø; Pillow's own font lacks them."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    print("warning: DejaVu Sans not found, accents will be missing from the pictures")
    return ImageFont.load_default(size=size)


class View:
    """An orthographic view from azimuth/elevation, fitted to a set of points."""

    def __init__(self, azim: float, elev: float) -> None:
        az, el = math.radians(azim), math.radians(elev)
        self.d = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        self.right = np.array([-math.sin(az), math.cos(az), 0.0])
        self.up = np.cross(self.d, self.right)
        self.scale, self.ox, self.oy = 1.0, 0.0, 0.0

    def fit(self, points: np.ndarray, box_px: tuple[int, int, int, int]) -> None:
        x, y = points @ self.right, points @ self.up
        left, top, right, bottom = box_px
        self.scale = min((right - left) / np.ptp(x), (bottom - top) / np.ptp(y))
        self.ox = (left + right) / 2 - self.scale * (x.min() + x.max()) / 2
        self.oy = (top + bottom) / 2 + self.scale * (y.min() + y.max()) / 2

    def project(self, p: np.ndarray) -> np.ndarray:
        return np.stack(
            [self.ox + self.scale * (p @ self.right), self.oy - self.scale * (p @ self.up)], axis=-1
        )


def rasterise(
    parts: Sequence[tuple[Tris, RGB]], view: View, w: int, h: int
) -> tuple[np.ndarray, np.ndarray]:
    """Z-buffer rendering (the painter's algorithm fails on long walls): colour and depth."""
    colour = np.zeros((h, w, 3), dtype=float)
    depth = np.full((h, w), -np.inf)
    light = view.d * 0.45 + view.up * 0.75 - view.right * 0.35
    light /= np.linalg.norm(light)
    for tris, rgb in parts:
        normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        length = np.linalg.norm(normals, axis=1)
        keep = length > 1e-9
        tris, normals = tris[keep], normals[keep] / length[keep][:, None]
        facing = normals @ view.d
        shade = 0.40 + 0.60 * np.clip(np.abs(normals @ light), 0, 1)
        screen = view.project(tris)
        z = tris @ view.d
        for t in np.flatnonzero(np.abs(facing) > 1e-6):
            _fill(screen[t], z[t], np.array(rgb) * shade[t], colour, depth)
    return colour, depth


def _fill(
    p: np.ndarray, z: np.ndarray, rgb: np.ndarray, colour: np.ndarray, depth: np.ndarray
) -> None:
    h, w = depth.shape
    x0, y0 = np.floor(p.min(axis=0)).astype(int)
    x1, y1 = np.ceil(p.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w - 1), min(y1, h - 1)
    if x1 < x0 or y1 < y0:
        return
    ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1] + 0.5
    (ax, ay), (bx, by), (cx, cy) = p
    area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    if abs(area) < 1e-9:
        return
    w0 = ((bx - xs) * (cy - ys) - (cx - xs) * (by - ys)) / area
    w1 = ((cx - xs) * (ay - ys) - (ax - xs) * (cy - ys)) / area
    w2 = 1 - w0 - w1
    inside = (w0 >= -1e-6) & (w1 >= -1e-6) & (w2 >= -1e-6)
    zz = w0 * z[0] + w1 * z[1] + w2 * z[2]
    region = depth[y0 : y1 + 1, x0 : x1 + 1]
    closer = inside & (zz > region)
    region[closer] = zz[closer]
    colour[y0 : y1 + 1, x0 : x1 + 1][closer] = rgb


def _edges(colour: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Dark lines where the shade or the depth jumps: the look of a technical illustration."""
    lum = colour.mean(axis=2)
    finite = np.isfinite(depth)
    d = np.where(finite, depth, depth[finite].min() - 1e4 if finite.any() else 0)
    edge = np.zeros(lum.shape, dtype=bool)
    for axis in (0, 1):
        dl = np.abs(np.diff(lum, axis=axis)) > 14
        dd = np.abs(np.diff(d, axis=axis)) > 25
        jump = dl | dd
        if axis == 0:
            edge[1:, :] |= jump
        else:
            edge[:, 1:] |= jump
    return edge


def render(
    parts: Sequence[tuple[Tris, RGB]],
    *,
    title: str,
    subtitle: str,
    labels: Sequence[tuple[Sequence[float], str, tuple[int, int]]] = (),
    size: tuple[int, int] = (960, 640),
    azim: float = -50,
    elev: float = 28,
) -> Image.Image:
    """Shaded drawing of the parts with outlines, a title and callouts (leader lines)."""
    ss = 2  # supersampling, for smooth edges after the downscale
    w, h = size[0] * ss, size[1] * ss
    view = View(azim, elev)
    allpts = np.concatenate([t.reshape(-1, 3) for t, _ in parts])
    view.fit(allpts, (70 * ss, 120 * ss, w - 70 * ss, h - 50 * ss))
    colour, depth = rasterise(parts, view, w, h)
    background = np.array([250, 250, 247], dtype=float)
    pixels = np.where(np.isfinite(depth)[..., None], colour, background)
    pixels[_edges(pixels, depth)] = (45, 45, 45)
    img = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    img = img.resize(size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(img)
    view.scale, view.ox, view.oy = view.scale / ss, view.ox / ss, view.oy / ss
    for point, text, (dx, dy) in labels:
        px, py = view.project(np.array(point, dtype=float))
        tx, ty = px + dx, py + dy
        anchor = "lm" if dx >= 0 else "rm"
        draw.line([(px, py), (tx, ty)], fill=(40, 40, 40), width=1)
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=(40, 40, 40))
        bbox = draw.textbbox((tx, ty), text, font=font(15), anchor=anchor)
        draw.rectangle(
            [bbox[0] - 4, bbox[1] - 3, bbox[2] + 4, bbox[3] + 3],
            fill=(255, 255, 255),
            outline=(40, 40, 40),
        )
        draw.text((tx, ty), text, fill=(20, 20, 20), font=font(15), anchor=anchor)
    header(draw, size, title, subtitle)
    return img


def header(draw: ImageDraw.ImageDraw, size: tuple[int, int], title: str, subtitle: str) -> None:
    draw.text((24, 20), title, fill=(20, 20, 20), font=font(30))
    draw.text((24, 60), subtitle, fill=(90, 90, 90), font=font(17))
    draw.text(
        (size[0] - 16, size[1] - 14),
        "ReProduce Brussels · données de démonstration",
        fill=(140, 140, 140),
        font=font(13),
        anchor="rs",
    )


def save_png(path: Path, img: Image.Image, colours: int = 96) -> None:
    """Palette PNG without metadata: small and byte-for-byte reproducible."""
    img.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, format="PNG", optimize=True
    )


# ---------------------------------------------------------------- DXF and SVG

ezdxf.options.write_fixed_meta_data_for_testing = True  # no creation date, no random GUIDs

CUT, MARK, TEXT = "DECOUPE", "MARQUAGE", "TEXTE"


def new_dxf() -> tuple[Drawing, Modelspace]:
    doc = ezdxf.new("R2010", setup=False, units=4)  # 4 = millimetres
    doc.layers.add(CUT, color=1)
    doc.layers.add(MARK, color=5)
    doc.layers.add(TEXT, color=7)
    return doc, doc.modelspace()


def save_dxf(doc: Drawing, path: Path) -> None:
    stream = io.StringIO()
    doc.write(stream)
    path.write_bytes(stream.getvalue().encode("utf-8"))


class Sheet:
    """Parts placed on a DXF model space and mirrored into an SVG, in millimetres."""

    def __init__(self, width: float, height: float, title: str) -> None:
        self.doc, self.msp = new_dxf()
        self.width, self.height, self.title = width, height, title
        self.svg: list[str] = []

    def _y(self, y: float) -> float:
        return self.height - y  # SVG's y grows downwards

    def outline(self, pts: Sequence[Point], layer: str = CUT) -> None:
        self.msp.add_lwpolyline(pts, close=True, dxfattribs={"layer": layer})
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.2f},{self._y(y):.2f}" for i, (x, y) in enumerate(pts)
        )
        self.svg.append(f'<path class="{layer.lower()}" d="{d} Z"/>')

    def hole(self, x: float, y: float, d: float, layer: str = CUT) -> None:
        self.msp.add_circle((x, y), d / 2, dxfattribs={"layer": layer})
        self.svg.append(
            f'<circle class="{layer.lower()}" cx="{x:.2f}" cy="{self._y(y):.2f}" r="{d / 2:.2f}"/>'
        )

    def line(self, a: Point, b: Point, layer: str = MARK) -> None:
        self.msp.add_line(a, b, dxfattribs={"layer": layer})
        self.svg.append(
            f'<line class="{layer.lower()}" x1="{a[0]:.2f}" y1="{self._y(a[1]):.2f}" '
            f'x2="{b[0]:.2f}" y2="{self._y(b[1]):.2f}"/>'
        )

    def text(self, x: float, y: float, s: str, height: float = 8) -> None:
        self.msp.add_text(s, height=height, dxfattribs={"layer": TEXT, "insert": (x, y)})
        esc = s.replace("&", "&amp;").replace("<", "&lt;")
        self.svg.append(
            f'<text x="{x:.2f}" y="{self._y(y):.2f}" font-size="{height:.1f}">{esc}</text>'
        )

    def rect(self, x: float, y: float, w: float, h: float, layer: str = CUT) -> None:
        self.outline([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], layer)

    def slot(self, cx: float, cy: float, length: float, width: float) -> None:
        """A round-ended slot along X (approximated with 8 segments per end)."""
        r, half = width / 2, (length - width) / 2
        pts = [
            (cx + half + r * math.cos(a), cy + r * math.sin(a))
            for a in np.linspace(-math.pi / 2, math.pi / 2, 9)
        ]
        pts += [
            (cx - half + r * math.cos(a), cy + r * math.sin(a))
            for a in np.linspace(math.pi / 2, 3 * math.pi / 2, 9)
        ]
        self.outline(pts)

    def save(self, dxf_path: Path | None, svg_path: Path | None = None) -> None:
        if dxf_path is not None:
            save_dxf(self.doc, dxf_path)
        if svg_path is not None:
            body = "\n  ".join(self.svg)
            svg_path.write_text(
                f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<svg xmlns="http://www.w3.org/2000/svg" '
                f'width="{self.width:g}mm" height="{self.height:g}mm" '
                f'viewBox="0 0 {self.width:g} {self.height:g}">\n'
                f"  <title>{self.title}</title>\n"
                "  <style>path,circle,line{fill:none;stroke-width:0.1}"
                ".decoupe{stroke:#ff0000}.marquage{stroke:#0000ff}"
                "text{font-family:sans-serif;fill:#000}</style>\n"
                f"  {body}\n</svg>\n",
                encoding="utf-8",
            )


# ---------------------------------------------------------------- source archives


def write_zip(path: Path, files: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    path.write_bytes(buffer.getvalue())


# ---------------------------------------------------------------- the designs

GREY: RGB = (178, 182, 188)
STEEL: RGB = (150, 160, 172)
PLY: RGB = (214, 178, 122)
TIMBER: RGB = (188, 146, 96)
PETG: RGB = (70, 150, 140)


def make_hollander(d: Path) -> None:
    tub, bed8, bed12 = hollander_tub(), hollander_bedplate(8, False), hollander_bedplate(12, True)
    write_stl(d / "cuve.stl", tub, "cuve pile hollandaise 1200x600x350")
    write_stl(d / "cylindre-batteur.stl", hollander_roll(24), "cylindre batteur 24 lames")
    write_stl(d / "cylindre-batteur-v1.1.stl", hollander_roll(30), "cylindre batteur 30 lames")
    write_stl(d / "platine.stl", bed8, "platine 250x110x8")
    write_stl(d / "platine-v1.1.stl", bed12, "platine renforcee 250x110x12")
    save_png(d / "vue-ensemble.png", hollander_picture("1.0", bars=24, bed=bed8, bed_t=8))
    save_png(d / "vue-ensemble-v1.1.png", hollander_picture("1.1", bars=30, bed=bed12, bed_t=12))
    save_png(d / "reglage-entrefer.png", gap_diagram())
    hollander_dxf(d)
    write_zip(
        d / "sources-openscad.zip",
        {
            "LISEZMOI.txt": (
                "Pile hollandaise ReProduce - sources OpenSCAD (CERN-OHL-S-2.0, Mekanika).\n"
                "cuve.scad : cuve en couches de contreplaqué ; cylindre.scad : cylindre batteur.\n"
                "Unités : mm. Exporter en STL avec OpenSCAD 2021.01 ou plus récent.\n"
            ),
            "cuve.scad": SCAD_TUB,
            "cylindre.scad": SCAD_ROLL,
        },
    )


def hollander_picture(number: str, *, bars: int, bed: Tris, bed_t: float) -> Image.Image:
    roll_z = 30 + bed_t + 6 + 112 + 1  # bars clear the bedplate's bars by 1 mm
    stand = [
        box(-450, -300, -420, -432, 300, 0),
        box(432, -300, -420, 450, 300, 0),
        box(-432, -20, -300, 432, 20, -200),
    ]
    parts = [
        (hollander_tub(), (226, 226, 222)),
        (place(bed, rot_z(90), (0, 145, 30)), STEEL),
        (place(hollander_roll(bars), rot_z(90), (0, 145, roll_z)), STEEL),
        (place(prism(circle(60, 32), 0, 25), rot_x(-90), (0, 390, roll_z)), (90, 90, 90)),
        (join(*stand), PLY),
        (box(-300, 330, -60, -140, 450, 60), (90, 110, 130)),  # motor on its bracket
        (box(-320, 310, -80, -120, 470, -60), STEEL),
    ]
    return render(
        parts,
        title=f"Pile hollandaise (Hollander beater) {number}",
        subtitle=f"Cuve 1200 × 600 × 350 mm · cylindre Ø200 × 200 mm, {bars} lames · "
        f"platine {bed_t:g} mm · moteur 1,1 kW",
        labels=[
            ((0, 145, roll_z + 112), f"Cylindre batteur ({bars} lames)", (230, -90)),
            ((120, 145, 225), "Dosseret (backfall)", (-250, 70)),
            ((-200, 0, 350), "Îlot central (midfeather)", (-230, -40)),
            ((600, 0, 250), "Cuve : contreplaqué + époxy", (-20, 150)),
            ((-220, 450, 0), "Moteur 1,1 kW", (110, 60)),
            ((441, 250, -250), "Flancs du bâti (CNC)", (60, 60)),
        ],
        azim=50,
        elev=36,
    )


SCAD_TUB = """// Cuve de pile hollandaise : couches de contreplaqué 18 mm empilées
longueur_droite = 600; rayon = 300; paroi = 30; hauteur = 350; fond = 30;
ilot = [600, 40];
module stade(l, r) { hull() { translate([ l/2, 0]) circle(r); translate([-l/2, 0]) circle(r); } }
difference() {
  linear_extrude(hauteur) stade(longueur_droite, rayon);
  translate([0, 0, fond]) linear_extrude(hauteur) difference() {
    stade(longueur_droite, rayon - paroi);
    square(ilot, center = true);
  }
}
"""

SCAD_ROLL = """// Cylindre batteur : moyeu Ø200, lames inox 5 × 17 mm
lames = 30; diametre = 200; largeur = 200; arbre = 30;
rotate([0, 90, 0]) {
  cylinder(d = diametre, h = largeur, center = true);
  cylinder(d = arbre, h = 520, center = true);
  for (i = [0 : lames - 1]) rotate([0, 0, i * 360 / lames])
    translate([diametre / 2 - 5, -2.5, -largeur / 2]) cube([17, 5, largeur]);
}
"""


def gap_diagram() -> Image.Image:
    """SOP picture: setting the gap between the roll's bars and the bedplate with a feeler gauge."""
    size = (900, 600)
    img = Image.new("RGB", size, (250, 250, 247))
    draw = ImageDraw.Draw(img)
    cx, cy, r = 430, 300, 170
    draw.ellipse(
        [cx - r, cy - r, cx + r, cy + r], fill=(200, 205, 212), outline=(60, 60, 60), width=2
    )
    for k in range(30):
        a = 2 * math.pi * k / 30
        x0, y0 = cx + (r - 8) * math.cos(a), cy + (r - 8) * math.sin(a)
        x1, y1 = cx + (r + 22) * math.cos(a), cy + (r + 22) * math.sin(a)
        draw.line([(x0, y0), (x1, y1)], fill=(90, 100, 115), width=7)
    draw.ellipse([cx - 22, cy - 22, cx + 22, cy + 22], fill=(120, 120, 120))
    plate_top = cy + r + 22 + 10
    draw.rectangle(
        [cx - 180, plate_top, cx + 180, plate_top + 40], fill=(150, 160, 172), outline=(60, 60, 60)
    )
    for k in range(7):
        x = cx - 150 + 50 * k
        draw.rectangle([x - 3, plate_top - 8, x + 3, plate_top], fill=(90, 100, 115))
    draw.polygon(
        [(cx + 40, plate_top - 5), (cx + 330, plate_top - 9), (cx + 330, plate_top - 3)],
        fill=(200, 140, 40),
    )
    draw.text(
        (cx + 330, plate_top + 62),
        "cale d'épaisseur 0,3 mm",
        fill=(20, 20, 20),
        font=font(18),
        anchor="rm",
    )
    draw.line([(cx - 250, plate_top - 10), (cx - 250, plate_top - 70)], fill=(200, 40, 40), width=3)
    draw.polygon(
        [(cx - 258, plate_top - 60), (cx - 242, plate_top - 60), (cx - 250, plate_top - 76)],
        fill=(200, 40, 40),
    )
    draw.text(
        (cx - 262, plate_top - 95),
        "vis de levage M12",
        fill=(20, 20, 20),
        font=font(18),
        anchor="rm",
    )
    draw.text(
        (cx - 262, plate_top - 70),
        "(¼ tour = 0,44 mm)",
        fill=(90, 90, 90),
        font=font(16),
        anchor="rm",
    )
    header(
        draw,
        size,
        "Réglage de l'entrefer cylindre / platine",
        "Cylindre à l'arrêt, cuve vide : la cale 0,3 mm doit passer en frottant légèrement "
        "sous chaque lame.",
    )
    return img


def hollander_dxf(d: Path) -> None:
    s = Sheet(2500, 1250, "Pile hollandaise - flancs et couches de cuve, contreplaqué 18 mm")
    s.text(
        20,
        1220,
        "Contreplaqué bouleau 18 mm (réemploi accepté) - fraise Ø6 - ne pas mettre à l'échelle",
        14,
    )
    for k, x0 in enumerate((20, 660)):
        # Side panel of the stand, 600 × 420 mm, with a handle and two stretcher mortises.
        s.outline(
            [
                (x0, 20),
                (x0 + 600, 20),
                (x0 + 600, 440),
                (x0 + 420, 440),
                (x0 + 400, 420),
                (x0 + 200, 420),
                (x0 + 180, 440),
                (x0, 440),
            ]
        )
        s.slot(x0 + 300, 360, 120, 35)
        s.rect(x0 + 291, 60, 18.5, 100)
        s.rect(x0 + 80, 120, 18.5, 100)
        s.rect(x0 + 501.5, 120, 18.5, 100)
        for hx in (x0 + 60, x0 + 540):
            s.hole(hx, 400, 8.5)
        s.text(x0 + 20, 30, f"FLANC {k + 1}/2", 12)
    for k, y0 in enumerate((480, 520)):
        s.rect(20, y0, 864, 40)
        s.text(30, y0 + 14, f"TRAVERSE {k + 1}/2 - 864 x 40", 10)
    # One layer of the tub: the race-track ring (18 layers needed) and the floor.
    s.outline([(1880 + x, 320 + y) for x, y in stadium(600, 300)])
    s.outline([(1880 + x, 320 + y) for x, y in stadium(600, 270)])
    s.text(1760, 320, "COUCHE DE CUVE x18", 14)
    floor = [(1880 + x, 950 + y) for x, y in stadium(600, 300)]
    s.outline(floor)
    s.rect(1580, 930, 600, 40, MARK)
    s.text(1760, 880, "FOND x2 (collés) - position de l'îlot", 14)
    s.save(d / "flancs-et-cuve-contreplaque-18mm.dxf")

    p = Sheet(1000, 500, "Pile hollandaise - platines acier S235, 8 et 12 mm")
    p.text(10, 480, "Acier S235 - découpe plasma - platines de paliers 8 mm, platine 12 mm", 10)
    for k, x0 in enumerate((20, 260)):
        p.rect(x0, 280, 200, 80)
        p.slot(x0 + 40, 320, 30, 13)
        p.slot(x0 + 160, 320, 30, 13)
        p.text(x0 + 5, 265, f"PLATINE DE PALIER {k + 1}/2 (8 mm)", 8)
    p.rect(20, 40, 250, 110)
    for k in range(4):
        p.hole(40 + k * 70, 60, 10.5)
        p.hole(40 + k * 70, 130, 10.5)
    p.text(20, 20, "PLATINE (BEDPLATE) 250 x 110 x 12 - lames soudées ensuite", 8)
    p.save(d / "platines-acier.dxf")


def make_shredder(d: Path) -> None:
    write_stl(d / "lame.stl", shredder_blade(), "lame broyeur textile D150 e6 hexagone 30")
    write_stl(d / "tremie.stl", shredder_hopper(), "tremie 420x320 hauteur 300")
    img = render(
        [(shredder_assembly(), STEEL)],
        title="Broyeuse textile à lames rotatives 1.0",
        subtitle="12 lames Hardox Ø150 × 6 mm sur arbre hexagonal 30 mm · "
        "moteur-réducteur 2,2 kW, 30 tr/min",
        labels=[
            ((0, 0, 395), "Trémie acier 2 mm", (120, -60)),
            ((-110, 0, 75), "Lames à 3 crochets (découpe laser)", (-80, 90)),
            ((170, 0, -80), "Flasques porte-paliers", (100, -60)),
        ],
        azim=-60,
        elev=22,
    )
    save_png(d / "vue-ensemble.png", img)
    s = Sheet(400, 220, "Broyeuse textile - lame et entretoise")
    s.text(10, 205, "Lame : Hardox 450, 6 mm - entretoise : S235, 8 mm - bavures < 0,1 mm", 6)
    angles, radii = [], []
    for tooth in range(3):
        start = tooth * 2 * math.pi / 3
        for i in range(24):
            angles.append(start + (2 * math.pi / 3 - 0.06) * i / 23)
            radii.append(58 + 17 * (i / 23) ** 1.6)
        angles.append(start + 2 * math.pi / 3 - 0.03)
        radii.append(58)
    s.outline(
        [(100 + r * math.cos(a), 100 + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]
    )
    s.outline(
        [
            (
                100 + 15 / math.cos(math.pi / 6) * math.cos(a),
                100 + 15 / math.cos(math.pi / 6) * math.sin(a),
            )
            for a in (math.pi / 3 * k for k in range(6))
        ]
    )
    s.text(60, 10, "LAME x12", 8)
    s.outline(
        [
            (290 + 45 * math.cos(a), 100 + 45 * math.sin(a))
            for a in np.linspace(0, 2 * math.pi, 73)[:-1]
        ]
    )
    s.outline(
        [
            (
                290 + 15 / math.cos(math.pi / 6) * math.cos(a),
                100 + 15 / math.cos(math.pi / 6) * math.sin(a),
            )
            for a in (math.pi / 3 * k for k in range(6))
        ]
    )
    s.text(255, 10, "ENTRETOISE x11", 8)
    s.save(d / "lame-et-entretoise.dxf")


def make_tote(d: Path) -> None:
    s = Sheet(1060, 610, "Tote bag BruCycle - patrons denim (découpe laser)")
    s.text(
        10,
        596,
        "Denim post-consommation, jambes ouvertes à plat - marge de couture 10 mm incluse",
        9,
    )

    def panel(x: float, y: float, name: str) -> None:
        s.rect(x, y, 380, 420)
        s.line((x + 190, y), (x + 190, y + 6))
        s.line((x + 190, y + 420), (x + 190, y + 414))
        for hx in (x + 120, x + 260):
            s.hole(hx, y + 390, 5.2)
            s.hole(hx, y + 370, 5.2)
        s.line((x + 40, y + 60), (x + 40, y + 300))  # grain line
        s.text(x + 50, y + 200, name, 12)

    panel(10, 160, "A - DEVANT")
    panel(400, 160, "A - DOS")
    for k, x in enumerate((790, 920)):  # 120 wide: a 100 mm gusset once sewn
        s.rect(x, 180, 120, 400)
        s.line((x + 60, 180), (x + 60, 186))
        s.text(x + 8, 380, f"B{k + 1} SOUFFLET", 9)
    s.rect(10, 30, 380, 120)
    s.text(20, 85, "C - FOND (120 x 380)", 10)
    for k, y in enumerate((20, 80)):
        s.rect(400, y + 10, 560, 50)
        s.text(420, y + 30, f"D{k + 1} ANSE 560 x 50 (pliée en 2)", 9)
        for hx in (415, 945):
            s.hole(hx, y + 35, 5.2)
    s.save(d / "patrons-denim.dxf", d / "patrons-denim.svg")

    b = Sheet(800, 460, "Tote bag BruCycle - gabarit doublure en bâche (à découper au cutter)")
    b.text(
        10,
        445,
        "Bâche PVC : NE PAS découper au laser (chlore). "
        "Imprimer à 100 %, découper au cutter rotatif.",
        9,
    )
    b.rect(10, 10, 360, 400)
    b.text(30, 200, "E - DOUBLURE x2", 14)
    b.rect(400, 10, 200, 180)
    b.text(420, 100, "F - POCHE x1", 12)
    b.line((410, 170), (590, 170))
    b.save(d / "gabarit-doublure-bache.dxf", d / "gabarit-doublure-bache.svg")

    write_zip(
        d / "sources-inkscape.zip",
        {
            "LISEZMOI.txt": (
                "Tote bag BruCycle - patrons sources "
                "(Inkscape 1.x, CC-BY-SA-4.0, Atelier BruCycle).\n"
                "Unités : mm. Calques : DECOUPE (rouge), MARQUAGE (bleu), TEXTE.\n"
                "Exporter en DXF R14 pour la découpe laser (Fichier > Enregistrer une copie).\n"
            ),
            "patrons-denim.svg": (d / "patrons-denim.svg").read_text(encoding="utf-8"),
            "gabarit-doublure-bache.svg": (d / "gabarit-doublure-bache.svg").read_text(
                encoding="utf-8"
            ),
        },
    )
    save_png(d / "illustration.png", tote_picture())
    save_png(d / "placement-patrons.png", tote_layout_picture())


def _stitch(draw: ImageDraw.ImageDraw, pts: Sequence[Point], colour: RGB = (236, 196, 90)) -> None:
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / 12))
        for i in range(n):
            a, b = i / n, (i + 0.55) / n
            draw.line(
                [
                    (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                    (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                ],
                fill=colour,
                width=2,
            )


def tote_picture() -> Image.Image:
    size = (960, 640)
    img = Image.new("RGB", size, (250, 250, 247))
    draw = ImageDraw.Draw(img)
    denim, dark, back = (64, 92, 140), (44, 64, 104), (36, 52, 86)
    top, bottom, left, right = 300, 600, 330, 630
    draw.arc([405, 130, 605, 420], 180, 360, fill=back, width=22)  # back strap, behind
    draw.polygon(
        [(right, top), (right + 60, top - 14), (right + 78, bottom - 22), (right + 18, bottom)],
        fill=(52, 78, 122),
    )  # gusset
    draw.polygon([(left, top), (right, top), (right + 18, bottom), (left - 18, bottom)], fill=denim)
    draw.polygon(
        [(left, top), (right, top), (right - 2, top + 16), (left + 2, top + 16)], fill=(210, 80, 60)
    )
    draw.arc([375, 140, 585, 430], 180, 360, fill=dark, width=24)  # front strap
    _stitch(draw, [(left + 8, top + 28), (right - 8, top + 28)])
    _stitch(draw, [(left - 8, 460), (right + 8, 460)])
    for x in (380, 580):
        for y in (top + 30, top + 50):
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=(190, 160, 90), outline=(120, 90, 40))
    draw.rectangle([560, 552, 612, 578], fill=(240, 236, 220), outline=(120, 120, 120))
    notes = [
        ((right + 40, 380), "Soufflet 100 mm", (720, 300)),
        ((480, top + 8), "Doublure : bâche récupérée", (720, 200)),
        ((586, 565), "Étiquette : lot, réparation", (720, 560)),
        ((380, top + 50), "Rivets démontables (vis Chicago)", (290, 250)),
        ((400, 420), "Denim post-consommation", (290, 420)),
        ((480, 160), "Anse double épaisseur", (290, 150)),
    ]
    for (px, py), text, (tx, ty) in notes:
        draw.line([(px, py), (tx, ty)], fill=(40, 40, 40))
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=(40, 40, 40))
        anchor = "lm" if tx > px else "rm"
        x = tx + (6 if anchor == "lm" else -6)
        draw.text((x, ty), text, fill=(20, 20, 20), font=font(16), anchor=anchor)
    header(
        draw,
        size,
        "Tote bag BruCycle",
        "Jeans post-consommation (Les Petits Riens) et bâches récupérées · séries de 20 à 50",
    )
    return img


def tote_layout_picture() -> Image.Image:
    """SOP picture: laying the pattern pieces on an opened jeans leg before laser cutting."""
    size = (900, 600)
    img = Image.new("RGB", size, (250, 250, 247))
    draw = ImageDraw.Draw(img)
    leg = [(80, 150), (820, 120), (840, 470), (80, 500)]
    draw.polygon(leg, fill=(70, 100, 150))
    draw.line([(80, 478), (838, 452)], fill=(236, 196, 90), width=3)  # outseam
    draw.rectangle([110, 170, 110 + 2 * 190, 170 + 2 * 78], outline=(255, 255, 255), width=3)
    draw.text((130, 200), "A (380 × 420)", fill=(255, 255, 255), font=font(20))
    draw.rectangle([520, 160, 520 + 200, 160 + 50], outline=(255, 255, 255), width=3)
    draw.text((530, 172), "B1 soufflet", fill=(255, 255, 255), font=font(18))
    draw.rectangle([520, 230, 520 + 200, 230 + 50], outline=(255, 255, 255), width=3)
    draw.text((530, 242), "B2 soufflet", fill=(255, 255, 255), font=font(18))
    draw.line([(130, 360), (480, 360)], fill=(255, 230, 120), width=2)
    draw.polygon([(480, 352), (480, 368), (496, 360)], fill=(255, 230, 120))
    draw.text((130, 372), "droit-fil le long de la jambe", fill=(255, 230, 120), font=font(18))
    draw.text(
        (450, 540),
        "Éviter coutures, usures et taches : marquer les défauts à la craie avant de placer.",
        fill=(60, 60, 60),
        font=font(17),
        anchor="mm",
    )
    header(
        draw,
        size,
        "Placement des patrons sur une jambe de jean",
        "Jambe ouverte à la couture intérieure, posée à plat, endroit dessus",
    )
    return img


def make_bench(d: Path) -> None:
    write_stl(d / "banc-assemble.stl", bench(), "banc MobiFab 1800x420x450")
    img = render(
        [(bench(), TIMBER)],
        title="Banc modulaire MobiFab 1.0",
        subtitle="1800 × 420 × 450 mm · bois de charpente de réemploi 45 × 95 · "
        "8 connecteurs rPETG",
        labels=[
            ((900, 210, 450), "4 lattes 1800 × 95 × 45", (60, -90)),
            ((150, 95, 300), "Connecteur d'angle imprimé (rPETG)", (10, 230)),
            ((900, 210, 260), "Entretoise contreplaqué réemploi 18 mm", (120, 110)),
            ((1605, 420, 150), "Cadre de pieds 45 × 95", (-30, 110)),
        ],
        azim=-62,
        elev=24,
    )
    save_png(d / "vue-ensemble.png", img)
    s = Sheet(2500, 1250, "Banc MobiFab - pièces CNC")
    s.text(
        20,
        1225,
        "Bois de charpente de réemploi 45 mm (dédoublé, raboté) et contreplaqué 18 mm - fraise Ø8",
        14,
    )
    for k in range(4):
        y = 40 + k * 120
        s.outline([(20, y), (1820, y), (1820, y + 95), (20, y + 95)])
        for hx in (20 + 172.5, 1820 - 172.5):
            s.hole(hx, y + 25, 6)
            s.hole(hx, y + 70, 6)
        s.text(40, y + 40, f"LATTE {k + 1}/4 - 1800 x 95", 12)
    for k in range(4):
        x = 20 + k * 130
        s.rect(x, 560, 95, 310)
        s.line((x, 560 + 310 - 22), (x + 95, 560 + 310 - 22))  # side holes: drilled with the jig
        s.line((x, 560 + 310 - 54), (x + 95, 560 + 310 - 54))
        s.text(x + 5, 540, f"PIED {k + 1}/4", 10)
    for k in range(2):
        y = 920 + k * 130
        s.rect(600, y, 420, 95)
        for mx in (95 + 22, 95 + 54, 420 - 95 - 22, 420 - 95 - 54):
            s.line((600 + mx, y), (600 + mx, y + 95))
        s.text(610, y + 100, f"TRAVERSE {k + 1}/2 - 420 x 95", 10)
    s.text(20, 500, "Traits bleus : axes des perçages latéraux Ø8,5 (au gabarit G-03, op. 3)", 12)
    s.rect(1100, 700, 1400, 200)
    s.rect(1120, 760, 18.5, 80, MARK)
    s.text(1120, 680, "ENTRETOISE contreplaqué 18 mm - 1400 x 200", 12)
    s.save(d / "pieces-cnc.dxf")
    write_zip(
        d / "sources-openscad.zip",
        {
            "LISEZMOI.txt": "Banc modulaire MobiFab - sources OpenSCAD (CERN-OHL-W-2.0). "
            "Unités : mm.\n",
            "banc.scad": SCAD_BENCH,
        },
    )


SCAD_BENCH = """// Banc modulaire MobiFab : lattes et cadres 45 × 95, connecteurs imprimés
longueur = 1800; profondeur = 420; hauteur = 450; section = [45, 95];
for (i = [0 : 3]) translate([0, i * (95 + 13.3), hauteur - 45]) cube([longueur, 95, 45]);
for (x = [150, longueur - 195]) translate([x, 0, 0]) {
  cube([45, 95, 310]); translate([0, profondeur - 95, 0]) cube([45, 95, 310]);
  translate([0, 0, 310]) cube([45, profondeur, 95]);
}
translate([195, 201, 60]) cube([longueur - 390, 18, 200]);
"""

SCAD_CONNECTOR = """// Connecteur d'angle MobiFab (rPETG) pour bois de 45 mm, boulons M8
largeur = 40; longueur = 70; epaisseur = 6; trou = 8.5; gousset = 40;
module aile() difference() {
  cube([largeur, longueur, epaisseur]);
  for (y = [epaisseur + (longueur - epaisseur) / 4, epaisseur + 3 * (longueur - epaisseur) / 4])
    translate([largeur / 2, y, -1]) cylinder(d = trou, h = epaisseur + 2, $fn = 40);
}
aile();
translate([0, epaisseur, 0]) rotate([90, 0, 0]) aile();
for (x = [0, largeur - 4]) translate([x, epaisseur, epaisseur]) rotate([90, 0, 90])
  linear_extrude(4) polygon([[0, 0], [gousset, 0], [0, gousset]]);
"""


def make_connector(d: Path) -> None:
    c = connector()
    write_stl(d / "connecteur-angle.stl", c, "connecteur angle MobiFab 40x70x70 rPETG")
    img = render(
        [(c, PETG)],
        title="Connecteur d'angle MobiFab 1.0",
        subtitle="rPETG imprimé FDM · ailes 40 × 70 × 6 mm · 4 trous Ø8,5 pour boulons M8",
        labels=[
            ((20, 54, 6), "Trou Ø8,5 pour boulon M8", (120, 40)),
            ((38, 20, 20), "Gousset 4 mm", (-150, 40)),
            ((20, 3, 70), "Aile 40 × 70 × 6 mm", (150, -30)),
        ],
        azim=40,
        elev=25,
    )
    save_png(d / "vue-ensemble.png", img)
    plate = [(place(c, None, (x, y, 0)), PETG) for x in (0, 70, 140) for y in (0, 100)]
    plate.append((box(-38, -43, -2, 218, 213, 0), (60, 60, 60)))
    img = render(
        plate,
        title="Orientation sur le plateau",
        subtitle="6 connecteurs par plateau 256 × 256 mm, posés sur une aile, "
        "l'autre aile verticale · sans support",
        azim=-70,
        elev=45,
    )
    save_png(d / "orientation-plateau.png", img)
    connector_drawing(d / "plan-connecteur.svg")
    write_zip(
        d / "sources-openscad.zip",
        {
            "LISEZMOI.txt": "Connecteur d'angle MobiFab - source OpenSCAD (CERN-OHL-W-2.0). "
            "Unités : mm.\n",
            "connecteur.scad": SCAD_CONNECTOR,
        },
    )


def connector_drawing(path: Path) -> None:
    """Dimensioned drawing (two views), the reference for the QC criteria."""
    w, length, t = CONNECTOR_W, CONNECTOR_L, CONNECTOR_T
    s = Sheet(210, 148, "Connecteur d'angle MobiFab - plan coté (mm)")
    s.text(8, 138, "Connecteur d'angle MobiFab 1.0 - rPETG - ISO 2768-m - échelle 1:1 (A5)", 4)
    x0, y0 = 15, 25  # view from above: the horizontal flange and its holes
    s.rect(x0, y0, w, length)
    s.rect(x0, y0 + length - t, w, t, MARK)
    for dy in (22, 54):
        s.hole(x0 + w / 2, y0 + length - dy, HOLE_D)
    s.line((x0, y0 - 6), (x0 + w, y0 - 6))
    s.text(x0 + w / 2 - 4, y0 - 12, f"{w:g}", 4)
    s.line((x0 + w + 6, y0), (x0 + w + 6, y0 + length))
    s.text(x0 + w + 8, y0 + length / 2, f"{length:g}", 4)
    s.text(x0 + w + 8, y0 + length - 22, "22", 3.5)
    s.text(x0 + w + 8, y0 + length - 54, "54", 3.5)
    s.text(
        x0, y0 + length + 6, f"4 trous Ø{HOLE_D:g} +0,3/-0,2 (boulons M8)".replace(".", ","), 3.5
    )
    x1, y1 = 110, 25  # side view: the L and the gusset
    s.outline(
        [
            (x1, y1),
            (x1 + length, y1),
            (x1 + length, y1 + t),
            (x1 + t, y1 + t),
            (x1 + t, y1 + length),
            (x1, y1 + length),
        ]
    )
    s.outline([(x1 + t, y1 + t), (x1 + t + 40, y1 + t), (x1 + t, y1 + t + 40)], MARK)
    s.line((x1, y1 - 6), (x1 + length, y1 - 6))
    s.text(x1 + length / 2 - 4, y1 - 12, f"{length:g}", 4)
    s.text(x1 + length + 3, y1 + 1, f"ép. {t:g} ±0,3", 3.5)
    s.text(x1 + 14, y1 + 50, "gousset 4 mm (x2)", 3.5)
    s.text(x1, y1 + length + 6, "équerrage 90° ±1°", 3.5)
    s.save(None, path)


MAKERS: dict[str, Callable[[Path], None]] = {
    "hollander-beater": make_hollander,
    "textile-shredder": make_shredder,
    "brucycle-tote-bag": make_tote,
    "mobifab-bench": make_bench,
    "mobifab-connector": make_connector,
}


def main(only: Sequence[str] = ()) -> None:
    total = 0
    for slug, make in MAKERS.items():
        if only and slug not in only:
            continue
        folder = OUT / slug
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        make(folder)
        for f in sorted(folder.iterdir()):
            total += f.stat().st_size
            print(f"{f.relative_to(ROOT)}  {f.stat().st_size / 1024:.1f} KB")
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
