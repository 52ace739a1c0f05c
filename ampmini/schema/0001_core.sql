-- ampmini core schema: the music library, users, sessions and per-user annotations.
-- Migrations are the numbered files in this folder, applied in order; PRAGMA user_version
-- records the last one applied (db.migrate).

-- A catalog is one library root (Ampache "catalog"); media type in gather_types.
CREATE TABLE catalog (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    path         TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL DEFAULT 'local',
    gather_types TEXT NOT NULL DEFAULT 'music',
    enabled      INTEGER NOT NULL DEFAULT 1,
    last_add     INTEGER NOT NULL DEFAULT 0,
    last_clean   INTEGER NOT NULL DEFAULT 0,
    last_update  INTEGER NOT NULL DEFAULT 0
);

-- name is the full display name; prefix/basename split the leading article for sorting.
-- album_count/song_count/time are aggregates the scanner rebuilds after each run, so list
-- actions never count per row.
CREATE TABLE artist (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    prefix      TEXT,
    basename    TEXT NOT NULL,
    mbid        TEXT,
    summary     TEXT,
    placeformed TEXT,
    yearformed  INTEGER NOT NULL DEFAULT 0,
    album_count INTEGER NOT NULL DEFAULT 0,
    song_count  INTEGER NOT NULL DEFAULT 0,
    time        INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX artist_by_name ON artist(name COLLATE NOCASE);
CREATE INDEX artist_by_basename ON artist(basename COLLATE NOCASE, name COLLATE NOCASE);
CREATE INDEX artist_by_added ON artist(added);
CREATE INDEX artist_by_updated ON artist(updated);

-- group_key identifies an album across discs and folders: lower(name) + album artist.
-- album_artist_id is NULL when no album artist name exists (Ampache omits `artist` then).
CREATE TABLE album (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    prefix          TEXT,
    basename        TEXT NOT NULL,
    album_artist_id INTEGER REFERENCES artist(id),
    year            INTEGER NOT NULL DEFAULT 0,
    mbid            TEXT,
    mbid_group      TEXT,
    release_type    TEXT,
    compilation     INTEGER NOT NULL DEFAULT 0,
    catalog_id      INTEGER REFERENCES catalog(id),
    song_count      INTEGER NOT NULL DEFAULT 0,
    disk_count      INTEGER NOT NULL DEFAULT 0,
    time            INTEGER NOT NULL DEFAULT 0,
    art_path        TEXT,            -- folder image (cover.jpg…) when found
    art_song_id     INTEGER,         -- a song with an embedded picture, when any
    added           INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    group_key       TEXT NOT NULL UNIQUE
);
CREATE INDEX album_by_basename ON album(basename COLLATE NOCASE, year);
CREATE INDEX album_by_artist ON album(album_artist_id, year);
CREATE INDEX album_by_added ON album(added);
CREATE INDEX album_by_updated ON album(updated);

CREATE TABLE song (
    id                    INTEGER PRIMARY KEY,
    catalog_id            INTEGER NOT NULL REFERENCES catalog(id),
    path                  TEXT NOT NULL UNIQUE,   -- absolute path
    folder                TEXT NOT NULL,          -- dirname(path), for folder re-scans
    size                  INTEGER NOT NULL,
    mtime_ns              INTEGER NOT NULL,
    title                 TEXT NOT NULL,
    album_id              INTEGER NOT NULL REFERENCES album(id),
    artist_id             INTEGER NOT NULL REFERENCES artist(id),
    track                 INTEGER NOT NULL DEFAULT 0,
    disk                  INTEGER NOT NULL DEFAULT 0,
    disksubtitle          TEXT,
    year                  INTEGER NOT NULL DEFAULT 0,
    time                  INTEGER NOT NULL DEFAULT 0,   -- seconds
    bitrate               INTEGER NOT NULL DEFAULT 0,   -- bits/s
    rate                  INTEGER NOT NULL DEFAULT 0,   -- sample rate Hz
    channels              INTEGER,
    mode                  TEXT,
    format                TEXT NOT NULL,                -- mp3, flac, …
    mime                  TEXT NOT NULL,
    composer              TEXT,
    comment               TEXT,
    publisher             TEXT,
    language              TEXT,
    lyrics                TEXT,
    mbid                  TEXT,
    artist_mbid           TEXT,
    album_mbid            TEXT,
    albumartist_mbid      TEXT,
    replaygain_track_gain REAL,
    replaygain_track_peak REAL,
    replaygain_album_gain REAL,
    replaygain_album_peak REAL,
    r128_track_gain       INTEGER,
    r128_album_gain       INTEGER,
    has_art               INTEGER NOT NULL DEFAULT 0,   -- embedded picture
    enabled               INTEGER NOT NULL DEFAULT 1,
    added                 INTEGER NOT NULL,
    updated               INTEGER NOT NULL
);
CREATE INDEX song_by_album ON song(album_id, disk, track);
CREATE INDEX song_by_artist ON song(artist_id);
CREATE INDEX song_by_title ON song(title COLLATE NOCASE);
CREATE INDEX song_by_folder ON song(folder);
CREATE INDEX song_by_catalog ON song(catalog_id);
CREATE INDEX song_by_added ON song(added);
CREATE INDEX song_by_updated ON song(updated);

-- All artists credited on a song (the first, position 0, is song.artist_id).
CREATE TABLE song_artist (
    song_id   INTEGER NOT NULL REFERENCES song(id) ON DELETE CASCADE,
    artist_id INTEGER NOT NULL REFERENCES artist(id),
    position  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (song_id, artist_id)
) WITHOUT ROWID;
CREATE INDEX song_artist_by_artist ON song_artist(artist_id, song_id);

CREATE TABLE genre (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX genre_by_name ON genre(name COLLATE NOCASE);

CREATE TABLE song_genre (
    song_id  INTEGER NOT NULL REFERENCES song(id) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL REFERENCES genre(id),
    PRIMARY KEY (song_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX song_genre_by_genre ON song_genre(genre_id, song_id);

-- Derived after each scan from song_genre, so album/artist genre lists are one indexed join.
CREATE TABLE album_genre (
    album_id INTEGER NOT NULL,
    genre_id INTEGER NOT NULL,
    PRIMARY KEY (album_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX album_genre_by_genre ON album_genre(genre_id, album_id);

CREATE TABLE artist_genre (
    artist_id INTEGER NOT NULL,
    genre_id  INTEGER NOT NULL,
    PRIMARY KEY (artist_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX artist_genre_by_genre ON artist_genre(genre_id, artist_id);

-- Songs removed from the library, for deleted_songs (clients sync with it).
CREATE TABLE deleted_song (
    id            INTEGER PRIMARY KEY,   -- the song's former id
    addition_time INTEGER NOT NULL,
    delete_time   INTEGER NOT NULL,
    update_time   INTEGER NOT NULL,
    title         TEXT NOT NULL,
    file          TEXT NOT NULL,
    catalog_id    INTEGER NOT NULL,
    album_id      INTEGER NOT NULL,
    artist_id     INTEGER NOT NULL,
    total_count   INTEGER NOT NULL DEFAULT 0,
    total_skip    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deleted_song_by_time ON deleted_song(delete_time);

-- password_sha256 is sha256_hex(password): the handshake protocol recomputes
-- sha256(timestamp + sha256(password)) on the server, so this is the only form that works.
CREATE TABLE user (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL,
    password_sha256 TEXT NOT NULL,
    access          INTEGER NOT NULL DEFAULT 25,
    email           TEXT NOT NULL DEFAULT '',
    fullname        TEXT NOT NULL DEFAULT '',
    fullname_public INTEGER NOT NULL DEFAULT 0,
    website         TEXT,
    state           TEXT,
    city            TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0,
    streamtoken     TEXT,
    maxbitrate      INTEGER NOT NULL DEFAULT 0,
    create_date     INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX user_by_name ON user(username COLLATE NOCASE);
CREATE UNIQUE INDEX user_by_streamtoken ON user(streamtoken);

CREATE TABLE session (
    token       TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL DEFAULT 'api',     -- api | stream
    api_version INTEGER NOT NULL DEFAULT 6,      -- major answered in this session
    agent       TEXT,
    created     INTEGER NOT NULL,
    expire      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_by_user ON session(user_id);
CREATE INDEX session_by_expire ON session(expire);

CREATE TABLE rating (
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL,
    PRIMARY KEY (object_type, object_id, user_id)
) WITHOUT ROWID;
CREATE INDEX rating_by_user ON rating(user_id, object_type, rating);

CREATE TABLE flag (
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    date        INTEGER NOT NULL,
    PRIMARY KEY (user_id, object_type, object_id)
) WITHOUT ROWID;
CREATE INDEX flag_by_object ON flag(object_type, object_id);
CREATE INDEX flag_by_date ON flag(user_id, object_type, date);

-- One row per recorded play, skip or download (kind), per user.
CREATE TABLE play (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    date        INTEGER NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'play',
    client      TEXT
);
CREATE INDEX play_by_user ON play(user_id, object_type, date);
CREATE INDEX play_by_object ON play(object_type, object_id, date);

-- Running totals per object, so playcount is a join, never a COUNT per row.
CREATE TABLE play_count (
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    plays       INTEGER NOT NULL DEFAULT 0,
    skips       INTEGER NOT NULL DEFAULT 0,
    last_play   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_type, object_id)
) WITHOUT ROWID;
CREATE INDEX play_count_by_plays ON play_count(object_type, plays);

-- Library-wide timestamps for handshake `add`/`update`/`clean`.
CREATE TABLE library_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
