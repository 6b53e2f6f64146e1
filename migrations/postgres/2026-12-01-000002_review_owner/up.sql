-- A review belongs to the organisation that opened it (the programme office or a lead
-- council): its leaders, and platform admins, send returns back and sign it off.
ALTER TABLE reviews ADD COLUMN organisation_id BIGINT REFERENCES organisations(id);

-- Every review has an opener, and every person belongs to exactly one organisation.
UPDATE reviews
SET organisation_id = (SELECT users.organisation_id FROM users WHERE users.id = reviews.opened_by);

ALTER TABLE reviews ALTER COLUMN organisation_id SET NOT NULL;
