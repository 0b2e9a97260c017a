-- Profile fields (all optional) and the account lifecycle: a deactivated
-- account signs in again to reactivate; a deleted one is erased in place (its
-- row stays, for the projects, proposals, contracts and reviews that point to
-- it). The address is one JSON object (replaced and cleared as a whole, only
-- displayed); see docs/ARCHITECTURE.md.
ALTER TABLE users ADD COLUMN first_name text;
ALTER TABLE users ADD COLUMN last_name text;
ALTER TABLE users ADD COLUMN phone text;
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN address text;
ALTER TABLE users ADD COLUMN deactivated_at text;
ALTER TABLE users ADD COLUMN deleted_at text;
