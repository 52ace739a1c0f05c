-- The albums and artists a scan has written but not yet re-counted (library/aggregates.py).
-- They were TEMP tables, gone with the process, so a scan interrupted after some batches
-- (Ctrl-C, a crash) left those albums' and artists' counts at zero until something else
-- touched them. As real tables they are filled in the batches' own transactions and emptied
-- in the rebuild's: the next scan finishes what an interrupted one began.
CREATE TABLE scan_album (id INTEGER PRIMARY KEY);
CREATE TABLE scan_artist (id INTEGER PRIMARY KEY);
