-- Democratic play (spec §6.15): one shared queue everybody votes on.
-- A song is in the queue while it has votes; its age is its first vote (the smallest id, so
-- the order does not depend on the clock). Each user holds one vote per song.
CREATE TABLE democratic_vote (
    id      INTEGER PRIMARY KEY,
    song_id INTEGER NOT NULL REFERENCES song(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    date    INTEGER NOT NULL,
    UNIQUE (song_id, user_id)          -- also the index of the per-song GROUP BY
);
CREATE INDEX democratic_vote_by_user ON democratic_vote(user_id);

-- Songs democratic play has played, for the cooldown ([democratic] cooldown).
CREATE TABLE democratic_played (
    song_id INTEGER PRIMARY KEY REFERENCES song(id) ON DELETE CASCADE,
    played  INTEGER NOT NULL
);
CREATE INDEX democratic_played_by_time ON democratic_played(played);
