-- The mail outbox: a change that sends mail inserts its message here in the
-- same transaction; the deliverer sends it (SMTP) and records every attempt.
-- A claim (locked_until) keeps two instances from sending one message at
-- once; bodies are erased once sent (they carry single-use links).
CREATE TABLE mail_outbox (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL,
    recipient       text        NOT NULL,
    subject         text        NOT NULL,
    text_body       text,
    html_body       text,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    last_error      text,
    sent_at         timestamptz,
    CONSTRAINT mail_outbox_kind_check CHECK (kind IN ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CONFIRM_EMAIL_CHANGE', 'EMAIL_CHANGED'))
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Single-use tokens mailed to a user: stored as SHA-256 only. `email` is the
-- address the link went to (for CHANGE_EMAIL, the new address).
CREATE TABLE account_tokens (
    token_hash text        NOT NULL PRIMARY KEY,
    purpose    text        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES users (id),
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL'))
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose, created_at);

-- Sign-up challenges: single use (deleted when answered), expiring.
CREATE TABLE captchas (
    id         uuid        PRIMARY KEY,
    answer     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX captchas_expires_at_idx ON captchas (expires_at);
