DROP INDEX mail_outbox_due_idx;
ALTER TABLE mail_outbox DROP COLUMN failed_at;
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
