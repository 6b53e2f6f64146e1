DROP INDEX opportunities_visibility_idx;
DROP TABLE data_version;
