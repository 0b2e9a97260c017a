-- The job queue: every kind of background work. A job is inserted in the
-- transaction of the change that asks for it. A worker claims it by setting
-- a lease (lease_until, lease_token) and renews the lease while it runs;
-- finishing or failing is fenced by the token, so a worker whose lease
-- expired cannot overwrite the run that took the job over. A failed run
-- waits (run_at) and is retried until max_attempts, then the job is DEAD.
-- unique_key makes an enqueue idempotent (one job per key, ever).
CREATE TABLE jobs (
    id             text        NOT NULL PRIMARY KEY,
    kind           text        NOT NULL,
    payload        text        NOT NULL,
    status         text        NOT NULL,
    attempts       integer     NOT NULL DEFAULT 0,
    max_attempts   integer     NOT NULL,
    run_at         text        NOT NULL,
    lease_until    text,
    lease_token    text,
    progress_done  bigint,
    progress_total bigint,
    last_error     text,
    unique_key     text        UNIQUE,
    created_at     text        NOT NULL,
    updated_at     text        NOT NULL,
    finished_at    text,
    CONSTRAINT jobs_status_check CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'DEAD', 'CANCELLED')),
    CONSTRAINT jobs_attempts_check CHECK (attempts >= 0 AND max_attempts >= 1)
);
CREATE INDEX jobs_queued_idx ON jobs (run_at) WHERE status = 'QUEUED';
CREATE INDEX jobs_running_idx ON jobs (lease_until) WHERE status = 'RUNNING';
CREATE INDEX jobs_kind_status_idx ON jobs (kind, status, created_at);
