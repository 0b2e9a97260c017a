CREATE TABLE projects (
    id                   uuid        PRIMARY KEY,
    client_id            uuid        NOT NULL REFERENCES users (id),
    title                text        NOT NULL,
    description          text        NOT NULL,
    category             text        NOT NULL,
    budget_type          text        NOT NULL,
    budget_min_minor     bigint      NOT NULL,
    budget_max_minor     bigint      NOT NULL,
    currency             text        NOT NULL,
    experience_level     text        NOT NULL,
    deadline             timestamptz NOT NULL,
    status               text        NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT projects_category_check CHECK (category IN ('WEB_DEVELOPMENT', 'MOBILE_DEVELOPMENT', 'DATA_SCIENCE', 'DESIGN', 'WRITING', 'MARKETING', 'VIDEO', 'OTHER')),
    CONSTRAINT projects_budget_type_check CHECK (budget_type IN ('FIXED', 'HOURLY')),
    CONSTRAINT projects_experience_level_check CHECK (experience_level IN ('ENTRY', 'INTERMEDIATE', 'EXPERT')),
    CONSTRAINT projects_status_check CHECK (status IN ('OPEN', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')),
    CONSTRAINT projects_budget_check CHECK (budget_min_minor >= 0 AND budget_min_minor <= budget_max_minor)
);
CREATE INDEX projects_status_created_idx ON projects (status, created_at, id);
CREATE INDEX projects_client_idx ON projects (client_id, created_at);

CREATE TABLE project_skills (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    skill      text NOT NULL,
    position   integer NOT NULL,
    PRIMARY KEY (project_id, skill)
);
CREATE INDEX project_skills_skill_idx ON project_skills (skill);

CREATE TABLE proposals (
    id              uuid        PRIMARY KEY,
    project_id      uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    freelancer_id   uuid        NOT NULL REFERENCES users (id),
    cover_letter    text        NOT NULL,
    bid_minor       bigint      NOT NULL,
    currency        text        NOT NULL,
    estimated_hours integer,
    availability    text        NOT NULL,
    status          text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT proposals_project_freelancer_key UNIQUE (project_id, freelancer_id),
    CONSTRAINT proposals_availability_check CHECK (availability IN ('IMMEDIATE', 'WITHIN_2_WEEKS', 'WITHIN_MONTH', 'FLEXIBLE')),
    CONSTRAINT proposals_status_check CHECK (status IN ('SUBMITTED', 'ACCEPTED', 'REJECTED', 'WITHDRAWN')),
    CONSTRAINT proposals_bid_check CHECK (bid_minor > 0)
);
CREATE INDEX proposals_project_created_idx ON proposals (project_id, created_at, id);
CREATE INDEX proposals_freelancer_idx ON proposals (freelancer_id, created_at);

CREATE TABLE contracts (
    id                  uuid        PRIMARY KEY,
    project_id          uuid        NOT NULL REFERENCES projects (id),
    proposal_id         uuid        NOT NULL REFERENCES proposals (id),
    client_id           uuid        NOT NULL REFERENCES users (id),
    freelancer_id       uuid        NOT NULL REFERENCES users (id),
    amount_minor        bigint      NOT NULL,
    currency            text        NOT NULL,
    contract_type       text        NOT NULL,
    status              text        NOT NULL,
    terms               text        NOT NULL,
    started_at          timestamptz NOT NULL,
    completed_at        timestamptz,
    cancelled_at        timestamptz,
    cancellation_reason text,
    CONSTRAINT contracts_proposal_key UNIQUE (proposal_id),
    CONSTRAINT contracts_type_check CHECK (contract_type IN ('FIXED', 'HOURLY')),
    CONSTRAINT contracts_status_check CHECK (status IN ('ACTIVE', 'COMPLETED', 'CANCELLED'))
);
CREATE UNIQUE INDEX contracts_one_active_per_project ON contracts (project_id) WHERE status = 'ACTIVE';
CREATE INDEX contracts_client_idx ON contracts (client_id, started_at);
CREATE INDEX contracts_freelancer_idx ON contracts (freelancer_id, started_at);

CREATE TABLE reviews (
    id          uuid        PRIMARY KEY,
    contract_id uuid        NOT NULL REFERENCES contracts (id),
    reviewer_id uuid        NOT NULL REFERENCES users (id),
    reviewee_id uuid        NOT NULL REFERENCES users (id),
    rating      integer     NOT NULL,
    comment     text        NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT reviews_contract_reviewer_key UNIQUE (contract_id, reviewer_id),
    CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5)
);
CREATE INDEX reviews_reviewee_idx ON reviews (reviewee_id, created_at);

CREATE TABLE portfolio_items (
    id            uuid        PRIMARY KEY,
    freelancer_id uuid        NOT NULL REFERENCES users (id),
    title         text        NOT NULL,
    description   text        NOT NULL,
    url           text,
    skills        text        NOT NULL,
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX portfolio_items_freelancer_idx ON portfolio_items (freelancer_id, created_at);
