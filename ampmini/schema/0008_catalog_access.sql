-- Per-user catalog access (issue 9): a user with rows here sees only those catalogs; a user
-- without rows sees every catalog. `user.catalog_limited` mirrors "has rows" so that the
-- request pipeline learns it from the user row it already loaded, and unrestricted users
-- (nearly everyone) pay no extra query per request.
CREATE TABLE user_catalog (
    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    catalog_id INTEGER NOT NULL REFERENCES catalog(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, catalog_id)
) WITHOUT ROWID;
CREATE INDEX user_catalog_by_catalog ON user_catalog(catalog_id);

ALTER TABLE user ADD COLUMN catalog_limited INTEGER NOT NULL DEFAULT 0;
