-- Billing: bills with gap-free numbers, their lines, and payments.

-- A bill gets its number only when issued (Stripe's rule for invoices).
-- `author_id` is who drafted it (null: the platform, e.g. a demo bill);
-- `issuer_id` who is paid (null: the platform bills).
CREATE TABLE bills (
    id                 uuid        PRIMARY KEY,
    number             text,
    status             text        NOT NULL,
    payer_id           uuid        NOT NULL REFERENCES users (id),
    issuer_id          uuid        REFERENCES users (id),
    author_id          uuid        REFERENCES users (id),
    contract_id        uuid        REFERENCES contracts (id),
    service_request_id uuid        REFERENCES service_requests (id),
    currency           text        NOT NULL,
    subtotal_minor     bigint      NOT NULL,
    tax_rate_bp        integer     NOT NULL,
    tax_minor          bigint      NOT NULL,
    total_minor        bigint      NOT NULL,
    due_at             timestamptz NOT NULL,
    issued_at          timestamptz,
    paid_at            timestamptz,
    voided_at          timestamptz,
    void_reason        text,
    refunded_at        timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT bills_number_key UNIQUE (number),
    CONSTRAINT bills_status_check CHECK (status IN ('DRAFT', 'ISSUED', 'PAID', 'VOID', 'REFUNDED')),
    CONSTRAINT bills_subject_check CHECK (contract_id IS NULL OR service_request_id IS NULL),
    CONSTRAINT bills_numbered_check CHECK ((status = 'DRAFT') = (number IS NULL)),
    CONSTRAINT bills_amounts_check CHECK (subtotal_minor >= 0 AND tax_minor >= 0 AND total_minor = subtotal_minor + tax_minor AND tax_rate_bp BETWEEN 0 AND 10000)
);
CREATE INDEX bills_created_idx ON bills (created_at);
CREATE INDEX bills_payer_idx ON bills (payer_id, created_at);
CREATE INDEX bills_issuer_idx ON bills (issuer_id, created_at);
CREATE INDEX bills_author_idx ON bills (author_id, created_at);

-- A bill's lines, in order. Quantities in thousandths; amounts in minor units.
CREATE TABLE bill_lines (
    bill_id          uuid        NOT NULL REFERENCES bills (id) ON DELETE CASCADE,
    position         integer     NOT NULL,
    description      text        NOT NULL,
    quantity_milli   bigint      NOT NULL,
    unit_price_minor bigint      NOT NULL,
    amount_minor     bigint      NOT NULL,
    PRIMARY KEY (bill_id, position),
    CONSTRAINT bill_lines_values_check CHECK (quantity_milli > 0 AND unit_price_minor >= 0 AND amount_minor >= 0)
);

-- The last number issued per year: taken and incremented in the issuing
-- transaction, so numbers are gap-free (a rolled-back issue gives its
-- number back) and unique (the row serialises issuers).
CREATE TABLE bill_sequences (
    year integer     NOT NULL PRIMARY KEY,
    last bigint      NOT NULL
);

-- Payments of bills. `idempotency_key` is the payer's (kept as long as the
-- payment); `fingerprint` what was asked under it, so a replay with other
-- parameters is refused. At most one PENDING or SUCCEEDED payment per bill.
CREATE TABLE payments (
    id                 uuid        PRIMARY KEY,
    bill_id            uuid        NOT NULL REFERENCES bills (id),
    payer_id           uuid        NOT NULL REFERENCES users (id),
    amount_minor       bigint      NOT NULL,
    currency           text        NOT NULL,
    method             text        NOT NULL,
    card_token         text,
    status             text        NOT NULL,
    failure_reason     text,
    provider_reference text,
    idempotency_key    text        NOT NULL,
    fingerprint        text        NOT NULL,
    refund_reason      text,
    created_at         timestamptz NOT NULL,
    settled_at         timestamptz,
    refunded_at        timestamptz,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT payments_payer_key_key UNIQUE (payer_id, idempotency_key),
    CONSTRAINT payments_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
    CONSTRAINT payments_method_check CHECK (method IN ('CARD', 'BANK_TRANSFER'))
);
CREATE UNIQUE INDEX payments_live_bill_key ON payments (bill_id) WHERE status IN ('PENDING', 'SUCCEEDED');
CREATE INDEX payments_bill_idx ON payments (bill_id, created_at);
CREATE INDEX payments_payer_idx ON payments (payer_id, created_at);
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'PENDING';
