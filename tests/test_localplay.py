"""localplay against a real MPD (Debian's `mpd`): every command, both add modes, MPD failures.

The tests start their own `mpd` with a throw-away config (loopback port, the generated library
as music directory, a `null` audio output with a software mixer) and their own ampmini on the
session database whose `[localplay]` points at it. MPD's real state is read back through
python-mpd2. Without `mpd` on PATH (install: `apt-get install -y mpd`) or python-mpd2 the
MPD-backed tests skip, saying so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ADMIN, USER, Api, write_config
from tests.shapes import assert_json_like, assert_xml_like

mpd = pytest.importorskip("mpd", reason="python-mpd2 not installed (pip install 'ampmini[mpd]')")

MPD_BIN = shutil.which("mpd") or (
    "/usr/bin/mpd" if Path("/usr/bin/mpd").exists() else None
)
needs_mpd = pytest.mark.skipif(MPD_BIN is None, reason="mpd not installed: apt-get install -y mpd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], Any], what: str, limit: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


class Mpd:
    """A private MPD process on a loopback port; its state survives restarts."""

    def __init__(self, music: Path, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.conf = folder / "mpd.conf"
        self.conf.write_text(
            f'music_directory "{music}"\n'
            f'db_file "{folder}/database"\n'
            f'state_file "{folder}/state"\n'
            f'log_file "{folder}/log"\n'
            'bind_to_address "127.0.0.1"\n'
            f'port "{self.port}"\n'
            'auto_update "no"\n'
            'zeroconf_enabled "no"\n'
            'audio_output {\n  type "null"\n  name "null"\n  mixer_type "software"\n}\n',
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert MPD_BIN is not None
        self.process = subprocess.Popen(
            [MPD_BIN, "--no-daemon", str(self.conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, f"mpd on port {self.port} (log: {self.folder / 'log'})")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = (self.folder / "log").read_text(errors="replace")
            raise AssertionError(f"mpd exited with {self.process.returncode}:\n{log}")
        try:
            with self.client():
                return True
        except (OSError, mpd.ConnectionError):
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Any:
        """A fresh python-mpd2 connection (a context manager)."""
        client = mpd.MPDClient()
        client.timeout = 5
        client.connect("127.0.0.1", self.port)
        return _Closing(client)

    def update_database(self) -> None:
        with self.client() as c:
            c.update()
            wait_for(lambda: "updating_db" not in c.status(), "MPD's database update")


class _Closing:
    def __init__(self, client: Any) -> None:
        self.client = client

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def mpd_server(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mpd]:
    if MPD_BIN is None:
        pytest.skip("mpd not installed: apt-get install -y mpd")
    daemon = Mpd(library["root"], tmp_path_factory.mktemp("mpd"))
    daemon.start()
    daemon.update_database()
    yield daemon
    daemon.stop()


class Jukebox:
    """A second ampmini on the session database, whose config names our MPD."""

    def __init__(self, base: str, holder: Any, config_path: Path, root: Path, db: Path) -> None:
        self.base = base
        self.api = Api(base)
        self.holder = holder
        self.config_path = config_path
        self.root = root
        self.db = db

    def configure(self, localplay: str) -> None:
        write_config(self.config_path, self.root, self.db, f"\n[localplay]\n{localplay}")
        assert self.holder.reload()


@pytest.fixture(scope="module")
def jukebox(server: Any, library: dict[str, Any], mpd_server: Mpd,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jukebox]:
    from ampmini.config import ConfigHolder
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    folder = tmp_path_factory.mktemp("jukebox")
    db_path = server.holder.current.database.path
    config_path = write_config(folder / "ampmini.conf", library["root"], db_path)
    holder = ConfigHolder(config_path)
    _dispatch, app = build(holder, server.db)
    with serve_background(app, threads=4) as wsgi:
        box = Jukebox(f"http://127.0.0.1:{wsgi.effective_port}", holder, config_path,
                      library["root"], db_path)
        box.configure(path_mode(mpd_server, library["root"]))
        yield box


def path_mode(daemon: Mpd, root: Path) -> str:
    return f"host = 127.0.0.1\nport = {daemon.port}\ntimeout = 2\nmusic_directory = {root}\n"


def url_mode(daemon: Mpd) -> str:
    return f"host = 127.0.0.1\nport = {daemon.port}\ntimeout = 2\n"


def songs_of(server: Any, fmt: str, count: int) -> list[Any]:
    rows = server.db.reader().execute(
        "SELECT s.id, s.path, s.title, ar.name AS artist, al.name AS album FROM song s"
        " JOIN artist ar ON ar.id = s.artist_id JOIN album al ON al.id = s.album_id"
        " WHERE s.format = ? AND s.enabled = 1 ORDER BY s.id LIMIT ?",
        (fmt, count),
    ).fetchall()
    assert len(rows) == count
    return rows


def command(box: Jukebox, token: str, name: str, **params: Any) -> Any:
    return box.api.json("localplay", auth=token, command=name, **params)


def result(answer: Any, name: str) -> Any:
    assert "error" not in answer, answer
    return answer["localplay"]["command"][name]


def error_of(answer: Any) -> tuple[str, str, str]:
    err = answer["error"]
    return err["errorCode"], err["errorType"], err["errorMessage"]


# --------------------------------------------------------------------------- no MPD needed


def test_no_localplay_section_is_no_controller(api: Api, admin_token: str) -> None:
    for action in ("localplay", "localplay_songs"):
        answer = api.json(action, auth=admin_token, command="status")
        code, kind, message = error_of(answer)
        assert (code, kind) == ("4710", "account")
        assert "no controller" in message
    xml = api.raw("xml", "localplay", auth=admin_token, command="stop").content
    assert b'errorCode="4710"' in xml and b"no controller" in xml


def test_missing_command_and_level(api: Api, token: str, admin_token: str) -> None:
    assert error_of(api.json("localplay", auth=admin_token))[:2] == ("4710", "system")
    # alice is level 25; localplay_level defaults to 100 (Ampache's default).
    assert error_of(api.json("localplay", auth=token, command="status")) == (
        "4742", "account", "Require: 100")
    assert error_of(api.json("localplay_songs", auth=token))[0] == "4742"


# --------------------------------------------------------------------------- against MPD


@needs_mpd
def test_commands_drive_mpd(jukebox: Jukebox, mpd_server: Mpd, server: Any,
                            admin_token: str) -> None:
    first, second = songs_of(server, "mp3", 2)
    root = jukebox.root
    assert result(command(jukebox, admin_token, "delete_all"), "delete_all") is True
    with mpd_server.client() as c:
        assert c.playlistinfo() == []
        c.repeat(1)  # 1-second test files: keep the queue playing while we look at it
        c.setvol(50)

    # add by path (music_directory covers the library): no HTTP between MPD and ampmini
    assert result(command(jukebox, admin_token, "add", oid=first["id"], clear=1), "add") is True
    assert result(command(jukebox, admin_token, "add", filter=second["id"]), "add") is True
    with mpd_server.client() as c:
        files = [e["file"] for e in c.playlistinfo()]
    assert files == [Path(first["path"]).relative_to(root).as_posix(),
                     Path(second["path"]).relative_to(root).as_posix()]

    assert result(command(jukebox, admin_token, "play"), "play") is True
    with mpd_server.client() as c:
        wait_for(lambda: c.status()["state"] == "play", "MPD playing")
        wait_for(lambda: "audio" in c.status(), "MPD decoding the file")

    status = result(command(jukebox, admin_token, "status"), "status")
    assert status["state"] == "play"
    assert status["volume"] == "50"
    assert status["repeat"] is True and status["random"] is False
    playing = first if status["track"] == 1 else second
    assert (status["track_title"], status["track_artist"], status["track_album"]) == (
        playing["title"], playing["artist"], playing["album"])

    with mpd_server.client() as c:
        # The generated songs last one second: MPD's single+repeat mode keeps it on the
        # current one, so the reads below cannot race playback moving on by itself.
        c.single(1)
    assert result(command(jukebox, admin_token, "pause"), "pause") is True
    with mpd_server.client() as c:
        assert c.status()["state"] == "pause"
    assert result(command(jukebox, admin_token, "pause"), "pause") is True
    with mpd_server.client() as c:
        assert c.status()["state"] == "play"

    assert result(command(jukebox, admin_token, "skip", track=2), "skip") is True
    with mpd_server.client() as c:
        assert c.status()["song"] == "1"
    assert result(command(jukebox, admin_token, "prev"), "prev") is True
    with mpd_server.client() as c:
        assert c.status()["song"] == "0"
    assert result(command(jukebox, admin_token, "next"), "next") is True
    with mpd_server.client() as c:
        assert c.status()["song"] == "1"
    code, kind, _ = error_of(command(jukebox, admin_token, "skip", track=9))
    assert (code, kind) == ("4704", "track")
    assert error_of(command(jukebox, admin_token, "skip"))[:2] == ("4710", "system")

    volumes = []
    for name in ("volume_up", "volume_down", "volume_down", "volume_mute", "volume_mute"):
        assert result(command(jukebox, admin_token, name), name) is True
        with mpd_server.client() as c:
            volumes.append(int(c.status()["volume"]))
    assert volumes == [55, 50, 45, 0, 45]

    assert result(command(jukebox, admin_token, "stop"), "stop") is True
    with mpd_server.client() as c:
        assert c.status()["state"] == "stop"
    # MPD refuses `next` when stopped: Ampache's answer for a failed command is `false`.
    assert result(command(jukebox, admin_token, "next"), "next") is False


@needs_mpd
def test_add_by_stream_url_plays_through_ampmini(jukebox: Jukebox, mpd_server: Mpd,
                                                 server: Any, admin_token: str) -> None:
    (song,) = songs_of(server, "flac", 1)
    jukebox.configure(url_mode(mpd_server))
    try:
        assert result(command(jukebox, admin_token, "add", oid=song["id"], clear=1,
                              type="Song"), "add") is True
        with mpd_server.client() as c:
            (entry,) = c.playlistinfo()
            uri = entry["file"]
            assert uri.startswith(f"{jukebox.base}/play/index.php?ssid=")
            assert f"&type=song&oid={song['id']}&uid=" in uri and "&name=" in uri
            assert requests.get(uri, timeout=10).content == Path(song["path"]).read_bytes()
            c.repeat(1)
            c.play(0)
            wait_for(lambda: "audio" in c.status() or "error" in c.status(), "MPD streaming")
            assert "error" not in c.status(), c.status()
        status = result(command(jukebox, admin_token, "status"), "status")
        assert status["track_title"] == song["title"]
        queue = jukebox.api.json("localplay_songs", auth=admin_token)["localplay_songs"]
        assert [(e["id"], e["oid"], e["track"]) for e in queue] == [("0", str(song["id"]), 1)]
        assert e_name(queue[0]) == f"{song['title']} - {song['album']} - {song['artist']}"
    finally:
        jukebox.configure(path_mode(mpd_server, jukebox.root))
        command(jukebox, admin_token, "stop")


def e_name(entry: dict[str, Any]) -> str:
    return entry["name"]


@needs_mpd
def test_answers_have_the_reference_shapes(jukebox: Jukebox, server: Any,
                                           admin_token: str) -> None:
    (song,) = songs_of(server, "ogg", 1)
    command(jukebox, admin_token, "add", oid=song["id"], clear=1)
    api = jukebox.api
    assert_json_like(api.json("localplay", auth=admin_token, command="stop"), "localplay")
    assert_xml_like(api.raw("xml", "localplay", auth=admin_token, command="stop").content,
                    "localplay")
    assert_json_like(api.json("localplay", auth=admin_token, command="status"),
                     "localplay (status)")
    assert_xml_like(api.raw("xml", "localplay", auth=admin_token, command="status").content,
                    "localplay (status)")
    # localplay_songs has no reference file: Ampache's object_array form, checked by hand.
    root = api.xml("localplay_songs", auth=admin_token)
    (entry,) = root.findall("localplay_songs")
    assert entry.get("id") == "0"
    assert [child.tag for child in entry] == ["raw", "oid", "name", "link", "track"]
    assert entry.findtext("oid") == str(song["id"]) and entry.findtext("track") == "1"
    body = api.json("localplay_songs", auth=admin_token)
    assert list(body) == ["localplay_songs"]
    assert list(body["localplay_songs"][0]) == ["id", "raw", "oid", "name", "link", "track"]
    command(jukebox, admin_token, "delete_all")
    assert api.json("localplay_songs", auth=admin_token) == {"localplay_songs": []}


@needs_mpd
def test_add_errors(jukebox: Jukebox, admin_token: str, server: Any) -> None:
    assert error_of(command(jukebox, admin_token, "add", oid=999999)) == (
        "4704", "oid", "Not Found: 999999")
    assert error_of(command(jukebox, admin_token, "add"))[:2] == ("4710", "system")
    assert error_of(command(jukebox, admin_token, "add", oid=1, type="broadcast"))[:2] == (
        "4710", "type")
    assert error_of(command(jukebox, admin_token, "dance"))[:2] == ("4710", "command")
    # Videos are off by default ([features] allow_video): 4703, as Ampache answers.
    assert error_of(command(jukebox, admin_token, "add", oid=1, type="video"))[:2] == (
        "4703", "system")
    # No such radio station / episode (tables may be empty or absent): 4704, never a crash.
    for kind in ("live_stream", "podcast_episode"):
        assert error_of(command(jukebox, admin_token, "add", oid=424242, type=kind))[0] in (
            "4704", "4703")


@needs_mpd
def test_add_radio_and_podcast_episode(jukebox: Jukebox, mpd_server: Mpd, server: Any,
                                       admin_token: str) -> None:
    conn = server.db.reader()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"live_stream", "podcast", "podcast_episode"} <= tables:
        pytest.skip("radio/podcast tables are not in the schema yet")
    now = int(time.time())
    catalog = conn.execute("SELECT id FROM catalog ORDER BY id LIMIT 1").fetchone()[0]
    with server.db.writer() as w:
        station = w.execute(
            "INSERT INTO live_stream (name, url, codec, site_url)"
            " VALUES ('Test FM', 'http://127.0.0.1:9/test-fm.mp3', 'mp3', NULL)").lastrowid
        podcast = w.execute(
            "INSERT INTO podcast (catalog_id, feed_url, title, added, updated)"
            " VALUES (?, 'http://127.0.0.1:9/feed.xml', 'Jukebox Talk', ?, ?)",
            (catalog, now, now)).lastrowid
        episode = w.execute(
            "INSERT INTO podcast_episode (podcast_id, catalog_id, guid, title, source, mime,"
            " added, updated) VALUES (?, ?, 'g1', 'Pilot', 'http://127.0.0.1:9/e1.mp3',"
            " 'audio/mpeg', ?, ?)", (podcast, catalog, now, now)).lastrowid
    try:
        assert result(command(jukebox, admin_token, "add", oid=station, type="Live_Stream",
                              clear=1), "add") is True
        assert result(command(jukebox, admin_token, "add", oid=episode,
                              type="Podcast_Episode"), "add") is True
        with mpd_server.client() as c:
            radio, talk = (e["file"] for e in c.playlistinfo())
        assert radio == "http://127.0.0.1:9/test-fm.mp3"  # MPD plays the station itself
        assert talk.startswith(f"{jukebox.base}/play/index.php?")
        assert f"type=podcast_episode&oid={episode}&" in talk
        queue = jukebox.api.json("localplay_songs", auth=admin_token)["localplay_songs"]
        assert [e["raw"] for e in queue] == [radio, talk]
    finally:
        command(jukebox, admin_token, "delete_all")
        with server.db.writer() as w:
            w.execute("DELETE FROM podcast WHERE id = ?", (podcast,))
            w.execute("DELETE FROM live_stream WHERE id = ?", (station,))


def test_without_python_mpd2_the_answer_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from ampmini.config import parse_config
    from ampmini.localplay import LocalplayError, controller_for

    monkeypatch.setitem(sys.modules, "mpd", None)  # what `import mpd` meets when not installed
    config = parse_config(f"[localplay]\nhost = 127.0.0.1\nport = {free_port()}\n")
    with pytest.raises(LocalplayError, match=r"python-mpd2 is not installed"):
        controller_for(config.localplay).status()


@needs_mpd
def test_level_below_localplay_level_is_refused(jukebox: Jukebox, token: str) -> None:
    answer = jukebox.api.json("localplay", auth=token, command="status")
    assert error_of(answer) == ("4742", "account", "Require: 100")


@needs_mpd
def test_mpd_down_answers_4710_quickly_and_recovers(jukebox: Jukebox, mpd_server: Mpd,
                                                    admin_token: str) -> None:
    assert result(command(jukebox, admin_token, "status"), "status")["state"]
    mpd_server.stop()
    try:
        code, kind, message = error_of(command(jukebox, admin_token, "status"))
        assert (code, kind) == ("4710", "account")
        assert "not running" in message or "lost the connection" in message, message
    finally:
        mpd_server.start()
    assert result(command(jukebox, admin_token, "status"), "status")["state"] in (
        "stop", "play", "pause")
    # Restarted between two requests: the connection held is dead, and is replaced by
    # itself within the same request.
    mpd_server.stop()
    mpd_server.start()
    assert result(command(jukebox, admin_token, "stop"), "stop") is True


@needs_mpd
def test_closed_port_and_silent_mpd_answer_4710(jukebox: Jukebox, mpd_server: Mpd,
                                                admin_token: str) -> None:
    closed = free_port()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection in the kernel, never says hello
    try:
        jukebox.configure(f"host = 127.0.0.1\nport = {closed}\ntimeout = 1\n")
        code, kind, message = error_of(command(jukebox, admin_token, "status"))
        assert (code, kind) == ("4710", "account")
        assert "connection refused" in message
        jukebox.configure(f"host = 127.0.0.1\nport = {silent.getsockname()[1]}\ntimeout = 1\n")
        code, kind, message = error_of(command(jukebox, admin_token, "play"))
        assert (code, kind) == ("4710", "account")
        assert "did not answer within 1s" in message
        assert error_of(jukebox.api.json("localplay_songs", auth=admin_token))[0] == "4710"
    finally:
        silent.close()
        jukebox.configure(path_mode(mpd_server, jukebox.root))


@needs_mpd
def test_the_ampache_client_library(jukebox: Jukebox, server: Any) -> None:
    import ampache

    (song,) = songs_of(server, "m4a", 1)
    for fmt in ("json", "xml"):
        client = ampache.API()
        client.set_format(fmt)
        client.set_url(jukebox.base)
        stamp = int(time.time())
        client.handshake(jukebox.base, client.encrypt_password(ADMIN[1], stamp), ADMIN[0], stamp)
        client.localplay("add", song["id"], "Song", True)
        queue = client.localplay_songs()
        if fmt == "json":
            assert queue["localplay_songs"][0]["oid"] == str(song["id"])
            assert client.localplay("status")["localplay"]["command"]["status"]["state"]
        else:
            assert queue.find("localplay_songs").findtext("oid") == str(song["id"])
            assert client.localplay("status").find("localplay/command/status/state") is not None
    stamp = int(time.time())
    user = ampache.API()
    user.set_format("json")
    user.set_url(jukebox.base)
    user.handshake(jukebox.base, user.encrypt_password(USER[1], stamp), USER[0], stamp)
    assert user.localplay("status")["error"]["errorCode"] == "4742"


def test_doctor_lines(library: dict[str, Any], server: Any) -> None:
    from ampmini.config import parse_config
    from ampmini.localplay import doctor

    assert "not configured" in doctor(parse_config("").localplay)[0]
    closed = parse_config(f"[localplay]\nhost = 127.0.0.1\nport = {free_port()}\ntimeout = 1\n")
    assert "FAIL" in doctor(closed.localplay)[0]


@needs_mpd
def test_doctor_checks_the_mapping(library: dict[str, Any], mpd_server: Mpd,
                                   server: Any) -> None:
    from ampmini.config import parse_config
    from ampmini.localplay import doctor

    (song,) = songs_of(server, "mp3", 1)
    good = parse_config(f"[localplay]\n{path_mode(mpd_server, library['root'])}")
    lines = doctor(good.localplay, song["path"])
    assert lines[0].startswith("localplay: OK") and lines[-1].startswith("localplay: OK MPD knows")
    wrong = parse_config(f"[localplay]\n{url_mode(mpd_server)}music_directory = "
                         f"{library['root'].parent}\n")
    assert "FAIL" in doctor(wrong.localplay, song["path"])[-1]
