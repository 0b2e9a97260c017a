-- Failed sign-ins counted per account and per client address, shared by
-- every instance. `key` is the SHA-256 of the normalised email (ACCOUNT) or
-- the address (IP); a window starts at its first failure and lasts
-- LOGIN_LOCKOUT. Expired rows are purged by the next sign-in.
CREATE TABLE login_failures (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CONSTRAINT login_failures_scope_check CHECK (scope IN ('ACCOUNT', 'IP'))
);
CREATE INDEX login_failures_window_start_idx ON login_failures (window_start);

-- Security-relevant account events, append-only. `email_digest` is the
-- SHA-256 of the normalised email a failed sign-in tried (never the address).
CREATE TABLE audit_events (
    id           uuid        PRIMARY KEY,
    kind         text        NOT NULL,
    user_id      uuid        REFERENCES users (id),
    email_digest text,
    ip           text,
    user_agent   text,
    detail       text,
    created_at   timestamptz NOT NULL,
    CONSTRAINT audit_events_kind_check CHECK (kind IN ('SIGNED_UP', 'LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'LOGGED_OUT', 'PASSWORD_CHANGED', 'PASSWORD_RESET', 'EMAIL_CHANGED', 'ACCOUNT_DEACTIVATED', 'ACCOUNT_REACTIVATED', 'ACCOUNT_DELETED'))
);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, created_at);
CREATE INDEX audit_events_created_at_idx ON audit_events (created_at);
