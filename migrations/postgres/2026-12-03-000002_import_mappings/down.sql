DROP TABLE import_uploads;
DROP TABLE import_mappings;
