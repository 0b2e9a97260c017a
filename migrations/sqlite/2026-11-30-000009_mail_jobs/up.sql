-- Mail is sent by jobs (one per message, kind deliver_mail): the queue's
-- lease and schedule replace the outbox's own.
DROP INDEX mail_outbox_due_idx;
ALTER TABLE mail_outbox DROP COLUMN next_attempt_at;
ALTER TABLE mail_outbox DROP COLUMN locked_until;
