-- Media beyond music: podcasts and their episodes, radio stations, videos, labels, licences.
-- Table names are the ones the handshake counters expect (session.COUNT_SQL).

-- A podcast belongs to a catalog with gather_types 'podcast'; its episodes are downloaded
-- into a folder below that catalog's path. Dates are epoch seconds (rendered ISO-8601).
CREATE TABLE podcast (
    id          INTEGER PRIMARY KEY,
    catalog_id  INTEGER NOT NULL REFERENCES catalog(id),
    feed_url    TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    language    TEXT NOT NULL DEFAULT '',
    copyright   TEXT NOT NULL DEFAULT '',
    generator   TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    art_url     TEXT,                       -- the feed's image, as published
    build_date  INTEGER NOT NULL DEFAULT 0,
    sync_date   INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
CREATE UNIQUE INDEX podcast_by_feed ON podcast(feed_url);
CREATE INDEX podcast_by_title ON podcast(title COLLATE NOCASE);
CREATE INDEX podcast_by_catalog ON podcast(catalog_id);
CREATE INDEX podcast_by_added ON podcast(added);
CREATE INDEX podcast_by_updated ON podcast(updated);

-- state: 'pending' (known, not downloaded yet), 'completed' (file on disk), 'skipped'
-- (older than the keep window, or too big: streamed from `source` instead).
CREATE TABLE podcast_episode (
    id          INTEGER PRIMARY KEY,
    podcast_id  INTEGER NOT NULL REFERENCES podcast(id) ON DELETE CASCADE,
    catalog_id  INTEGER NOT NULL,
    guid        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    source      TEXT,                       -- enclosure URL
    mime        TEXT,
    pubdate     INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'pending',
    path        TEXT,                       -- downloaded file, when completed
    size        INTEGER NOT NULL DEFAULT 0,
    time        INTEGER NOT NULL DEFAULT 0,
    bitrate     INTEGER NOT NULL DEFAULT 0,
    rate        INTEGER NOT NULL DEFAULT 0,
    channels    INTEGER,
    mode        TEXT,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    UNIQUE (podcast_id, guid)
);
CREATE INDEX podcast_episode_by_pubdate ON podcast_episode(podcast_id, pubdate);
CREATE INDEX podcast_episode_by_date ON podcast_episode(pubdate);
CREATE INDEX podcast_episode_by_title ON podcast_episode(title COLLATE NOCASE);
CREATE INDEX podcast_episode_by_state ON podcast_episode(state);
CREATE INDEX podcast_episode_by_added ON podcast_episode(added);

CREATE TABLE deleted_podcast_episode (
    id            INTEGER PRIMARY KEY,       -- the episode's former id
    addition_time INTEGER NOT NULL,
    delete_time   INTEGER NOT NULL,
    title         TEXT NOT NULL,
    file          TEXT NOT NULL DEFAULT '',
    catalog_id    INTEGER NOT NULL,
    podcast_id    INTEGER NOT NULL,
    total_count   INTEGER NOT NULL DEFAULT 0,
    total_skip    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deleted_podcast_episode_by_time ON deleted_podcast_episode(delete_time);

-- Radio stations; `url` is the station's own stream URL (spec §8.12).
CREATE TABLE live_stream (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    codec      TEXT NOT NULL DEFAULT '',
    catalog_id INTEGER NOT NULL DEFAULT 0,
    site_url   TEXT,
    added      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX live_stream_by_name ON live_stream(name COLLATE NOCASE);
CREATE INDEX live_stream_by_url ON live_stream(url);

-- Videos found in catalogs with gather_types 'video' (ampmini/library/videos.py).
CREATE TABLE video (
    id         INTEGER PRIMARY KEY,
    catalog_id INTEGER NOT NULL REFERENCES catalog(id),
    path       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    format     TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    time       INTEGER NOT NULL DEFAULT 0,
    resolution_x INTEGER NOT NULL DEFAULT 0,
    resolution_y INTEGER NOT NULL DEFAULT 0,
    codec      TEXT,
    added      INTEGER NOT NULL,
    updated    INTEGER NOT NULL
);
CREATE INDEX video_by_title ON video(title COLLATE NOCASE);
CREATE INDEX video_by_catalog ON video(catalog_id);
CREATE INDEX video_by_added ON video(added);
CREATE INDEX video_by_updated ON video(updated);

CREATE TABLE deleted_video (
    id            INTEGER PRIMARY KEY,
    addition_time INTEGER NOT NULL,
    delete_time   INTEGER NOT NULL,
    title         TEXT NOT NULL,
    file          TEXT NOT NULL,
    catalog_id    INTEGER NOT NULL,
    total_count   INTEGER NOT NULL DEFAULT 0,
    total_skip    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deleted_video_by_time ON deleted_video(delete_time);

-- Labels come from the songs' publisher/label tag (category 'tag_generated', as Ampache).
-- The triggers keep one row per distinct name as the scanner writes songs; rows are never
-- renumbered, so clients can keep label ids.
CREATE TABLE label (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    summary  TEXT,
    address  TEXT,
    category TEXT NOT NULL DEFAULT 'tag_generated',
    email    TEXT,
    website  TEXT,
    user_id  INTEGER
);
CREATE UNIQUE INDEX label_by_name ON label(name COLLATE NOCASE);
CREATE INDEX song_by_publisher ON song(publisher COLLATE NOCASE);

INSERT OR IGNORE INTO label (name)
    SELECT DISTINCT publisher FROM song WHERE publisher IS NOT NULL AND publisher <> '';

CREATE TRIGGER label_from_new_song AFTER INSERT ON song
    WHEN NEW.publisher IS NOT NULL AND NEW.publisher <> ''
BEGIN
    INSERT OR IGNORE INTO label (name) VALUES (NEW.publisher);
END;

CREATE TRIGGER label_from_changed_song AFTER UPDATE OF publisher ON song
    WHEN NEW.publisher IS NOT NULL AND NEW.publisher <> ''
BEGIN
    INSERT OR IGNORE INTO label (name) VALUES (NEW.publisher);
END;

-- Licences: an admin-edited table (none seeded); song_license links songs to one.
CREATE TABLE license (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    external_link TEXT NOT NULL DEFAULT '',
    hidden        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX license_by_name ON license(name COLLATE NOCASE);

CREATE TABLE song_license (
    song_id    INTEGER PRIMARY KEY REFERENCES song(id) ON DELETE CASCADE,
    license_id INTEGER NOT NULL REFERENCES license(id) ON DELETE CASCADE
);
CREATE INDEX song_license_by_license ON song_license(license_id, song_id);
