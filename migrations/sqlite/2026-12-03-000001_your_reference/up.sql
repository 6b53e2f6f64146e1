-- The council's own reference for an opportunity, as its spreadsheets have it ("your reference").
ALTER TABLE opportunities ADD COLUMN your_reference TEXT NOT NULL DEFAULT '';
