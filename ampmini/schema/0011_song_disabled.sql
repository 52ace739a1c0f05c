-- Disabled songs are few: lists leave them out with `s.id NOT IN (SELECT id FROM song WHERE
-- enabled = 0)` (api/library.py ENABLED_SONG), read from this tiny partial index, so the
-- title-ordered scan of `songs` stays on the covering song_by_title index. `s.enabled = 1`
-- made it read every song row: 43 ms of a 30k library's unfiltered `songs` call, not 8 ms.
CREATE INDEX song_disabled ON song(id) WHERE enabled = 0;
