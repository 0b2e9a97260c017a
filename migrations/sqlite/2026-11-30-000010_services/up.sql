-- Services: the catalogue, professionals and their verification, and
-- service requests from request to review.

-- The catalogue. `name_key` is the name lower-cased (Unicode, by the
-- server), so names are unique whatever their case on both backends.
CREATE TABLE services (
    id               text        NOT NULL PRIMARY KEY,
    name             text        NOT NULL,
    name_key         text        NOT NULL,
    description      text        NOT NULL,
    category         text        NOT NULL,
    base_price_minor bigint      NOT NULL,
    currency         text        NOT NULL,
    duration_minutes integer     NOT NULL,
    active           boolean     NOT NULL,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    CONSTRAINT services_name_key UNIQUE (name_key),
    CONSTRAINT services_category_check CHECK (category IN ('CLEANING', 'PLUMBING', 'ELECTRICAL', 'CARPENTRY', 'PAINTING', 'GARDENING', 'MOVING', 'APPLIANCE_REPAIR', 'CONSULTING', 'TUTORING', 'OTHER')),
    CONSTRAINT services_price_check CHECK (base_price_minor >= 0),
    CONSTRAINT services_duration_check CHECK (duration_minutes > 0)
);
CREATE INDEX services_created_idx ON services (created_at);

-- A FREELANCER's professional profile, created by its first update.
CREATE TABLE professional_profiles (
    user_id              text        NOT NULL PRIMARY KEY REFERENCES users (id),
    headline             text,
    bio                  text,
    experience_years     integer,
    hourly_rate_minor    bigint,
    hourly_rate_currency text,
    verification_status  text        NOT NULL,
    rejection_reason     text,
    submitted_at         text,
    verified_at          text,
    created_at           text NOT NULL,
    updated_at           text NOT NULL,
    CONSTRAINT professional_profiles_status_check CHECK (verification_status IN ('UNSUBMITTED', 'PENDING', 'VERIFIED', 'REJECTED')),
    CONSTRAINT professional_profiles_rate_check CHECK ((hourly_rate_minor IS NULL) = (hourly_rate_currency IS NULL))
);
CREATE INDEX professional_profiles_status_idx ON professional_profiles (verification_status, submitted_at);

-- The services a professional offers.
CREATE TABLE professional_services (
    user_id    text        NOT NULL REFERENCES professional_profiles (user_id),
    service_id text        NOT NULL REFERENCES services (id),
    PRIMARY KEY (user_id, service_id)
);
CREATE INDEX professional_services_service_idx ON professional_services (service_id);

-- The postal codes a professional covers (trimmed, upper-cased).
CREATE TABLE professional_postal_codes (
    user_id     text        NOT NULL REFERENCES professional_profiles (user_id),
    postal_code text        NOT NULL,
    PRIMARY KEY (user_id, postal_code)
);
CREATE INDEX professional_postal_codes_code_idx ON professional_postal_codes (postal_code);

-- Private documents a professional sends for verification: the object in
-- storage (never under the public prefix) and what was sent.
CREATE TABLE verification_documents (
    id           text        NOT NULL PRIMARY KEY,
    user_id      text        NOT NULL REFERENCES users (id),
    kind         text        NOT NULL,
    file_name    text        NOT NULL,
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL,
    object_key   text        NOT NULL,
    created_at   text NOT NULL,
    CONSTRAINT verification_documents_kind_check CHECK (kind IN ('ID_CARD', 'CERTIFICATE', 'LICENSE', 'INSURANCE', 'OTHER')),
    CONSTRAINT verification_documents_type_check CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg'))
);
CREATE INDEX verification_documents_user_idx ON verification_documents (user_id, created_at);

-- A client's request for a catalogue service at an address. The area
-- (postal code, city, country) is what professionals match on; `address`
-- is the whole street address (JSON), erased with the client's account.
CREATE TABLE service_requests (
    id                  text        NOT NULL PRIMARY KEY,
    service_id          text        NOT NULL REFERENCES services (id),
    client_id           text        NOT NULL REFERENCES users (id),
    professional_id     text        REFERENCES users (id),
    status              text        NOT NULL,
    description         text        NOT NULL,
    postal_code         text        NOT NULL,
    city                text        NOT NULL,
    country             text        NOT NULL,
    address             text,
    contact_phone       text,
    preferred_start     text,
    preferred_end       text,
    created_at          text NOT NULL,
    updated_at          text NOT NULL,
    assigned_at         text,
    started_at          text,
    completed_at        text,
    cancelled_at        text,
    cancellation_reason text,
    CONSTRAINT service_requests_status_check CHECK (status IN ('REQUESTED', 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')),
    CONSTRAINT service_requests_professional_check CHECK (status IN ('REQUESTED', 'CANCELLED') OR professional_id IS NOT NULL)
);
CREATE INDEX service_requests_created_idx ON service_requests (created_at);
CREATE INDEX service_requests_client_idx ON service_requests (client_id, created_at);
CREATE INDEX service_requests_professional_idx ON service_requests (professional_id, created_at);
CREATE INDEX service_requests_open_idx ON service_requests (service_id, postal_code, created_at) WHERE status = 'REQUESTED';

-- A review is of a contract or of a service request (SQLite changes a
-- column's constraints by rebuilding the table).
CREATE TABLE reviews_new (
    id                 text        NOT NULL PRIMARY KEY,
    contract_id        text        REFERENCES contracts (id),
    service_request_id text        REFERENCES service_requests (id),
    reviewer_id        text        NOT NULL REFERENCES users (id),
    reviewee_id        text        NOT NULL REFERENCES users (id),
    rating             integer     NOT NULL,
    comment            text        NOT NULL,
    created_at         text NOT NULL,
    CONSTRAINT reviews_contract_reviewer_key UNIQUE (contract_id, reviewer_id),
    CONSTRAINT reviews_service_request_reviewer_key UNIQUE (service_request_id, reviewer_id),
    CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT reviews_subject_check CHECK ((contract_id IS NULL) <> (service_request_id IS NULL))
);
INSERT INTO reviews_new (id, contract_id, reviewer_id, reviewee_id, rating, comment, created_at)
    SELECT id, contract_id, reviewer_id, reviewee_id, rating, comment, created_at FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
CREATE INDEX reviews_reviewee_idx ON reviews (reviewee_id, created_at);

-- The kinds of audit events and mail grow with every area; the enums in
-- the code say which exist.
CREATE TABLE audit_events_new (
    id           text        NOT NULL PRIMARY KEY,
    kind         text        NOT NULL,
    user_id      text        REFERENCES users (id),
    email_digest text,
    ip           text,
    user_agent   text,
    detail       text,
    created_at   text        NOT NULL
);
INSERT INTO audit_events_new SELECT id, kind, user_id, email_digest, ip, user_agent, detail, created_at FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_user_idx ON audit_events (user_id, created_at);
CREATE INDEX audit_events_created_at_idx ON audit_events (created_at);

CREATE TABLE mail_outbox_new (
    id          text        NOT NULL PRIMARY KEY,
    kind        text        NOT NULL,
    recipient   text        NOT NULL,
    subject     text        NOT NULL,
    text_body   text,
    html_body   text,
    created_at  text        NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text,
    sent_at     text,
    failed_at   text
);
INSERT INTO mail_outbox_new SELECT id, kind, recipient, subject, text_body, html_body, created_at, attempts, last_error, sent_at, failed_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
