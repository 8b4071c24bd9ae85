"""The developers' and operators' `flask` commands.

Each module in this package that defines `register(app)` adds its commands; new
command groups need no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_commands(app: Flask) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
