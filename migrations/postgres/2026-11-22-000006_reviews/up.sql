-- Quarterly reviews: opened for a quarter with a deadline, a return per workspace, signed
-- off with a frozen snapshot.
CREATE TABLE reviews (
    id BIGSERIAL PRIMARY KEY,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    deadline DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','signed_off')),
    opened_by BIGINT NOT NULL REFERENCES users(id),
    opened_at TIMESTAMP NOT NULL,
    signed_off_by BIGINT REFERENCES users(id),
    signed_off_at TIMESTAMP,
    -- JSON, written once at sign-off and never changed.
    snapshot TEXT,
    reminded_at TIMESTAMP,
    UNIQUE (year, quarter)
);

CREATE TABLE review_submissions (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES reviews(id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    status TEXT NOT NULL CHECK (status IN ('submitted','returned')),
    overall_rag TEXT NOT NULL CHECK (overall_rag IN ('red','amber','green')),
    commentary TEXT NOT NULL,
    decisions TEXT NOT NULL DEFAULT '',
    -- JSON: each action's RAG and progress, each measure's reading for the quarter.
    content TEXT NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMP NOT NULL,
    returned_by BIGINT REFERENCES users(id),
    returned_at TIMESTAMP,
    return_comment TEXT NOT NULL DEFAULT '',
    UNIQUE (review_id, workspace_id)
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);
