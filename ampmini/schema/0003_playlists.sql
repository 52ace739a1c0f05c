-- Playlists, smartlists, bookmarks, shares and now playing: what listeners keep (spec §6.6-6.9).
-- Everything hangs off a user (ON DELETE CASCADE); rows naming a song, album, artist or list
-- are removed by the triggers at the end, in the deleting transaction, so nothing dangles.

CREATE TABLE playlist (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    type        TEXT NOT NULL DEFAULT 'private' CHECK (type IN ('public', 'private')),
    date        INTEGER NOT NULL,            -- creation, epoch
    last_update INTEGER NOT NULL,
    source_path TEXT                         -- an imported .m3u file, NULL for API-made lists
);
CREATE INDEX playlist_by_user ON playlist(user_id, name COLLATE NOCASE);
CREATE INDEX playlist_by_name ON playlist(name COLLATE NOCASE);
CREATE INDEX playlist_by_type ON playlist(type);
CREATE UNIQUE INDEX playlist_by_source ON playlist(source_path) WHERE source_path IS NOT NULL;

-- Users allowed to add/remove items of somebody else's playlist (spec §6.6 "collab").
CREATE TABLE playlist_user (
    playlist_id INTEGER NOT NULL REFERENCES playlist(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    PRIMARY KEY (playlist_id, user_id)
) WITHOUT ROWID;
CREATE INDEX playlist_user_by_user ON playlist_user(user_id, playlist_id);

-- Entries in order: `track` is the 1-based position, renumbered after every change.
CREATE TABLE playlist_data (
    id          INTEGER PRIMARY KEY,
    playlist_id INTEGER NOT NULL REFERENCES playlist(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL DEFAULT 'song',
    object_id   INTEGER NOT NULL,
    track       INTEGER NOT NULL
);
CREATE INDEX playlist_data_by_track ON playlist_data(playlist_id, track);
CREATE INDEX playlist_data_by_object ON playlist_data(object_type, object_id);

-- A saved advanced_search (spec §9): rules as JSON [[name, operator, input], …].
CREATE TABLE smartlist (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    type        TEXT NOT NULL DEFAULT 'private' CHECK (type IN ('public', 'private')),
    rules       TEXT NOT NULL,
    logic       TEXT NOT NULL DEFAULT 'and' CHECK (logic IN ('and', 'or')),
    random      INTEGER NOT NULL DEFAULT 0,
    item_limit  INTEGER NOT NULL DEFAULT 0,  -- 0 = all matches
    last_count  INTEGER NOT NULL DEFAULT 0,  -- result size when last evaluated
    date        INTEGER NOT NULL,
    last_update INTEGER NOT NULL
);
CREATE INDEX smartlist_by_user ON smartlist(user_id, name COLLATE NOCASE);
CREATE INDEX smartlist_by_name ON smartlist(name COLLATE NOCASE);

-- Resume positions, keyed by user + object + client (spec §6.8).
CREATE TABLE bookmark (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    object_type   TEXT NOT NULL,
    object_id     INTEGER NOT NULL,
    position      INTEGER NOT NULL DEFAULT 0,
    client        TEXT NOT NULL DEFAULT '',
    creation_date INTEGER NOT NULL,
    update_date   INTEGER NOT NULL
);
CREATE UNIQUE INDEX bookmark_by_key ON bookmark(user_id, object_type, object_id, client);
CREATE INDEX bookmark_by_object ON bookmark(object_type, object_id);

-- Public links (spec §6.9). object_type `search` is a smartlist.
CREATE TABLE share (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    object_type    TEXT NOT NULL,
    object_id      INTEGER NOT NULL,
    secret         TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    allow_stream   INTEGER NOT NULL DEFAULT 1,
    allow_download INTEGER NOT NULL DEFAULT 0,
    expire_days    INTEGER NOT NULL DEFAULT 0,   -- 0 = never expires
    max_counter    INTEGER NOT NULL DEFAULT 0,   -- 0 = unlimited visits
    counter        INTEGER NOT NULL DEFAULT 0,
    creation_date  INTEGER NOT NULL,
    lastvisit_date INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_by_user ON share(user_id);
CREATE INDEX share_by_object ON share(object_type, object_id);

-- What each user+client is playing now; rows past `expire` are ignored and pruned.
CREATE TABLE now_playing (
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    client      TEXT NOT NULL DEFAULT '',
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    started     INTEGER NOT NULL,
    expire      INTEGER NOT NULL,
    PRIMARY KEY (user_id, client)
) WITHOUT ROWID;
CREATE INDEX now_playing_by_expire ON now_playing(expire);

-- Removing a song, album, artist or list removes what points at it.
CREATE TRIGGER song_gone_from_lists AFTER DELETE ON song BEGIN
    DELETE FROM playlist_data WHERE object_type = 'song' AND object_id = OLD.id;
    DELETE FROM bookmark WHERE object_type = 'song' AND object_id = OLD.id;
    DELETE FROM share WHERE object_type = 'song' AND object_id = OLD.id;
    DELETE FROM now_playing WHERE object_type = 'song' AND object_id = OLD.id;
END;
CREATE TRIGGER album_gone_from_shares AFTER DELETE ON album BEGIN
    DELETE FROM share WHERE object_type = 'album' AND object_id = OLD.id;
END;
CREATE TRIGGER artist_gone_from_shares AFTER DELETE ON artist BEGIN
    DELETE FROM share WHERE object_type = 'artist' AND object_id = OLD.id;
END;
CREATE TRIGGER playlist_gone AFTER DELETE ON playlist BEGIN
    DELETE FROM share WHERE object_type = 'playlist' AND object_id = OLD.id;
    DELETE FROM rating WHERE object_type = 'playlist' AND object_id = OLD.id;
    DELETE FROM flag WHERE object_type = 'playlist' AND object_id = OLD.id;
END;
CREATE TRIGGER smartlist_gone AFTER DELETE ON smartlist BEGIN
    DELETE FROM share WHERE object_type = 'search' AND object_id = OLD.id;
END;
