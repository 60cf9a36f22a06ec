"""What a screenshot shows: decode its PNG in the page itself (no image library needed) and judge regions of it
against the page's own colours (colors.js and the theme's CSS variables)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

DECODE = """async ([png, x, y, w, h]) => {
    const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }),
                                           { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, x, y, w, h, 0, 0, w, h);
    const data = ctx.getImageData(0, 0, w, h).data;
    let text = '';
    for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: bitmap.width, height: bitmap.height, rgba: btoa(text) };
}"""

# Where an element is on the whole page (what a full-page screenshot shows), in CSS pixels.
DOCUMENT_BOX = """(selector) => {
    const r = document.querySelector(selector).getBoundingClientRect();
    return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
}"""

PAGE_COLOURS = """async () => {
    const colours = await import('/static/js/colors.js');
    const dark = document.documentElement.dataset.theme === 'dark';
    const css = getComputedStyle(document.documentElement);
    const hex = (name) => { const v = css.getPropertyValue(name).trim();
                            return [1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16)); };
    return { dark, neutral: colours.neutral(dark), negative: colours.NEGATIVE, positive: colours.POSITIVE,
             classes: colours.CLASS_COLORS, bg: hex('--bg'), fg: hex('--fg'), panel: hex('--panel'),
             accent: hex('--accent') };
}"""


@dataclass
class Region:
    """The RGB pixels of one rectangle of a screenshot, shape (h, w, 3)."""

    rgb: np.ndarray

    def near(self, colour, tolerance: float = 20.0) -> np.ndarray:
        """Mask of pixels within `tolerance` (RGB distance) of `colour`."""
        return np.linalg.norm(self.rgb - np.asarray(colour, float), axis=-1) <= tolerance

    def shade_of(self, neutral, colour, at_least: float = 0.3, tolerance: float = 16.0) -> np.ndarray:
        """Mask of pixels on the colour scale from `neutral` to `colour` (how colors.js mixes them), at least
        `at_least` of the way to the colour."""
        mid = np.asarray(neutral, float)
        d = np.asarray(colour, float) - mid
        v = self.rgb - mid
        t = v @ d / (d @ d)
        off = np.linalg.norm(v - t[..., None] * d, axis=-1)
        return (t >= at_least) & (t <= 1.08) & (off <= tolerance)

    def fraction(self, mask: np.ndarray) -> float:
        return float(mask.mean())

    def luminance(self) -> np.ndarray:
        """Relative luminance of each pixel, 0 (black) to 1 (white), from sRGB."""
        c = self.rgb / 255.0
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ np.array([0.2126, 0.7152, 0.0722])


class Screenshot:
    """A full-page screenshot of `page`, kept as PNG bytes (also written to `path`) and read back region by region."""

    def __init__(self, page, path=None) -> None:
        self.page = page
        self.png = page.screenshot(path=None if path is None else str(path), full_page=True)
        self.scale = page.evaluate("devicePixelRatio")
        self._b64 = base64.b64encode(self.png).decode()

    def size(self) -> tuple[int, int]:
        """(width, height) of the picture in device pixels."""
        decoded = self.page.evaluate(DECODE, [self._b64, 0, 0, 1, 1])
        return decoded["width"], decoded["height"]

    def region(self, box: dict, inset: float = 0.0) -> Region:
        """The pixels under a box in CSS pixels of the page, `inset` CSS pixels in from each edge."""
        s = self.scale
        x, y = round((box["x"] + inset) * s), round((box["y"] + inset) * s)
        w, h = round((box["width"] - 2 * inset) * s), round((box["height"] - 2 * inset) * s)
        assert w > 0 and h > 0, box
        decoded = self.page.evaluate(DECODE, [self._b64, x, y, w, h])
        rgba = np.frombuffer(base64.b64decode(decoded["rgba"]), np.uint8).reshape(h, w, 4)
        return Region(rgba[..., :3].astype(float))

    def of(self, selector: str, inset: float = 0.0) -> Region:
        """The pixels under the element `selector`."""
        return self.region(document_box(self.page, selector), inset)


def document_box(page, selector: str) -> dict:
    """The element's box in CSS pixels of the whole page (as a full-page screenshot lays it out)."""
    return page.evaluate(DOCUMENT_BOX, selector)


def page_colours(page) -> dict:
    """The colours the page draws with: colors.js's scales and classes, and the theme's CSS variables."""
    return page.evaluate(PAGE_COLOURS)


GRID = """() => {
    const c = document.querySelector('#heatmap canvas.grid');
    return { n: c.width, rgba: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
}"""


def heatmap_cells(page) -> np.ndarray:
    """The output map as the page painted it: the small grid canvas's colours, shape (n, n, 3)."""
    grid = page.evaluate(GRID)
    n = grid["n"]
    return np.asarray(grid["rgba"], float).reshape(n, n, 4)[..., :3]


def shown_cells(shot: Screenshot, n: int) -> np.ndarray:
    """The screenshot's colour at the centre of each of the n × n heatmap cells (the canvas is scaled up by CSS)."""
    rgb = shot.of("#heatmap canvas.grid").rgb
    h, w = rgb.shape[:2]
    ys = ((np.arange(n) + 0.5) * h / n).astype(int)
    xs = ((np.arange(n) + 0.5) * w / n).astype(int)
    return rgb[ys][:, xs]


def on_scales(cells: np.ndarray, neutral, colours, tolerance: float = 4.0) -> np.ndarray:
    """Mask of colours lying on one of the scales from `neutral` to each of `colours` (how colors.js mixes them)."""
    region = Region(cells)
    masks = [region.shade_of(neutral, c, at_least=-0.01, tolerance=tolerance) for c in colours]
    return np.logical_or.reduce(masks)


def css_colour(page, selector: str, prop: str) -> list[int]:
    """A computed colour property (`fill`, `stroke`, `background-color`...) of an element, as [r, g, b]."""
    value = page.evaluate("([s, p]) => getComputedStyle(document.querySelector(s)).getPropertyValue(p)",
                          [selector, prop])
    assert value.startswith("rgb"), (selector, prop, value)
    return [int(float(v)) for v in value[value.index("(") + 1 : value.index(")")].replace("/", ",").split(",")[:3]]
