-- Sign-in failures of one device (a browser or API client that signed in before, known by
-- its device cookie), counted apart from the account's and the address's. SQLite cannot
-- change a CHECK constraint, so the table is built again with the wider one.
CREATE TABLE login_failures_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('account','client','device')),
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
INSERT INTO login_failures_new (id, scope, key, at)
    SELECT id, scope, key, at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_new RENAME TO login_failures;
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, at);
-- Failures older than the window are forgotten on every new one: found by this index.
CREATE INDEX login_failures_at_idx ON login_failures (at);
