CREATE TABLE login_failures_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('account','client')),
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
INSERT INTO login_failures_old (id, scope, key, at)
    SELECT id, scope, key, at FROM login_failures WHERE scope <> 'device';
DROP TABLE login_failures;
ALTER TABLE login_failures_old RENAME TO login_failures;
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, at);
