ALTER TABLE mail_outbox ADD COLUMN locked_until text;
ALTER TABLE mail_outbox ADD COLUMN next_attempt_at text NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
