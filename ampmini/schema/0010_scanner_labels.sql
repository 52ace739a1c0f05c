-- Labels from publisher tags: the scanner now inserts them once per batch (library/store.py),
-- the only writer of song.publisher. These per-row triggers cost ~8 µs for every song row
-- written, publisher or not: a quarter of a first scan's song inserts.
DROP TRIGGER label_from_new_song;
DROP TRIGGER label_from_changed_song;
