ALTER TABLE reviews DROP COLUMN organisation_id;
