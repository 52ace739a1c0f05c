-- `anywhere` search (search_songs, advanced_search) over one pre-folded text per song:
-- title, album, credited artists, genres, comment and path, case-folded by the scanner.
-- Matching it with LIKE keeps Unicode case-insensitivity without calling Python for
-- six fields of every song on every search.
ALTER TABLE song ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE song SET search_text = fold(
    title || ' ' || (SELECT name FROM album WHERE album.id = song.album_id) || ' ' ||
    coalesce((SELECT group_concat(a.name, ' ') FROM song_artist sa
              JOIN artist a ON a.id = sa.artist_id WHERE sa.song_id = song.id), '') || ' ' ||
    coalesce((SELECT group_concat(g.name, ' ') FROM song_genre sg
              JOIN genre g ON g.id = sg.genre_id WHERE sg.song_id = song.id), '') || ' ' ||
    coalesce(comment, '') || ' ' || path
);
