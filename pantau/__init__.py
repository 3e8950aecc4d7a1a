"""Pantau: one installed package, `pantau`, holding the CLI and the crawl's sub-packages.

`pantau.pipeline`, `pantau.spiders` and `pantau.config` are the repository's `pipeline/`,
`spiders/` and `config/` folders (pyproject's package-dir maps them), so an install adds no
top-level `config` or `pipeline` package to collide with another project's.
"""

import os as _os

# In a checkout the three folders sit beside this one; an installed wheel has them inside it.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_checkout, "scrapy.cfg")) and _checkout not in __path__:
    __path__.append(_checkout)
