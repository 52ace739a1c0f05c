-- Users' preferences, follows, shouts and the activity timeline (spec §6.12, §6.13, §8.16, §8.19).

-- Preferences made by preference_create. The built-in ones are defined in ampmini/preferences.py
-- (with Ampache's ids, all below 1000); custom ids start at 1000 so they never collide.
CREATE TABLE preference (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL DEFAULT 100,
    description TEXT NOT NULL DEFAULT '',
    value       TEXT NOT NULL DEFAULT '',   -- the server default
    type        TEXT NOT NULL,              -- boolean | integer | string | special
    category    TEXT NOT NULL,
    subcategory TEXT
);
CREATE UNIQUE INDEX preference_by_name ON preference(name COLLATE NOCASE);

-- Values set with preference_edit, keyed by name so built-in and custom preferences share it.
-- user_id 0 holds the server default (preference_edit default=1); no foreign key for that
-- reason, so accounts.delete_user removes a user's rows itself.
CREATE TABLE preference_value (
    name    TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (name, user_id)
) WITHOUT ROWID;
CREATE INDEX preference_value_by_user ON preference_value(user_id);

-- user_id follows follow_user_id (toggle_follow).
CREATE TABLE user_follow (
    user_id        INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    follow_user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    date           INTEGER NOT NULL,
    PRIMARY KEY (user_id, follow_user_id)
) WITHOUT ROWID;
CREATE INDEX user_follow_by_followed ON user_follow(follow_user_id, user_id);

CREATE TABLE shout (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    date        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL
);
CREATE INDEX shout_by_date ON shout(date);
CREATE INDEX shout_by_user ON shout(user_id, date);

-- The timeline (Ampache user_activity). Filled by the triggers below from the tables every
-- feature already writes (play, rating, flag, user_follow), so no action has to remember to
-- log: the rating table keeps no date, which is why the timeline cannot be a view over it.
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    date        INTEGER NOT NULL,
    action      TEXT NOT NULL,      -- play | rating | userflag | follow
    object_type TEXT NOT NULL,
    object_id   INTEGER NOT NULL,
    play_id     INTEGER             -- the play row behind a `play` entry
);
CREATE INDEX activity_by_user ON activity(user_id, date);
CREATE INDEX activity_by_date ON activity(date);
CREATE INDEX activity_by_play ON activity(play_id) WHERE play_id IS NOT NULL;

CREATE TRIGGER activity_play AFTER INSERT ON play WHEN NEW.kind = 'play'
BEGIN
    INSERT INTO activity (user_id, date, action, object_type, object_id, play_id)
    VALUES (NEW.user_id, NEW.date, 'play', NEW.object_type, NEW.object_id, NEW.id);
END;

-- plays.record turns a play into a skip when the next track starts within 20 s.
CREATE TRIGGER activity_play_skipped AFTER UPDATE OF kind ON play WHEN NEW.kind != 'play'
BEGIN
    DELETE FROM activity WHERE play_id = NEW.id;
END;

CREATE TRIGGER activity_play_deleted AFTER DELETE ON play
BEGIN
    DELETE FROM activity WHERE play_id = OLD.id;
END;

CREATE TRIGGER activity_rating AFTER INSERT ON rating
BEGIN
    INSERT INTO activity (user_id, date, action, object_type, object_id)
    VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER), 'rating',
            NEW.object_type, NEW.object_id);
END;

CREATE TRIGGER activity_rating_changed AFTER UPDATE OF rating ON rating
WHEN NEW.rating != OLD.rating
BEGIN
    INSERT INTO activity (user_id, date, action, object_type, object_id)
    VALUES (NEW.user_id, CAST(strftime('%s', 'now') AS INTEGER), 'rating',
            NEW.object_type, NEW.object_id);
END;

CREATE TRIGGER activity_flag AFTER INSERT ON flag
BEGIN
    INSERT INTO activity (user_id, date, action, object_type, object_id)
    VALUES (NEW.user_id, NEW.date, 'userflag', NEW.object_type, NEW.object_id);
END;

CREATE TRIGGER activity_follow AFTER INSERT ON user_follow
BEGIN
    INSERT INTO activity (user_id, date, action, object_type, object_id)
    VALUES (NEW.user_id, NEW.date, 'follow', 'user', NEW.follow_user_id);
END;
