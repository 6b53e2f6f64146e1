ALTER TABLE opportunities DROP COLUMN your_reference;
