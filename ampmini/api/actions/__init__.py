"""Every action module; importing this package fills the registry."""

from . import (  # noqa: F401
    annotate,
    browse,
    catalogs,
    genres,
    indexes,
    search,
    session,
    stats,
    users,
)
