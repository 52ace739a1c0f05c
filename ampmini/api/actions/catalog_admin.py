"""Catalog management: catalog_action, catalog_file, catalog_folder, catalog_add, catalog_delete.

Spec §6.14. Catalogs are library roots (`ampmini.catalogs`); scans run on the background
worker and the answer is `successfully started: …` at once, as Ampache answers. Every path a
client sends must resolve (after symlinks and `..`) inside the named catalog's root, else 4704
on that parameter — the same answer as for a file that does not exist, so the API cannot be
used to probe the rest of the filesystem.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable

from ... import catalogs as cat
from ..errors import BadRequest, FeatureDisabled, NotFound
from ..objects import CATALOG
from ..registry import Context, Level, action
from ..shapes import Single, Success
from .browse import require_row
from .catalogs import load_catalogs

log = logging.getLogger(__name__)

CATALOG_TASKS = ("add_to_catalog", "clean_catalog", "verify_catalog", "gather_art",
                 "garbage_collect")  # fmt: skip
# Tasks that re-read every file's tags (and so its art) instead of only new/changed files.
_FULL_TASKS = frozenset({"verify_catalog", "gather_art"})
FILE_TASKS = ("add", "clean", "verify", "remove")


def _scanned_catalog(ctx: Context, param: str) -> tuple[int, str]:
    """(id, real root) of the catalog named by `param`|`filter`, which must be a scanned root."""
    catalog_id = ctx.params.object_id(param, "filter")
    root = cat.catalog_path(ctx.conn, catalog_id)
    if root is None:
        raise NotFound(catalog_id, param)
    roots = {str(r) for r in cat.all_roots(ctx.db, ctx.config)}
    if root not in roots:
        # A catalog whose folder left the config is no longer scanned: nothing could start.
        raise BadRequest(catalog_id, param)
    return catalog_id, root


def _start(key: str, job: Callable[[], object]) -> None:
    if not cat.TASKS.submit(key, job):
        log.info("catalog task %s already queued", key)


@action("catalog_action", level=Level.CATALOG_MANAGER)
def catalog_action(ctx: Context) -> Success:
    # Missing task/catalog is 4710 (spec §12 Fix 6), checked before the task's value.
    task_value = ctx.params.required("task")
    ctx.params.required("catalog", "filter")
    task = task_value.strip().lower()
    if task not in CATALOG_TASKS:
        raise BadRequest(task_value, "task")
    catalog_id, root = _scanned_catalog(ctx, "catalog")
    db, config, full = ctx.db, ctx.config, task in _FULL_TASKS
    # add/clean/garbage_collect are one scan of the root: it adds new files, forgets gone ones
    # and drops albums and artists left empty; verify/gather_art re-read every tag and image.
    _start(f"{task}:{catalog_id}", lambda: cat.scan_folders(db, config, [root], full=full))
    return Success(f"successfully started: {task}")


def _file_tasks(ctx: Context) -> list[str]:
    raw = ctx.params.required("task")
    tasks = [t.strip().lower() for t in raw.split(",") if t.strip()]
    for task in tasks or [raw]:
        if task not in FILE_TASKS:
            raise BadRequest(task, "task")
    if "remove" in tasks and not getattr(ctx.config.features, "delete_from_disk", False):
        raise FeatureDisabled("delete_from_disk")
    return list(dict.fromkeys(tasks))


def _song_paths(ctx: Context, given: str, resolved: str, *, below: bool) -> list[str]:
    """Song files recorded for the client's path (one file, or every file below a folder)."""
    candidates = list(dict.fromkeys((os.path.normpath(given), resolved)))
    if not below:
        return [
            row[0]
            for row in ctx.conn.execute(
                "SELECT path FROM song WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(candidates),),
            )
        ]
    found: list[str] = []
    for folder in candidates:
        base = folder.rstrip(os.sep)
        found.extend(
            row[0]
            for row in ctx.conn.execute(
                "SELECT path FROM song WHERE path > ? AND path < ?",
                (base + os.sep, base + chr(ord(os.sep) + 1)),
            )
        )
    return list(dict.fromkeys(found))


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
            log.info("removed from disk: %s", path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot remove %s: %s", path, exc)


def _path_task(ctx: Context, param: str, *, folder: bool) -> Success:
    """catalog_file / catalog_folder: validate, then queue the tasks; Ampache's order of checks."""
    given = ctx.params.required(param)
    ctx.params.required("task")
    ctx.params.required("catalog", "filter")
    tasks = _file_tasks(ctx)
    catalog_id, root = _scanned_catalog(ctx, "catalog")
    resolved = cat.resolve_client_path(given, root)
    if resolved is None:
        raise NotFound(given, param)
    exists = os.path.isdir(resolved) if folder else os.path.isfile(resolved)
    if not exists and tasks != ["clean"]:
        raise NotFound(given, param)
    doomed: list[str] = []
    if "remove" in tasks:
        if resolved == cat.real(root):
            # Ampache would delete every file of the catalog; one typo must not do that here.
            raise BadRequest(given, param)
        # Only files the library knows, and only ones that really are the named file (or
        # below the named folder), not what a lexical `..` in the request might point at.
        doomed = [
            path
            for path in _song_paths(ctx, given, resolved, below=folder)
            if cat.inside_root(cat.real(path), resolved)
        ]
        if not doomed:
            raise NotFound(given, param)
    # The scanner widens a disc folder to its album folder itself; a file means its folder.
    target = resolved if folder else os.path.dirname(resolved)
    db, config, full = ctx.db, ctx.config, "verify" in tasks

    def job() -> None:
        _remove_files(doomed)
        cat.scan_folders(db, config, [target], full=full)

    _start(f"{param}:{','.join(tasks)}:{catalog_id}:{resolved}", job)
    return Success(f"successfully started: {', '.join(tasks)} for {given}")


@action("catalog_file", level=Level.CONTENT_MANAGER)
def catalog_file(ctx: Context) -> Success:
    return _path_task(ctx, "file", folder=False)


@action("catalog_folder", level=Level.CONTENT_MANAGER, api6_only=True)
def catalog_folder(ctx: Context) -> Success:
    return _path_task(ctx, "folder", folder=True)


_CATALOG_TYPES = ("local", "beets", "remote", "subsonic", "seafile", "beetsremote")


@action(
    "catalog_add",
    level=Level.CATALOG_MANAGER,
    api6_only=True,
    # catalog_create: Ampache maps it to a missing method (→ 4702); spec §12 Fix 5.
    aliases=("catalog_create", "catalogs_create"),
)
def catalog_add(ctx: Context) -> Single:
    name = ctx.params.required("name")
    path = ctx.params.required("path")
    kind = ctx.params.text("type", default="local").strip() or "local"
    if kind.lower() != "local":
        # Only folders on this machine: remote/subsonic/beets catalogs are not implemented.
        raise BadRequest(kind, "type")
    media = (ctx.params.text("media_type", default="music").strip() or "music").lower()
    if media in _VIDEO_MEDIA or media == "podcast":
        return _add_media_catalog(ctx, media, path)
    if media != "music":
        raise BadRequest(media, "media_type")
    try:
        catalog_id = cat.add_catalog(ctx.db, ctx.config, name, path)
    except cat.CatalogError as err:
        raise BadRequest(str(err), err.param) from None
    root = cat.catalog_path(ctx.conn, catalog_id)
    db, config = ctx.db, ctx.config
    # Ampache leaves a new catalog empty until add_to_catalog; a Pi owner expects music.
    _start(f"add_to_catalog:{catalog_id}", lambda: cat.scan_folders(db, config, [root]))
    return Single(CATALOG, load_catalogs(ctx, [catalog_id])[0])


# Ampache's video media types; ampmini keeps them all in one kind of video catalog.
_VIDEO_MEDIA = ("video", "clip", "tvshow", "movie", "personal_video")


def _add_media_catalog(ctx: Context, media: str, path: str) -> Single:
    """A podcast catalog (episodes are downloaded into it) or a video catalog (scanned)."""
    from ...library.videos import ensure_video_catalog, scan_videos
    from ...podcasts import ensure_podcast_catalog

    if not os.path.isabs(path) or not os.path.isdir(path):
        raise BadRequest(path, "path")  # an existing folder: the API never creates one
    try:
        if media == "podcast":
            catalog_id = ensure_podcast_catalog(ctx.db, path)
        else:
            catalog_id = ensure_video_catalog(ctx.db, path)
            db = ctx.db
            _start(f"add_to_catalog:{catalog_id}", lambda: scan_videos(db))
    except ValueError as err:  # the folder is already a catalog of another kind
        raise BadRequest(str(err), "path") from None
    return Single(CATALOG, load_catalogs(ctx, [catalog_id])[0])


@action("catalog_delete", level=Level.CATALOG_MANAGER, api6_only=True,
        aliases=("catalogs_delete",))  # fmt: skip
def catalog_delete(ctx: Context) -> Success:
    catalog_id = require_row(ctx, "catalog")
    if not cat.deletable(ctx.conn, ctx.config, catalog_id):
        # A [library] root: the next scan would re-create it. Edit the config instead.
        raise BadRequest(catalog_id, "filter")
    cat.delete_catalog(ctx.db, catalog_id)
    return Success(f"Deleted Catalog: {catalog_id}")
