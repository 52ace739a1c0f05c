-- The built-in licence table (issue 10): Ampache's fourteen default rows first, in Ampache's
-- order so a fresh database has Ampache's ids (spec example licenses.json), then the current
-- Creative Commons 4.0 licences, CC0 and the Public Domain Mark. The scanner links songs to
-- these from their license/copyright tags (ampmini/library/licenses.py) and adds a row for
-- any other valid Creative Commons licence version it meets. Names an admin already entered
-- are left alone.
INSERT INTO license (name, external_link)
SELECT v.column1, v.column2
  FROM (VALUES
    ('0 - default', ''),
    ('CC BY 3.0', 'https://creativecommons.org/licenses/by/3.0/'),
    ('CC BY NC 3.0', 'https://creativecommons.org/licenses/by-nc/3.0/'),
    ('CC BY NC ND 3.0', 'https://creativecommons.org/licenses/by-nc-nd/3.0/'),
    ('CC BY NC SA 3.0', 'https://creativecommons.org/licenses/by-nc-sa/3.0/'),
    ('CC BY ND 3.0', 'https://creativecommons.org/licenses/by-nd/3.0/'),
    ('CC BY SA 3.0', 'https://creativecommons.org/licenses/by-sa/3.0/'),
    ('Licence Art Libre', 'http://artlibre.org/licence/lal/'),
    ('Yellow OpenMusic', 'http://openmusic.linuxtag.org/yellow.html'),
    ('Green OpenMusic', 'http://openmusic.linuxtag.org/green.html'),
    ('Gnu GPL Art', 'http://gnuart.org/english/gnugpl.html'),
    ('WTFPL', 'https://en.wikipedia.org/wiki/WTFPL'),
    ('FMPL', 'http://www.ram.org/ramblings/philosophy/fmp/fmpl/fmpl.html'),
    ('C Reaction', 'http://morne.free.fr/Necktar7/creaction.htm'),
    ('CC BY 4.0', 'https://creativecommons.org/licenses/by/4.0/'),
    ('CC BY NC 4.0', 'https://creativecommons.org/licenses/by-nc/4.0/'),
    ('CC BY NC ND 4.0', 'https://creativecommons.org/licenses/by-nc-nd/4.0/'),
    ('CC BY NC SA 4.0', 'https://creativecommons.org/licenses/by-nc-sa/4.0/'),
    ('CC BY ND 4.0', 'https://creativecommons.org/licenses/by-nd/4.0/'),
    ('CC BY SA 4.0', 'https://creativecommons.org/licenses/by-sa/4.0/'),
    ('CC0 1.0', 'https://creativecommons.org/publicdomain/zero/1.0/'),
    ('Public Domain Mark 1.0', 'https://creativecommons.org/publicdomain/mark/1.0/')
  ) AS v
 WHERE NOT EXISTS (SELECT 1 FROM license WHERE license.name = v.column1 COLLATE NOCASE);
