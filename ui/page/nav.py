"""The pages of the explorer: the full catalogue, and the registry of those app.py routes.

The catalogue is the product map (shared/DESIGN.md): every page that exists or will exist, in
the order Home shows its cards. app.py creates an ``st.Page`` for each page file that exists with
``nav.page(...)``, which also records it here, so Home links and presets only point at pages
that are really there.

A page's ``url_path`` is its code everywhere: the URL (``/gap-fc``), the i18n keys of its title
and card (``page.gap-fc.title``, ``page.gap-fc.blurb``) and ``presets.apply("gap-fc")``. Its
widget keys use the file name as prefix (``gap_fc_channels``).
"""

from __future__ import annotations

import runpy
import sys
from functools import lru_cache
from pathlib import Path

import streamlit as st

from ui.page.i18n import t

APP_ROOT = Path(__file__).resolve().parents[2]

# url_path -> material icon, in the order of the Home cards.
CATALOGUE: dict[str, str] = {
    "home": ":material/home:",
    "predict": ":material/how_to_vote:",
    "build": ":material/construction:",
    "degradation": ":material/trending_down:",
    "gradients": ":material/waterfall_chart:",
    "lesion": ":material/content_cut:",
    "landscape": ":material/landscape:",
    "features": ":material/grid_view:",
    "bottleneck": ":material/compress:",
    "gap-fc": ":material/view_compact:",
    "shortcuts": ":material/alt_route:",
    "batchnorm": ":material/bar_chart:",
    "attribution": ":material/center_focus_strong:",
    "augmentation": ":material/flip:",
    "evidence": ":material/fact_check:",
}

# The sidebar: each section's title key ("" for the top) and its pages, in order. app.py routes
# exactly these, each from pages/<url_path>.py; every url_path must be in CATALOGUE.
SECTIONS: dict[str, tuple[str, ...]] = {
    "": ("home", "predict"),
    "nav.explore": ("build", "degradation", "gradients", "lesion", "landscape"),
    "nav.concepts": ("features", "bottleneck", "gap-fc", "shortcuts", "batchnorm", "attribution",
                     "augmentation", "evidence"),
}


def routes() -> list[str]:
    """Every page app.py routes, in the sidebar's order."""
    return [code for codes in SECTIONS.values() for code in codes]


# url_path -> page file (relative to the app root), filled by app.py on every run. The same for
# every session (it holds no language), so sharing it across sessions is safe.
_REGISTERED: dict[str, str] = {}


def page(file: str, url_path: str, *, default: bool = False) -> st.Page:
    """An ``st.Page`` with its translated title and catalogue icon; records it as routable."""
    if url_path not in CATALOGUE:
        raise ValueError(f"{url_path!r} is not in ui.page.nav.CATALOGUE; add it there first")
    _REGISTERED[url_path] = file
    return st.Page(APP_ROOT / file, title=t(f"page.{url_path}.title"), icon=CATALOGUE[url_path],
                   url_path=url_path, default=default)


def exists(url_path: str) -> bool:
    """Whether app.py routes this page (so a link or preset to it can be shown)."""
    return url_path in _REGISTERED


def file_of(url_path: str) -> str:
    """The page file for st.page_link / st.switch_page."""
    return _REGISTERED[url_path]


def registered() -> list[str]:
    """The routed pages' url_paths, in catalogue order."""
    return [code for code in CATALOGUE if code in _REGISTERED]


def ensure_routed() -> None:
    """Make sure this run went through app.py (pages call it via ``presets.apply``).

    Because the page files live in a folder named ``pages/``, Streamlit starts each process in
    its old directory mode until some run calls ``st.navigation``: the first request of a fresh
    server, when it asks for a page (``/bottleneck``), runs that page straight from its file,
    without the router; AppTest starts in that mode on every run. app.py is then not among the
    callers of this page. In that case this runs the router for the same request, right here
    (its ``st.navigation`` leaves the directory mode and routes to this page), and ends the
    direct run. A rerun would do the same but drop the click that started this run.
    """
    if not _called_from_router():
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()


ROUTER = APP_ROOT / "app.py"


def _called_from_router() -> bool:
    """Whether app.py is running this page (it is then one of the frames above this one)."""
    frame = sys._getframe(1)
    while frame is not None:
        if _is_router(frame.f_code.co_filename):
            return True
        frame = frame.f_back
    return False


@lru_cache(maxsize=64)
def _is_router(filename: str) -> bool:
    return filename.endswith("app.py") and Path(filename).resolve() == ROUTER
