DROP INDEX login_failures_at_idx;
DELETE FROM login_failures WHERE scope = 'device';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account','client'));
