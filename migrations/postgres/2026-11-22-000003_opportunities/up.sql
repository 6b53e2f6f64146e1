CREATE TABLE opportunities (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    service_area TEXT NOT NULL CHECK (service_area IN ('legal','procurement','ict_digital','hr_payroll','finance','highways_transport','waste','property_facilities','customer_services','social_care','public_health','regeneration','other')),
    kind TEXT NOT NULL CHECK (kind IN ('shared_service','joint_procurement','shared_staff','co_location','income_generation','joint_bid','other')),
    lead_organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    workspace_id BIGINT REFERENCES workspaces(id),
    contact_user_id BIGINT REFERENCES users(id),
    visibility TEXT NOT NULL CHECK (visibility IN ('draft','partnership','public')),
    stage TEXT NOT NULL CHECK (stage IN ('idea','under_assessment','business_case','approved','in_delivery','realised','on_hold','declined')),
    stage_changed_at TIMESTAMP NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX opportunities_lead_idx ON opportunities (lead_organisation_id);
CREATE INDEX opportunities_stage_idx ON opportunities (stage);
CREATE INDEX opportunities_updated_idx ON opportunities (updated_at);

CREATE TABLE opportunity_partners (
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (opportunity_id, organisation_id)
);
CREATE INDEX opportunity_partners_org_idx ON opportunity_partners (organisation_id);

CREATE TABLE opportunity_transitions (
    id BIGSERIAL PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    note TEXT NOT NULL,
    actor_user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX opportunity_transitions_opp_idx ON opportunity_transitions (opportunity_id);

CREATE TABLE savings (
    id BIGSERIAL PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    financial_year INTEGER NOT NULL CHECK (financial_year BETWEEN 2000 AND 2100),
    kind TEXT NOT NULL CHECK (kind IN ('estimated','validated','realised')),
    cashable BOOLEAN NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    one_off_cost_pence BIGINT NOT NULL CHECK (one_off_cost_pence >= 0),
    note TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX savings_opp_idx ON savings (opportunity_id);

CREATE TABLE barriers (
    id BIGSERIAL PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    category TEXT NOT NULL CHECK (category IN ('legal','hr_tupe','it_data','governance','procurement','finance','culture','other')),
    description TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low','medium','high')),
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open','mitigated','closed')),
    mitigation TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX barriers_opp_idx ON barriers (opportunity_id, status, severity);

CREATE TABLE endorsements (
    id BIGSERIAL PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (opportunity_id, organisation_id)
);

CREATE TABLE opportunity_comments (
    id BIGSERIAL PRIMARY KEY,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id),
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    body TEXT NOT NULL,
    proposed_stage TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX opportunity_comments_opp_idx ON opportunity_comments (opportunity_id);

-- Full-text search: text already lower-cased and split into words by the application,
-- indexed with the 'simple' configuration so results match the SQLite index.
ALTER TABLE opportunities ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX opportunities_search_idx ON opportunities USING GIN (search);
