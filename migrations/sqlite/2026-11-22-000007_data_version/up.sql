-- One number that goes up with every change that writes an event, in the same transaction,
-- so figures worked out from the data (the register's totals) can be kept until it moves.
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

-- Counting what a caller may see in the register reads this index, not the table.
CREATE INDEX opportunities_visibility_idx ON opportunities (visibility, lead_organisation_id);

-- A workspace's newest events (its activity, the dashboard narrowed to it) read backwards
-- along this index and stop at the page, instead of sorting all of the workspace's events.
CREATE INDEX events_workspace_id_idx ON events (workspace_id, id);
