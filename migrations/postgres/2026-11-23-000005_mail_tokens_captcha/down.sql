DROP TABLE captchas;
DROP TABLE account_tokens;
DROP TABLE mail_outbox;
