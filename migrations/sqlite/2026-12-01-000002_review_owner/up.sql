-- A review belongs to the organisation that opened it (the programme office or a lead
-- council): its leaders, and platform admins, send returns back and sign it off.
--
-- SQLite adds a NOT NULL reference only by building the table again. Migrations run in a
-- transaction with foreign keys on, where dropping a table that others refer to fails; so
-- the returns, which refer to reviews, are built again too: each copy refers to the new
-- reviews table, the old tables go, and renaming the new reviews table points the returns
-- at it. Every reference is checked on the way.
CREATE TABLE reviews_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    deadline DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','signed_off')),
    opened_by INTEGER NOT NULL REFERENCES users(id),
    opened_at TIMESTAMP NOT NULL,
    signed_off_by INTEGER REFERENCES users(id),
    signed_off_at TIMESTAMP,
    -- JSON, written once at sign-off and never changed.
    snapshot TEXT,
    reminded_at TIMESTAMP,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    UNIQUE (year, quarter)
);

-- Every review has an opener, and every person belongs to exactly one organisation.
INSERT INTO reviews_new (id, year, quarter, deadline, status, opened_by, opened_at,
                         signed_off_by, signed_off_at, snapshot, reminded_at, organisation_id)
SELECT r.id, r.year, r.quarter, r.deadline, r.status, r.opened_by, r.opened_at,
       r.signed_off_by, r.signed_off_at, r.snapshot, r.reminded_at, u.organisation_id
FROM reviews r
JOIN users u ON u.id = r.opened_by;

CREATE TABLE review_submissions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    review_id INTEGER NOT NULL REFERENCES reviews_new(id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    status TEXT NOT NULL CHECK (status IN ('submitted','returned')),
    overall_rag TEXT NOT NULL CHECK (overall_rag IN ('red','amber','green')),
    commentary TEXT NOT NULL,
    decisions TEXT NOT NULL DEFAULT '',
    -- JSON: each action's RAG and progress, each measure's reading for the quarter.
    content TEXT NOT NULL,
    submitted_by INTEGER NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMP NOT NULL,
    returned_by INTEGER REFERENCES users(id),
    returned_at TIMESTAMP,
    return_comment TEXT NOT NULL DEFAULT '',
    UNIQUE (review_id, workspace_id)
);

INSERT INTO review_submissions_new (id, review_id, workspace_id, status, overall_rag,
                                    commentary, decisions, content, submitted_by,
                                    submitted_at, returned_by, returned_at, return_comment)
SELECT id, review_id, workspace_id, status, overall_rag, commentary, decisions, content,
       submitted_by, submitted_at, returned_by, returned_at, return_comment
FROM review_submissions;

DROP TABLE review_submissions;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
ALTER TABLE review_submissions_new RENAME TO review_submissions;
