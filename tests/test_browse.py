"""Browsing the generated library: grouping, order, filters, paging, include, search."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest


def album_named(api: Any, token: str, name: str) -> dict[str, Any]:
    found = api.json("albums", auth=token, filter=name, exact=1)["album"]
    assert len(found) == 1, found
    return found[0]


def test_multi_disc_album_is_one_album_in_disc_then_track_order(api, token) -> None:
    wall = album_named(api, token, "The Wall")
    assert wall["diskcount"] == 2 and wall["songcount"] == 4
    songs = api.json("album_songs", auth=token, filter=wall["id"])["song"]
    assert [(s["disk"], s["track"]) for s in songs] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [s["title"] for s in songs][2] == "Hey You"


@pytest.mark.parametrize("name", ["80s Hits", "Movie Themes", "Chill Out Sessions"])
def test_compilations_are_one_album_by_various_artists(api, token, name) -> None:
    album = album_named(api, token, name)
    assert album["artist"]["name"] == "Various Artists"
    assert len(album["songartists"]) == album["songcount"]


def test_same_album_name_by_two_artists_stays_two_albums(api, token) -> None:
    found = api.json("albums", auth=token, filter="Greatest Hits", exact=1)["album"]
    assert sorted(a["artist"]["name"] for a in found) == ["ABBA", "Queen"]


def test_article_prefix_is_split_and_sorts_by_basename(api, token) -> None:
    beatles = api.json("artists", auth=token, filter="Beatles")["artist"][0]
    assert (beatles["prefix"], beatles["basename"]) == ("The", "Beatles")
    names = [a["basename"].casefold() for a in api.json("artists", auth=token)["artist"]]
    assert names == sorted(names)


def test_non_ascii_and_markup_characters_survive_both_formats(api, token) -> None:
    song = api.json("search_songs", auth=token, filter="bold")["song"][0]
    assert song["title"] == 'It\'s <b>bold</b> & "quoted"'
    root = api.xml("song", auth=token, filter=song["id"])
    assert root.find("song/title").text == song["title"]
    assert root.find("song/album/name").text == 'Rock & Roll <Live> ]]> "Edition"'
    jp = api.json("artists", auth=token, filter="坂本")["artist"]
    assert jp[0]["name"] == "坂本龍一"


def test_filter_is_case_insensitive_beyond_ascii(api, token) -> None:
    upper = api.json("artists", auth=token, filter="MOTÖRHEAD")["artist"]
    assert [a["name"] for a in upper] == ["Motörhead"]


def test_paging_total_count_and_md5(api, token) -> None:
    everything = api.json("songs", auth=token, limit="none")
    ids = [s["id"] for s in everything["song"]]
    assert everything["total_count"] == len(ids)
    serial = "a:{}:{{{}}}".format(len(ids), "".join(f"i:{i};i:{v};" for i, v in enumerate(ids)))
    assert everything["md5"] == hashlib.md5(serial.encode(), usedforsecurity=False).hexdigest()
    page = api.json("songs", auth=token, offset=5, limit=3)
    assert [s["id"] for s in page["song"]] == ids[5:8]
    assert page["total_count"] == len(ids)
    past = api.json("songs", auth=token, offset=10_000)
    assert past["song"] == [] and past["total_count"] == len(ids)
    assert api.json("songs", auth=token, limit=0)["song"] == everything["song"]


def test_xml_total_count_is_the_exact_match_count(api, token) -> None:
    root = api.xml("albums", auth=token, filter="Greatest Hits")
    assert root.find("total_count").text == "2"
    assert len(root.findall("album")) == 2


def test_empty_list_keeps_the_envelope(api, token) -> None:
    empty = api.json("albums", auth=token, filter="no such album at all")
    assert empty == {"total_count": 0, "md5": "40cd750bba9870f18aada2478b24840a", "album": []}
    root = api.xml("albums", auth=token, filter="no such album at all")
    assert root.find("total_count").text == "0"  # Decision 14
    assert root.find("md5") is not None


def test_sort_whitelist_and_unknown_sort_is_ignored(api, token) -> None:
    by_year = api.json("albums", auth=token, sort="year,DESC")["album"]
    years = [a["year"] for a in by_year]
    assert years == sorted(years, reverse=True)
    default = api.json("albums", auth=token)["album"]
    assert api.json("albums", auth=token, sort="id; DROP TABLE album")["album"] == default


def test_include_nests_children(api, token) -> None:
    artist = api.json("artists", auth=token, filter="Björk", include="albums,songs")["artist"][0]
    assert {a["name"] for a in artist["albums"]} == {"Homogenic", "Post"}
    assert len(artist["songs"]) == artist["songcount"]
    album = api.json("album", auth=token, filter=artist["albums"][0]["id"], include="songs")
    assert len(album["tracks"]) == album["songcount"]


def test_genres_split_and_count(api, token) -> None:
    genres = {g["name"].casefold(): g for g in api.json("genres", auth=token)["genre"]}
    assert "progressive rock" in genres and "r&b" in genres
    rock_songs = api.json("genre_songs", auth=token, filter=genres["progressive rock"]["id"])
    assert rock_songs["total_count"] == 4
    beatles = api.json("search_songs", auth=token, filter="Come Together")["song"][0]
    assert {g["name"] for g in beatles["genre"]} >= {"Pop"}


def test_song_fields_follow_the_file(api, token, library) -> None:
    song = api.json("search_songs", auth=token, filter="Hyperballad")["song"][0]
    assert song["format"] == "ogg" and song["mime"] == "audio/ogg"
    assert song["filename"].endswith("Björk/Post/02 - Hyperballad.ogg")
    assert song["has_art"] is True  # the album folder has cover.jpg
    assert song["catalog"] == 1 and isinstance(song["catalog"], int)
    assert "ssid=" in song["url"] and "uid=" in song["url"] and "oid=" in song["url"]


def test_url_to_song_round_trip(api, token) -> None:
    song = api.json("search_songs", auth=token, filter="Jóga")["song"][0]
    assert api.json("url_to_song", auth=token, url=song["url"])["id"] == song["id"]


def test_advanced_search_and_or_random(api, token) -> None:
    rules = {"rule_1": "artist", "rule_1_operator": "4", "rule_1_input": "Björk",
             "rule_2": "year", "rule_2_operator": "0", "rule_2_input": "1997"}
    both = api.json("advanced_search", auth=token, type="song", operator="and", **rules)
    either = api.json("advanced_search", auth=token, type="song", operator="or", **rules)
    assert 0 < both["total_count"] < either["total_count"]
    shuffled = api.json("advanced_search", auth=token, random=1, operator="or", **rules)
    assert shuffled["total_count"] == either["total_count"]


def test_advanced_search_text_operators(api, token) -> None:
    def titles(op: str, value: str) -> set[str]:
        answer = api.json("advanced_search", auth=token, rule_1="title", rule_1_operator=op,
                          rule_1_input=value, limit="none")
        return {s["title"] for s in answer["song"]}

    assert titles("2", "Back") == {"Back in Black"}
    assert titles("3", "Bells") == {"Hells Bells"}
    assert titles("4", "sos") == {"SOS"}
    assert "SOS" not in titles("1", "SOS")
    assert titles("8", "^Ma(mma|in)") == {"Mamma Mia", "Main Title"}
    everything = titles("0", "%")  # `%` is a wildcard, as clients send it (spec §9.1)
    assert len(everything) > 30


def test_advanced_search_album_and_artist_types(api, token) -> None:
    albums = api.json("advanced_search", auth=token, type="album", rule_1="genre",
                      rule_1_operator="0", rule_1_input="Progressive")["album"]
    assert [a["name"] for a in albums] == ["The Wall"]
    artists = api.json("advanced_search", auth=token, type="artist", rule_1="album",
                       rule_1_operator="4", rule_1_input="Overkill")["artist"]
    assert [a["name"] for a in artists] == ["Motörhead"]


def test_advanced_search_requires_rule_1(api, token) -> None:
    answer = api.json("advanced_search", auth=token, type="song")
    assert answer["error"]["errorCode"] == "4710"
    bad = api.json("advanced_search", auth=token, type="nonsense", rule_1="title",
                   rule_1_operator="0", rule_1_input="x")
    assert bad["error"]["errorType"] == "type"


def test_get_indexes_list_index_browse(api, token) -> None:
    listed = api.json("list", auth=token, type="album_artist")["list"]
    assert any(i["name"] == "The Beatles" and i["prefix"] == "The" for i in listed)
    index = api.json("index", auth=token, type="album", include=1)["album"]
    _album, children = next(iter(index.items()))
    assert children and children[0]["type"] == "song" and isinstance(children[0]["id"], int)
    root = api.json("browse", auth=token)
    assert root["child_type"] == "catalog" and root["browse"]
    catalog = api.json("browse", auth=token, type="catalog", filter=root["browse"][0]["id"])
    assert catalog["child_type"] == "artist" and catalog["total_count"] > 5


def test_rate_flag_and_the_objects_show_it(api, token) -> None:
    song = api.json("search_songs", auth=token, filter="Something")["song"][0]
    assert api.json("rate", auth=token, type="song", id=song["id"], rating=4) == {
        "success": f"rating set to 4 for {song['id']}"}
    assert api.json("flag", auth=token, type="song", id=song["id"], flag=1) == {
        "success": f"flag ADDED to {song['id']}"}
    again = api.json("song", auth=token, filter=song["id"])
    assert again["rating"] == 4 and again["flag"] is True and again["averagerating"] == 4
    flagged = api.json("stats", auth=token, type="song", filter="flagged")["song"]
    assert song["id"] in [s["id"] for s in flagged]
    assert api.json("rate", auth=token, type="song", id=song["id"], rating=9)["error"][
        "errorType"] == "rating"
    assert api.json("rate", auth=token, type="nope", id=1, rating=1)["error"][
        "errorType"] == "type"
    assert api.json("flag", auth=token, type="album", id=999999, flag=1)["error"][
        "errorCode"] == "4704"


def test_ratings_are_per_user(api, token, admin_token) -> None:
    song = api.json("search_songs", auth=token, filter="Get Back")["song"][0]
    api.json("rate", auth=token, type="song", id=song["id"], rating=2)
    assert api.json("song", auth=admin_token, filter=song["id"])["rating"] is None


def test_record_play_scrobble_and_stats(api, token) -> None:
    song = api.json("search_songs", auth=token, filter="Hunter")["song"][0]
    before = song["playcount"]
    answer = api.json("record_play", auth=token, id=song["id"], client="tests")
    assert answer == {"success": f"successfully recorded play: {song['id']} for: alice"}
    scrobbled = api.json("scrobble", auth=token, song="Hunter", artist="Björk",
                         album="Homogenic")
    assert scrobbled == {"success": f"successfully scrobbled: {song['id']}"}
    assert api.json("song", auth=token, filter=song["id"])["playcount"] == before + 2
    recent = api.json("stats", auth=token, type="song", filter="recent")["song"]
    assert recent[0]["id"] == song["id"]
    frequent = api.json("stats", auth=token, type="artist", filter="frequent")["artist"]
    assert "Björk" in [a["name"] for a in frequent]
    missing = api.json("scrobble", auth=token, song="nope", artist="nope", album="nope")
    assert missing["error"]["errorCode"] == "4704"


def test_record_play_for_another_user_needs_admin(api, token) -> None:
    song = api.json("songs", auth=token, limit=1)["song"][0]
    answer = api.json("record_play", auth=token, id=song["id"], user="admin")
    assert answer["error"]["errorCode"] == "4742"


def test_get_similar(api, token) -> None:
    artist = api.json("artists", auth=token, filter="ABBA")["artist"][0]
    similar = api.json("get_similar", auth=token, type="artist", filter=artist["id"])
    assert artist["id"] not in [a["id"] for a in similar["artist"]]
    assert similar["total_count"] >= 1  # other Pop artists
