"""Read the INI config file into frozen dataclasses; embedded defaults; errors name file and line.

Everything the file may contain is declared once: :data:`KEYS` (one :class:`Key` per
``(section, key)``, in :mod:`.keys`) and :data:`FREE_SECTIONS` (sections whose key names are
chosen by the user, ``[acl]`` and ``[apikeys]``, in :mod:`.sections`). The loader
(:mod:`.loader`), the example file (:data:`DEFAULT_CONFIG_TEXT`) and the reference
(``docs/config.md``, :func:`render_reference_markdown`, in :mod:`.docs`) are all generated
from them. To add a key or a section, see :mod:`.keys` and :mod:`.model`.

Also here: :class:`ConfigHolder` (:mod:`.holder`, live reload on file change or SIGHUP) and
:func:`set_apikey` (:mod:`.apikeys`, rewrites the file in place, keeping comments, atomically).
"""

from .apikeys import generate_apikey, set_apikey
from .docs import DEFAULT_CONFIG_TEXT, render_reference_markdown
from .errors import ConfigError
from .holder import ConfigHolder
from .keys import KEYS
from .loader import ENV_CONFIG, load_config, parse_config
from .model import SECTION_TYPES, Config, FeaturesConfig, LocalplayConfig, PodcastConfig
from .sections import FREE_SECTIONS

__all__ = [
    "DEFAULT_CONFIG_TEXT",
    "ENV_CONFIG",
    "FREE_SECTIONS",
    "KEYS",
    "SECTION_TYPES",
    "Config",
    "ConfigError",
    "ConfigHolder",
    "FeaturesConfig",
    "LocalplayConfig",
    "PodcastConfig",
    "generate_apikey",
    "load_config",
    "parse_config",
    "render_reference_markdown",
    "set_apikey",
]
