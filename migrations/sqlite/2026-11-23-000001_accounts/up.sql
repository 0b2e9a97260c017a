CREATE TABLE users (
    id                text        NOT NULL PRIMARY KEY,
    email             text        NOT NULL,
    password_hash     text        NOT NULL,
    name              text        NOT NULL,
    role              text        NOT NULL,
    email_verified_at text,
    blocked_at        text,
    created_at        text        NOT NULL,
    updated_at        text        NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_role_check CHECK (role IN ('CLIENT', 'FREELANCER', 'ADMIN', 'SUPER_ADMIN'))
);

CREATE TABLE sessions (
    id           text        NOT NULL PRIMARY KEY,
    user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   text        NOT NULL,
    last_used_at text        NOT NULL,
    expires_at   text        NOT NULL,
    revoked_at   text,
    user_agent   text,
    ip           text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash text        NOT NULL PRIMARY KEY,
    session_id text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at text        NOT NULL,
    used_at    text
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
