"""Every action module in this package; importing the package fills the registry.

A feature adds a module here and it is picked up without editing a list.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
