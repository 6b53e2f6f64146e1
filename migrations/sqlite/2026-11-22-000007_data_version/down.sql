DROP INDEX events_workspace_id_idx;
DROP INDEX opportunities_visibility_idx;
DROP TABLE data_version;
