CREATE TABLE workspaces (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('theme','programme')),
    visibility TEXT NOT NULL CHECK (visibility IN ('public','partners','members')),
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE workspace_members (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL CHECK (role IN ('lead','member','observer')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, organisation_id)
);
CREATE INDEX workspace_members_org_idx ON workspace_members (organisation_id);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX posts_workspace_idx ON posts (workspace_id, created_at);

CREATE TABLE comments (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_post_idx ON comments (post_id, created_at);

CREATE TABLE actions (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    owner_user_id BIGINT REFERENCES users(id),
    start_date DATE,
    due_date DATE,
    status TEXT NOT NULL CHECK (status IN ('not_started','in_progress','blocked','done','cancelled')),
    progress INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    rag TEXT NOT NULL CHECK (rag IN ('red','amber','green')),
    rag_reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX actions_workspace_idx ON actions (workspace_id);

CREATE TABLE milestones (
    id BIGSERIAL PRIMARY KEY,
    action_id BIGINT NOT NULL REFERENCES actions(id),
    title TEXT NOT NULL,
    due_date DATE NOT NULL,
    done_date DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX milestones_action_idx ON milestones (action_id);

CREATE TABLE outcomes (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outcomes_workspace_idx ON outcomes (workspace_id);

CREATE TABLE measures (
    id BIGSERIAL PRIMARY KEY,
    outcome_id BIGINT NOT NULL REFERENCES outcomes(id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('higher','lower')),
    baseline DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    target_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX measures_outcome_idx ON measures (outcome_id);

CREATE TABLE readings (
    id BIGSERIAL PRIMARY KEY,
    measure_id BIGINT NOT NULL REFERENCES measures(id),
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    value DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (measure_id, year, quarter)
);

-- The four Metro Strategy 2030 themes exist from the first start.
INSERT INTO workspaces (slug, name, summary, kind, visibility, created_at, updated_at) VALUES ('business-investment', 'Business & investment', 'Promote Derby and Nottingham as one place to invest. Derby is a hub for state-of-the-art transport engineering and advanced manufacturing; Nottingham is home to high-profile professional services and a centre for the life sciences. Together we support businesses to innovate, diversify, find new markets and strengthen supply chains, and give strong Metro support to Midlands Engine trade initiatives, building on the China trade and investment mission.', 'theme', 'public', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
INSERT INTO workspaces (slug, name, summary, kind, visibility, created_at, updated_at) VALUES ('skills', 'Skills', 'Develop the skills that local businesses in our key sectors need to thrive, and give local people across Derby and Nottingham the opportunity to develop their skills and realise their aspirations, from the post-16 transition from school to employment to the specialist skills our public services lose as older workers retire.', 'theme', 'public', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
INSERT INTO workspaces (slug, name, summary, kind, visibility, created_at, updated_at) VALUES ('transport-connectivity', 'Transport & connectivity', 'Improve connections between the two cities by developing key transport corridors and applying new technology to shared challenges such as emissions and congestion. Integrate the proposed HS2 station at Toton and East Midlands Airport into our wider transport network, and make travel between the cities, where more than 40,000 people commute every day, fast, efficient and affordable.', 'theme', 'public', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
INSERT INTO workspaces (slug, name, summary, kind, visibility, created_at, updated_at) VALUES ('city-living', 'City living', 'Make both cities great places to live and visit, with a shared leisure and cultural offer that lets residents use the resources of both cities, from parks and sports facilities to theatres, galleries and museums.', 'theme', 'public', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
