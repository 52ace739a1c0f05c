"""Binary endpoints: /play/index.php, /image.php and the stream/download/get_art actions."""

from __future__ import annotations

from typing import Any

MEDIA_HANDLERS: dict[str, Any] = {}
