"""MkDocs hook: serve MathJax with the site, from the django-static-mathjax package.

After the build, MathJax's single-file TeX component (``es5/tex-chtml.js``) and its web fonts
are copied to ``javascripts/mathjax/`` of the site, where mkdocs.yml loads them: the math
renders offline, with nothing fetched from a CDN.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def on_post_build(config, **kwargs) -> None:
    import mathjax  # the django-static-mathjax package (docs extra)

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = Path(config["site_dir"]) / "javascripts" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", target / "tex-chtml.js")
    fonts = Path("output") / "chtml" / "fonts" / "woff-v2"
    shutil.copytree(es5 / fonts, target / fonts, dirs_exist_ok=True)
