-- Mail that can never go out (the SMTP server refused it for good with a 5xx
-- reply, or no message can be built for the recipient) is marked failed:
-- never claimed again, its bodies erased like sent mail's (they carry
-- single-use links), pruned like sent mail after 30 days.
ALTER TABLE mail_outbox ADD COLUMN failed_at timestamptz;
DROP INDEX mail_outbox_due_idx;
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
