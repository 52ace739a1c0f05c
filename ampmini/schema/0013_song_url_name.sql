-- The `name=` of a song's play URL ("Artist - Title.ext" made URL-safe, db.play_name), kept
-- with the song by the scanner: building it per song per answer was a Python call per row,
-- a tenth of a 5,000-song page. NULL (rows written before this column) is built on the fly.
ALTER TABLE song ADD COLUMN url_name TEXT;
UPDATE song SET url_name = play_name(
    (SELECT name FROM artist WHERE artist.id = song.artist_id), title, format);
