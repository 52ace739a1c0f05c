-- Scanner bookkeeping: files that could not be read, remembered with the size and mtime they
-- had, so a re-scan skips them without opening them until the file changes.
CREATE TABLE scan_failure (
    path     TEXT PRIMARY KEY,   -- absolute path, as song.path
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    error    TEXT NOT NULL,
    seen     INTEGER NOT NULL    -- epoch seconds of the failed read
) WITHOUT ROWID;
