DROP TABLE audit_events;
DROP TABLE login_failures;
