-- Sign-in failures of one device (a browser or API client that signed in before, known by
-- its device cookie), counted apart from the account's and the address's.
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account','client','device'));
-- Failures older than the window are forgotten on every new one: found by this index.
CREATE INDEX login_failures_at_idx ON login_failures (at);
