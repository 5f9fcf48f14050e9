"""Draw the PWA icons (PNG) from the geometry of ``assets/logo.svg`` with Pillow.

Run ``python -m mrasla_app.pwa.icons`` after changing the logo; the PNGs are committed under
``assets/icons/``. Shapes are drawn 4× larger and downsampled for smooth (anti-aliased) edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[2] / "assets"
TEAL, ORANGE, WHITE = (15, 92, 85, 255), (168, 67, 31, 255), (255, 255, 255, 255)
SS = 4  # supersampling factor


def _logo(draw: ImageDraw.ImageDraw, ox: float, oy: float, s: float, *, tile: bool) -> None:
    """The 64×64 logo at (ox, oy), ``s`` pixels per logo unit; ``tile`` draws the white rounded tile."""

    def p(x: float, y: float) -> tuple[float, float]:
        return ox + x * s, oy + y * s

    if tile:
        draw.rounded_rectangle([p(0, 0), p(64, 64)], radius=14 * s, fill=WHITE)
    draw.rounded_rectangle([p(12, 20), p(52, 50)], radius=4 * s, fill=TEAL)
    draw.rectangle([p(12, 20), p(52, 30)], fill=TEAL)  # square top corners, as in the SVG
    draw.line([p(12, 20), p(32, 35), p(52, 20)], fill=WHITE, width=round(3.5 * s), joint="curve")
    draw.ellipse([p(39, 35), p(57, 53)], fill=ORANGE)
    draw.line([p(44, 44), p(47, 47), p(52, 41)], fill=WHITE, width=round(2.6 * s), joint="curve")


def icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SS
    if maskable:  # full-bleed teal; the logo tile stays inside the 80 % safe zone
        img = Image.new("RGBA", (big, big), TEAL)
        inner = big * 0.62
        _logo(ImageDraw.Draw(img), (big - inner) / 2, (big - inner) / 2, inner / 64, tile=True)
    else:
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        _logo(ImageDraw.Draw(img), 0, 0, big / 64, tile=True)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    out = ASSETS / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(out / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(out / f"maskable-{size}.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(out / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
