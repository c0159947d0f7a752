"""Where a digest's theme files are: the site's theme, then ``default``, then the built-in one.

Only paths here, no Jinja, so the no-change check of ``briefgen build`` can hash the theme
files before the template engine is imported (``pipeline/theme.py`` builds the environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.source.files import inside, regular_files

if TYPE_CHECKING:
    from briefgen.config import Config

DEFAULT_THEME = "default"


def builtin_theme_dir() -> Path:
    """The default theme shipped with briefgen (inside the wheel, or the repo's themes/)."""
    here = Path(__file__).resolve().parent.parent  # the briefgen package folder
    packaged = here / "themes" / DEFAULT_THEME
    if packaged.is_dir():
        return packaged
    return here.parent / "themes" / DEFAULT_THEME


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """Folders searched for templates and static files, most specific first.

    ``roots`` are the folders a theme file may resolve into (the digest and the built-in
    theme): a link in a theme pointing anywhere else is not followed.
    """

    dirs: tuple[Path, ...]
    roots: tuple[Path, ...] = ()

    def allowed(self) -> tuple[Path, ...]:
        """Where theme files may live: ``roots``, or the theme folders themselves."""
        return self.roots or self.dirs

    def static_dirs(self) -> tuple[Path, ...]:
        """Static asset folders inside the allowed roots, most specific first."""
        return tuple(d / "static" for d in self.dirs
                     if (d / "static").is_dir() and inside(d / "static", self.allowed()))

    def template_files(self) -> dict[str, Path]:
        """Every template name and the file it resolves to (regular files inside the roots)."""
        names: dict[str, Path] = {}
        for folder in reversed(self.dirs):
            top = folder / "templates"
            if not inside(top, self.allowed()):
                continue
            for path in regular_files(top, self.allowed()):
                names[path.relative_to(top).as_posix()] = path
        return names


def find_theme(config: Config) -> Theme:
    """The site's theme folders: ``themes/<theme>``, then ``themes/default``, then built-in."""
    dirs: list[Path] = []
    site_themes = config.path(config.themes_dir)
    for name in (config.theme, DEFAULT_THEME):
        candidate = site_themes / name
        if candidate.is_dir() and candidate.resolve() not in [d.resolve() for d in dirs]:
            dirs.append(candidate)
    builtin = builtin_theme_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return Theme(dirs=tuple(dirs), roots=(config.root, builtin))
