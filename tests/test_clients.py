"""Each app in the field replays its own login-to-playback path against the real server.

One test per app, named after it; each step cites the app's source file that sends the request
and asserts what that app's parser reads, in the form it reads it (docs/clients.md has the table):
Amperfy (XML, 500000, Swift XMLParser), Power Ampache 2 (JSON, no version, Gson), Ample (JSON,
6.6.8, Bearer header), the Kodi plugin (XML, 680001, ElementTree), Foam (JSON, 5.6.0, PHP
arrays), Amproid (XML, no version, XmlPullParser), SubMusic (JSON, 440000: refused cleanly),
and the `ampache` Python library in an API5 session.
"""

from __future__ import annotations

import hashlib
import re
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.conftest import USER


def passphrase(password: str, stamp: int) -> str:
    digest = hashlib.sha256(password.encode()).hexdigest()
    return hashlib.sha256(f"{stamp}{digest}".encode()).hexdigest()


def get(base: str, fmt: str, headers: dict[str, str] | None = None, **params: Any
        ) -> requests.Response:
    response = requests.get(f"{base}/server/{fmt}.server.php", params=params,
                            headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def xml(base: str, **params: Any) -> ET.Element:
    root = ET.fromstring(get(base, "xml", **params).content)
    assert root.find("error") is None, ET.tostring(root)
    return root


def js(base: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    body = get(base, "json", headers, **params).json()
    assert not (isinstance(body, dict) and "error" in body), body
    return body


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def is_int_text(text: str | None) -> bool:
    return text is not None and re.fullmatch(r"-?\d+", text) is not None


def int_or_empty(text: str | None) -> bool:
    """Swift `Int(buffer) ?? 0`: an unrated `<rating/>` (Ampache's own form) reads as 0."""
    return text == "" or is_int_text(text)


def iso_date(text: str) -> datetime:
    """Amperfy's `asIso8601Date`, SubMusic's parseISODate: a date with an offset."""
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, text
    return parsed


def fetch_audio(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    """A player's first request: the first bytes, with Range (seekable players)."""
    answer = requests.get(url, headers={"Range": "bytes=0-99", **(headers or {})}, timeout=30)
    assert answer.status_code == 206, (answer.status_code, answer.text[:200])
    assert len(answer.content) == 100
    assert answer.headers["Content-Range"].startswith("bytes 0-99/")
    return answer


def album_with_songs(base: str, token: str) -> str:
    """Abbey Road: an album with an album artist, genres and several tracks."""
    return js(base, auth=token, action="albums", filter="Abbey Road")["album"][0]["id"]


# ---------------------------------------------------------------- Amperfy


def test_amperfy_xml_api5_path(server) -> None:
    """Amperfy (iOS): AmperfyKit/Api/Ampache/AmpacheXmlServerApi.swift sends every request to
    /server/xml.server.php with `version=500000`; AmperfyKit/Api/Ampache/*ParserDelegate.swift
    read the API5 XML with Foundation's XMLParser (element text, `id` attributes)."""
    base = server.base
    stamp = int(time.time())
    # AuthParserDelegate: auth, api (Int(api) >= 420000 enables podcasts), session_expire as
    # an ISO-8601 date, update/add/clean dates, and the counters as Int.
    hs = xml(base, action="handshake", auth=passphrase(USER[1], stamp), timestamp=stamp,
             version="500000", user=USER[0])
    token = hs.findtext("auth")
    assert token and len(token) == 32
    assert int(hs.findtext("api")) >= 420000
    assert iso_date(hs.findtext("session_expire")).timestamp() > time.time()
    for key in ("update", "add", "clean"):
        iso_date(hs.findtext(key))
    for key in ("songs", "artists", "albums", "genres", "playlists", "podcasts", "videos"):
        assert is_int_text(hs.findtext(key)), key
    assert hs.find("max_song") is None  # an API5 handshake
    artist_count = int(hs.findtext("artists"))

    # AmpacheLibrarySyncer.syncInitial: genres, artists/albums in pages, playlists, podcasts.
    genres = xml(base, action="genres", auth=token)
    assert all(g.get("id") and g.findtext("name") for g in genres.findall("genre"))
    artists = xml(base, action="artists", auth=token, offset=0, limit=500)
    assert len(artists.findall("artist")) == artist_count
    assert xml(base, action="albums", auth=token, offset=0, limit=500).find("md5") is None
    xml(base, action="playlists", auth=token)
    xml(base, action="podcasts", auth=token)
    catalog = xml(base, action="catalogs", auth=token).find("catalog")
    assert catalog.findtext("name")
    # syncIndexes(musicFolder): artists of a catalog through advanced_search.
    in_catalog = xml(base, action="advanced_search", auth=token, rule_1="catalog",
                     rule_1_operator=0, rule_1_input=catalog.get("id"), type="artist")
    assert in_catalog.findall("artist")

    # Artist → albums → songs (sync(artist:), sync(album:)).
    album_id = album_with_songs(base, token)
    album = xml(base, action="album", auth=token, filter=album_id).find("album")
    # AlbumParserDelegate: <artist id="…">NAME</artist> — the API5 text form of a reference.
    artist = album.find("artist")
    assert artist.get("id") and artist.text and len(artist) == 0
    for key in ("year", "time", "songcount", "flag"):
        assert is_int_text(album.findtext(key)), key
    assert int_or_empty(album.findtext("rating"))
    assert query(album.findtext("art"))["object_type"] == "album"
    artist_info = xml(base, action="artist", auth=token, filter=artist.get("id")).find("artist")
    assert is_int_text(artist_info.findtext("albumcount"))
    assert xml(base, action="artist_albums", auth=token, filter=artist.get("id")).findall("album")
    assert xml(base, action="artist_songs", auth=token, filter=artist.get("id")).findall("song")
    songs = xml(base, action="album_songs", auth=token, filter=album_id).findall("song")
    song = songs[0]
    # SongParserDelegate / PlayableParserDelegate.
    for ref in ("artist", "album"):
        element = song.find(ref)
        assert element.get("id") and element.text and len(element) == 0, ref
    assert all(g.text and len(g) == 0 for g in song.findall("genre"))
    for key in ("track", "year", "time", "size", "bitrate", "flag"):
        assert is_int_text(song.findtext(key)), key
    assert int_or_empty(song.findtext("rating"))
    assert song.findtext("title") and song.findtext("mime") and song.findtext("disk")
    assert query(song.findtext("art"))["object_id"]
    assert xml(base, action="song", auth=token, filter=song.get("id")).find("song") is not None

    # Search (requestSearch*): artists/albums with filter, search_songs; favourites rule with
    # an empty input (Decision 15); home screen: stats newest/recent albums.
    assert xml(base, action="artists", auth=token, filter="Bj", limit=40).findall("artist")
    xml(base, action="albums", auth=token, filter="Abbey", limit=40)
    assert xml(base, action="search_songs", auth=token, filter="a", limit=40).findall("song")
    for kind in ("artist", "album", "song"):
        xml(base, action="advanced_search", auth=token, rule_1="favorite", rule_1_operator=0,
            rule_1_input="", type=kind)
    assert xml(base, action="stats", auth=token, type="album", filter="newest", limit=20,
               offset=0).findall("album")
    xml(base, action="stats", auth=token, type="album", filter="recent", limit=20, offset=0)
    random_songs = xml(base, action="playlist_generate", auth=token, mode="random",
                       format="song", limit=5)
    assert random_songs.findall("song")
    xml(base, action="get_similar", auth=token, type="song", filter=song.get("id"), limit=50)

    # Rate and flag use `id` (requestRate / requestSetFavorite); AmpacheXmlParser reads the
    # API5 success element's text.
    rated = xml(base, action="rate", auth=token, type="song", id=song.get("id"), rating=4)
    assert rated.find("success").text and rated.find("success/message") is None
    xml(base, action="flag", auth=token, type="album", id=album_id, flag=1)
    again = xml(base, action="song", auth=token, filter=song.get("id")).find("song")
    assert again.findtext("rating") == "4"

    # Play: the app builds its own stream URL (generateUrlForStreamingPlayable) and art URL
    # (generateUrlForArtwork: /image.php?auth=…&object_id=…&object_type=…).
    stream = (f"{base}/server/xml.server.php?auth={token}&action=stream&type=song"
              f"&id={song.get('id')}&format=raw&length=1")
    fetch_audio(stream)
    art = requests.get(f"{base}/image.php", params={"auth": token, "object_id": album_id,
                                                     "object_type": "album"}, timeout=30)
    assert art.status_code == 200 and art.headers["Content-Type"].startswith("image/")
    # Scrobble (requestRecordPlay): `user` is the login *name*, plus date and id.
    played = xml(base, action="record_play", auth=token, user=USER[0],
                 date=int(time.time()), id=song.get("id"))
    assert played.find("success") is not None


# ---------------------------------------------------------------- Power Ampache 2


def test_power_ampache_2_json_gson_path(server) -> None:
    """Power Ampache 2 (Android): data-ampache/…/data/remote/MainNetwork.kt (Retrofit, no
    `version` sent → API6) and the Gson DTOs in data-ampache/…/data/remote/dto/*.kt."""
    base = server.base
    stamp = int(time.time())
    # MusicRepositoryImpl.authorize lowercases the user name it sends (Decision 12).
    auth = js(base, action="handshake", auth=passphrase(USER[1], stamp), user=USER[0].upper(),
              timestamp=stamp)
    token = auth["auth"]
    # AuthDto: counts Int?, dates String?.
    for key in ("songs", "albums", "artists", "genres", "playlists", "playlists_searches",
                "podcasts", "podcast_episodes", "videos", "catalogs", "shares", "users"):
        assert isinstance(auth[key], int), key
    for key in ("session_expire", "update", "add", "clean", "api"):
        assert isinstance(auth[key], str), key
    user = js(base, action="user", auth=token, username=USER[0].lower())  # UserDto
    assert user["username"] == USER[0] and isinstance(user["id"], str)

    # Home screen: stats for albums and songs (limit/offset/username as sent), genres limit=0.
    newest = js(base, action="stats", auth=token, limit=30, username=USER[0], type="album",
                filter="newest", offset=0)
    assert newest["album"]
    js(base, action="stats", auth=token, limit=5000, username=USER[0], type="song",
       filter="recent", offset=0)
    genres = js(base, action="genres", auth=token, exact=0, offset=0, limit=0)  # limit=0: page
    assert genres["genre"]

    # Library: albums with sort name,ASC; artists album_artist=1 (AlbumDto / ArtistDto).
    albums = js(base, action="albums", auth=token, limit=40, exact=0, sort="name,ASC", offset=0)
    assert isinstance(albums["total_count"], int)
    album_id = album_with_songs(base, token)
    album = js(base, action="album", auth=token, limit=0, filter=album_id, offset=0)
    for key in ("time", "year", "songcount", "diskcount"):
        assert isinstance(album[key], int), key
    assert album["rating"] is None or isinstance(album["rating"], int)
    assert isinstance(album["artist"], dict) and isinstance(album["artist"]["id"], str)
    artists = js(base, action="artists", auth=token, limit=40, exact=0, album_artist=1, offset=0)
    artist = artists["artist"][0]
    for key in ("albumcount", "songcount", "time"):
        assert isinstance(artist[key], int), key
    assert artist["yearformed"] is None or isinstance(artist["yearformed"], int)
    assert isinstance(artist["genre"], list)

    # Artist → albums → songs with limit=0 (Decision 15).
    artist_id = album["artist"]["id"]
    assert js(base, action="artist_albums", auth=token, limit=0, filter=artist_id, offset=0
              )["album"]
    js(base, action="artist_songs", auth=token, limit=0, filter=artist_id, offset=0, top50=0)
    songs = js(base, action="album_songs", auth=token, limit=0, filter=album_id, offset=0)["song"]
    song = songs[0]
    # SongDto: size/time/track/year/playcount Int?, refs {id: String, name}, genre list.
    for key in ("size", "time", "track", "year", "playcount"):
        assert isinstance(song[key], int), key
    for ref in ("album", "artist", "albumartist"):
        assert isinstance(song[ref]["id"], str) and isinstance(song[ref]["name"], str), ref
    assert all(isinstance(a["id"], str) for a in song["artists"])
    assert isinstance(song["url"], str)

    # Search: search_songs exact=0; playlists include=songs hide_search=0 show_dupes=1.
    assert js(base, action="search_songs", auth=token, limit=40, filter="a", exact=0, offset=0
              )["song"]
    playlists = js(base, action="playlists", auth=token, limit=0, exact=0, offset=0,
                   include="songs", hide_search=0, show_dupes=1)
    assert isinstance(playlists["playlist"], list)

    # Rate/flag with `id` (MainNetwork.rate / flag), then record_play with id + date.
    assert "success" in js(base, action="flag", auth=token, id=song["id"], flag=1, type="song")
    assert "success" in js(base, action="rate", auth=token, id=album_id, rating=5, type="album")
    assert js(base, action="album", auth=token, filter=album_id)["rating"] == 5

    # Play: SongUrl.kt builds json.server.php?action=stream&stats=0&auth=…&type=song&id=….
    fetch_audio(f"{base}/server/json.server.php?action=stream&stats=0&auth={token}"
                f"&type=song&id={song['id']}")
    assert "success" in js(base, action="record_play", auth=token, id=song["id"],
                           date=int(time.time()))
    scrobbled = js(base, action="scrobble", auth=token, song=song["title"],
                   artist=song["artist"]["name"], album=song["album"]["name"])
    assert "success" in scrobbled


# ---------------------------------------------------------------- Ample


def test_ample_bearer_json_path(server) -> None:
    """Ample (web): src/logic/user.js and the javascript-ampache library it uses
    (src/base.js `_buildURL`/`request`, src/auth.js `handshake`): every call is
    json.server.php?action=…&version=6.6.8 with `Authorization: Bearer <token>` and no `auth`."""
    base = server.base
    stamp = int(time.time())
    # auth.js handshake with a Bearer passphrase (Decision 10), user + timestamp in the query.
    login = js(base, {"Authorization": "Bearer " + passphrase(USER[1], stamp)},
               action="handshake", user=USER[0], timestamp=stamp, version="6.6.8")
    bearer = {"Authorization": "Bearer " + login["auth"]}
    assert login["api"] == "6.9.1"

    def call(action: str, **params: Any) -> Any:
        return js(base, bearer, action=action, version="6.6.8", **params)

    # validateSession: ping with the header only, expects `auth` back (Decision 16).
    assert call("ping")["auth"] == login["auth"]
    me = call("user")  # login(): API.user() with no username = the caller
    assert me["username"] == USER[0]
    preflight = requests.options(f"{base}/server/json.server.php", timeout=30)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"  # Decision 9

    # Home: stats and advanced_search with operator/random and rules as rule_N triplets.
    assert call("stats", type="album", filter="newest", offset=0, limit=50)["album"]
    found = call("advanced_search", type="album", operator="and", random=1, offset=0, limit=50,
                 rule_1="title", rule_1_operator=0, rule_1_input="Abbey")
    album = found["album"][0]
    assert isinstance(found["total_count"], int) and isinstance(found["md5"], str)
    call("advanced_search", type="album", operator="and", random=0, offset=0, limit=50,
         rule_1="title", rule_1_operator=8, rule_1_input="^A")

    # artist.js / album.js / song.js: artist, artistAlbums, artistSongs sort=track,ASC, albumSongs.
    artist = call("artist", filter=album["artist"]["id"])
    assert artist["has_art"] in (True, False)
    call("artist_albums", filter=artist["id"])
    call("artist_songs", filter=artist["id"], sort="track,ASC")
    songs = call("album_songs", filter=album["id"])["song"]
    tracks = [(s["disk"], s["track"]) for s in songs]
    assert tracks == sorted(tracks)  # Decision 18
    song = songs[0]
    assert "oid=" in song["url"] and "type=song" in song["url"]  # Decision 19

    # rating.svelte: rate / flag with type + id.
    assert "success" in call("rate", type="song", id=song["id"], rating=3)
    assert "success" in call("flag", type="song", id=song["id"], flag=1)
    assert call("song", filter=song["id"])["flag"] is True  # Decision 17

    # player.js cacheHandler: stream(id, type) as a blob with the Bearer header; then `player`.
    blob = requests.get(f"{base}/server/json.server.php", headers=bearer, timeout=30,
                        params={"action": "stream", "version": "6.6.8", "id": song["id"],
                                "type": "song"})
    assert blob.status_code == 200 and blob.content
    assert blob.headers["Access-Control-Allow-Origin"] == "*"
    now = call("player", filter=song["id"], type="song", state="play", client="Ample")
    assert "error" not in now


# ---------------------------------------------------------------- Kodi


def test_kodi_plugin_xml_numeric_version_path(server) -> None:
    """Kodi plugin (plugin.audio.ampache): resources/lib/ampache_connect.py sends
    xml.server.php?action=handshake&…&version=680001 and int()s the `api` it gets back;
    resources/lib/ampache_plugin.py reads nested <artist><name> (API ≥ 600000) and plays `url`."""
    base = server.base
    stamp = int(time.time())
    hs = xml(base, action="handshake", auth=passphrase(USER[1], stamp), timestamp=stamp,
             version="680001", user=USER[0])
    api_version = int(hs.findtext("api"))  # fillConnectionSettings: int(version)
    assert api_version >= 600000  # Decision 20: a numeric request gets a numeric api
    for key in ("artists", "albums", "songs", "playlists_searches", "videos", "podcasts",
                "live_streams"):
        assert is_int_text(hs.findtext(key)), key
    assert hs.findtext("session_expire") and hs.findtext("add")
    token = hs.findtext("auth")

    # build_ampache_url: action, auth, limit, offset, filter, add, type, mode, exact, id.
    artists = xml(base, action="artists", auth=token, limit=100)
    artist = artists.find("artist")
    assert artist.get("id") and artist.findtext("name")
    albums = xml(base, action="artist_albums", auth=token, filter=artist.get("id"), limit=100)
    for album in albums.findall("album"):
        # get_name(): getNestedTypeText(node, "name", "artist") for API ≥ 600000.
        assert album.find("artist").findtext("name")
        assert album.findtext("art")
    album_id = album_with_songs(base, token)
    songs = xml(base, action="album_songs", auth=token, filter=album_id, limit=100)
    song = songs.find("song")
    assert song.find("artist").findtext("name") and song.find("album").findtext("name")
    for key in ("time", "year", "track"):
        assert is_int_text(song.findtext(key)), key
    float(song.findtext("rating") or 0)  # ut.getRating: int(float(rating) * 2)
    assert song.findtext("mime")
    # Search (do_search): songs/albums/artists with filter; stats (get_stats).
    assert xml(base, action="songs", auth=token, filter="a", limit=100).findall("song")
    assert xml(base, action="stats", auth=token, type="album", filter="newest", limit=10
               ).findall("album")
    # play_track: Kodi plays the song's `url`; setRating reads `oid` back out of that URL.
    play_url = song.findtext("url")
    fetch_audio(play_url)
    oid = query(play_url)["oid"]
    assert oid == song.get("id")
    rated = xml(base, action="rate", auth=token, id=oid, type="song", rating=2)
    assert rated.find("success") is not None
    # getCodeMessError: an error is <error><errorMessage>…</errorMessage></error>.
    err = ET.fromstring(get(base, "xml", action="album", auth=token, filter="999999").content)
    assert err.find("error").findtext("errorMessage")


# ---------------------------------------------------------------- Foam


def test_foam_json_api5_path(server) -> None:
    """Foam (web, PHP): includes/connect.php and includes/callAPI.php send
    json.server.php?…&version=5.6.0&auth=… on *every* call (a password handshake on each page
    view, Decision 11) and index the decoded arrays (`$results['album'][$i]['artist']['name']`)."""
    base = server.base

    def login() -> dict[str, Any]:
        stamp = int(time.time())
        return js(base, action="handshake", version="5.6.0", auth=passphrase(USER[1], stamp),
                  timestamp=stamp, user=USER[0])

    for _ in range(8):  # more page views than the limiter's free failures: never refused
        hshake = login()
    token = hshake["auth"]
    assert hshake["api"] == "5.5.6"
    for key in ("songs", "albums", "artists", "playlists"):
        assert isinstance(hshake[key], int), key

    def call(action: str, **params: Any) -> Any:
        return js(base, action=action, version="5.6.0", auth=token, **params)

    # Home (callAPI.php): stats type=album limit=24; albums/artists/songs pages with filter.
    results = call("stats", type="album", limit=24, filter="newest", offset=0)
    assert "total_count" not in results  # API5 JSON lists carry no total_count/md5
    first = results["album"][0]
    assert first["id"] and first["name"] and first["artist"]["name"] and first["art"]
    assert set(first["artist"]) == {"id", "name"}
    call("albums", limit=24, filter="", offset=0)
    assert call("artists", limit=20, filter="", offset=0)["artist"]
    call("songs", limit=20, filter="", offset=0)

    # album_view.php: `$main_results['album'][0]['songcount']` — the API5 wrapped album.
    album_id = album_with_songs(base, token)
    main = call("album", filter=album_id)
    assert main["album"][0]["songcount"] > 0 and main["album"][0]["artist"]["id"]
    songs = call("album_songs", filter=album_id)["song"]
    song = songs[0]
    assert song["title"] and song["album"]["id"] and song["artist"]["name"]
    assert song["flag"] in (0, 1)  # API5: 0/1, not a JSON boolean
    # artist view: the bare artist object; its songs and albums.
    artist = call("artist", filter=song["artist"]["id"])
    assert artist["name"] and isinstance(artist["albumcount"], int)
    call("artist_songs", filter=artist["id"])
    call("artist_albums", filter=artist["id"])
    # Playlists (hide_search=1), the smart search bar (advanced_search title, limit=6).
    call("playlists", limit=24, hide_search=1, filter="", offset=0)
    for kind in ("artist", "album", "song"):
        call("advanced_search", type=kind, limit=6, rule_1="title", rule_1_operator=0,
             rule_1_input="a")
    # favAPI.php: flag type/id/flag; playlistAPI.php: create, add song, rename, delete.
    assert "success" in call("flag", type="song", id=song["id"], flag=1)
    created = call("playlist_create", name="Foam queue")
    playlist_id = created["id"]
    assert "success" in call("playlist_add_song", filter=playlist_id, song=song["id"])
    assert call("playlist", filter=playlist_id)["items"] == 1
    assert "success" in call("playlist_edit", filter=playlist_id, name="Foam saved")
    assert "success" in call("playlist_delete", filter=playlist_id)
    # build_tracks.php plays `$song['url']` in howler.js.
    fetch_audio(song["url"])


# ---------------------------------------------------------------- Amproid


def test_amproid_xml_pull_parser_path(server) -> None:
    """Amproid (Android): service/…/AmpacheAPICaller.java, XML via XmlPullParser, no `version`
    (→ API6 dotted `api`, which apiVersionFromString turns into 6009001 ≥ MIN_API_VERSION)."""
    base = server.base
    stamp = int(time.time())
    hs = xml(base, action="handshake", auth=passphrase(USER[1], stamp), timestamp=stamp,
             user=USER[0])
    major, minor, patch = (int(p) for p in hs.findtext("api").split("."))
    assert major * 1_000_000 + minor * 1000 + patch >= 5_000_000
    token = hs.findtext("auth")
    # isTokenValid: playlist_generate limit=1 format=index must carry <total_count>.
    check = xml(base, action="playlist_generate", auth=token, limit=1, format="index")
    assert check.find("total_count") is not None
    # Even an empty list carries total_count (Decision 14).
    empty = xml(base, action="artists", auth=token, filter="no such artist anywhere")
    assert empty.findtext("total_count") == "0"
    # Home: newest albums; radios and playlists with limit=none.
    newest = xml(base, action="stats", auth=token, type="album", filter="newest", limit=10)
    album = newest.find("album")
    assert album.findtext("name") and album.findtext("art")
    xml(base, action="live_streams", auth=token, limit="none")
    xml(base, action="playlists", auth=token, limit="none")
    # getTracks: album_songs / artist_albums with limit=none; each song's title, album, artist
    # (nested <name>, read as lastDeepName), art, genre and url.
    album_id = album_with_songs(base, token)
    songs = xml(base, action="album_songs", auth=token, filter=album_id, limit="none")
    song = songs.find("song")
    assert song.findtext("title") and song.find("album").findtext("name")
    assert song.find("artist").get("id") and song.find("artist").findtext("name")
    xml(base, action="artist_albums", auth=token, filter=song.find("artist").get("id"),
        limit="none")
    # Recommendations and search: advanced_search random=1 with several rules.
    xml(base, action="advanced_search", auth=token, type="song", random=1, limit=20,
        rule_1="recent_added", rule_1_operator=0, rule_1_input=20)
    xml(base, action="advanced_search", auth=token, type="song", random=1, limit=20,
        operator="or", rule_1="title", rule_1_operator=0, rule_1_input="a",
        rule_2="artist", rule_2_operator=0, rule_2_input="a")
    xml(base, action="advanced_search", auth=token, random=1, type="song",
        rule_1="favorite", rule_1_operator=0, rule_1_input="")
    xml(base, action="playlist_generate", auth=token, artist=song.find("artist").get("id"),
        limit=10)
    # Playback: the song's `url` (Amproid records plays through the play URL itself).
    fetch_audio(song.findtext("url"))


# ---------------------------------------------------------------- SubMusic


def test_submusic_api4_refused_in_its_own_error_shape(server) -> None:
    """SubMusic (Garmin): source/Api/AmpacheAPI.mc sends `version=440000` (JSON) and
    source/Api/AmpacheError.mc reads `error.code` (toNumber) and `error.message` on an HTTP 200
    answer (Decision 21): the watch shows the message instead of failing to parse."""
    stamp = int(time.time())
    body = get(server.base, "json", action="handshake", user=USER[0], timestamp=stamp,
               auth=passphrase(USER[1], stamp), version="440000").json()
    error = body["error"]
    assert int(error["code"]) in (400, 401, 403, 404, 405, 406, 410, 442)
    assert "API" in error["message"]
    xml_body = ET.fromstring(get(server.base, "xml", action="handshake", user=USER[0],
                                 timestamp=stamp, auth=passphrase(USER[1], stamp),
                                 version="440000").content)
    assert xml_body.find("error").get("code") and xml_body.find("error").text


# ---------------------------------------------------------------- ampache (PyPI)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_python_ampache_library_api5_session(server, fmt) -> None:
    """python3-ampache (ampache.py): `set_version` forces the version it sends; in an API5
    session its parsers still find the lists (it reads `data[key]` / `findall(key)`)."""
    import ampache

    client = ampache.API()
    client.set_format(fmt)
    client.set_version("5.5.6")
    client.set_url(server.base)
    stamp = int(time.time())
    token = client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0],
                             stamp, version="5.5.6")
    assert token and len(token) == 32
    songs = client.songs(limit=3)
    if fmt == "json":
        assert "total_count" not in songs and len(songs["song"]) == 3
        assert set(songs["song"][0]["artist"]) == {"id", "name"}
    else:
        assert len(songs.findall("song")) == 3 and songs.find("md5") is None
    client.goodbye()
