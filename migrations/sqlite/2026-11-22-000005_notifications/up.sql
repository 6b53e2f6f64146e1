-- A job may carry a key that makes it unique: one per (event, recipient, channel).
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key);

-- How a person receives what they follow unless a subscription says otherwise.
ALTER TABLE users ADD COLUMN default_delivery TEXT NOT NULL DEFAULT 'daily'
    CHECK (default_delivery IN ('inbox','immediate','daily','weekly'));

-- A person's own subscription (user_id set) or a whole organisation's (user_id empty).
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    user_id INTEGER REFERENCES users(id),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('workspace','register','opportunity')),
    target_id INTEGER,
    theme_id INTEGER REFERENCES workspaces(id),
    service_area TEXT,
    stage TEXT,
    -- 'default' follows the person's own default (always so for organisation subscriptions).
    delivery TEXT NOT NULL CHECK (delivery IN ('default','inbox','immediate','daily','weekly')),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX subscriptions_unique_idx ON subscriptions (
    organisation_id, COALESCE(user_id, 0), target_kind, COALESCE(target_id, 0),
    COALESCE(theme_id, 0), COALESCE(service_area, ''), COALESCE(stage, ''));
CREATE INDEX subscriptions_target_idx ON subscriptions (target_kind, target_id);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id);

-- Members who do not want what their organisation follows.
CREATE TABLE subscription_opt_outs (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subscription_id, user_id)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    subscription_id INTEGER REFERENCES subscriptions(id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('inbox','immediate','daily','weekly')),
    -- The digest email that took it, once collected.
    digest_job_id INTEGER,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX notifications_user_event_idx ON notifications (user_id, event_id);
CREATE INDEX notifications_inbox_idx ON notifications (user_id, read_at);
CREATE INDEX notifications_digest_idx ON notifications (delivery, digest_job_id);

CREATE TABLE feed_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX feed_tokens_user_idx ON feed_tokens (user_id);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Comma-separated event kinds; empty means every kind.
    event_kinds TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_organisation_idx ON webhooks (organisation_id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    -- Empty for a test event.
    event_id INTEGER REFERENCES events(id),
    event_kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER,
    response_ms INTEGER,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP
);
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_recent_idx ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX events_workspace_idx ON events (workspace_id, created_at);
