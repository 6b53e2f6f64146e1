-- Imports that read a council's own spreadsheets: the column mapping an organisation
-- confirmed, proposed again for a file with the same headings; and the file being
-- previewed, kept while its mapping is changed so it need not be chosen again.
CREATE TABLE import_mappings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL CHECK (kind IN ('opportunities', 'actions', 'readings')),
    headings TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, kind, headings)
);

CREATE TABLE import_uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    upload_key TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('opportunities', 'actions', 'readings')),
    filename TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX import_uploads_created_idx ON import_uploads (created_at);
