"""Formulas typeset by MathJax in headless Chromium, and what their HTML does to the card.

One page per MathJax build holds every formula, each in its own box; `inspect` reads back, for
each box, what its HTML could do beyond showing maths.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from ankigen.preview.folder import mathjax_source
from ankigen.preview.page import mathjax_config

from .chromium import Browser

ANKI_BUILD = "tex-chtml-full.js"  # what Anki's reviewer loads
PREVIEW_BUILD = "tex-svg.js"  # what `ankigen preview` loads

# What each box's HTML does, as a list of effects per box:
#   javascript  a link or reference to anything but http(s), mailto or a `#` in the page
#   url         a style that fetches something (a background image, a url() in a style)
#   fixed       an element placed over the card (position: fixed)
#   class / id  a class or an id that MathJax does not write itself
#   error       (no harm) MathJax showed an error instead of the formula, or part of it
_INSPECT = r"""
(() => {
  const mathjaxClass =
    /^(MathJax|MathJax_[A-Za-z]+|mjx-[A-Za-z0-9-]+|TEX-[A-Z0-9-]+|MJX-[A-Z0-9-]+)$/;
  const mathjaxId = /^(MJX-[A-Za-z0-9-]+|mjx-eqn:[^ ]*)$/;
  const safeLink = /^\s*(https?:\/\/|mailto:|#)/i;
  return [...document.querySelectorAll("div.case")].map((box) => {
    const found = new Set();
    for (const el of box.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        const link = name === "href" || name.endsWith(":href") || name === "src";
        if (link && !safeLink.test(attr.value))
          found.add(/^\s*javascript:/i.test(attr.value) ? "javascript" : "link");
        if (name === "style" && /url\s*\(/i.test(attr.value)) found.add("url");
        if (name === "id" && !mathjaxId.test(attr.value)) found.add("id");
      }
      const cls = el.getAttribute("class") || "";
      if (cls.split(/\s+/).some((c) => c && !mathjaxClass.test(c))) found.add("class");
      const style = getComputedStyle(el);
      if (style.position === "fixed") found.add("fixed");
      for (const prop of ["backgroundImage", "borderImageSource", "listStyleImage", "content",
                          "cursor", "maskImage", "filter"])
        if (/url\s*\(/i.test(style[prop] || "")) found.add("url");
    }
    if (box.querySelector("[data-mjx-error]")) found.add("error");
    return [...found].sort();
  });
})()
"""


def typeset(browser: Browser, folder: Path, build: str, formulas: Sequence[str]) -> list[list[str]]:
    """Typeset each TeX formula inline in its own box with `build`; the effects of each box."""
    config = mathjax_config(typeset_on_load=True)
    script = Path(str(mathjax_source())) / build
    boxes = "\n".join(
        f'<div class="case">\\({html.escape(tex, quote=False)}\\)</div>' for tex in formulas
    )
    page = folder / f"{build}.html"
    page.write_text(
        f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script>{config}</script><script defer src="{script.as_uri()}"></script></head>
<body>{boxes}</body></html>""",
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    state = browser.wait_until("document.documentElement.dataset.mathjax", timeout=120)
    assert state == "done", f"MathJax did not finish typesetting: {state!r}"
    found = browser.evaluate(_INSPECT)
    assert len(found) == len(formulas), "a formula's box went missing"
    return [list(effects) for effects in found]
