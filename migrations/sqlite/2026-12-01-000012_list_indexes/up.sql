-- An index for every order the project and contract lists offer, per
-- viewer kind: anonymous viewers and freelancers see OPEN projects (status
-- first), admins see every status (no status prefix). Without them an
-- admin's page is a sequential scan and a top-N sort of every project.
CREATE INDEX projects_created_idx ON projects (created_at, id);
CREATE INDEX projects_budget_idx ON projects (budget_max_minor, id);
CREATE INDEX projects_deadline_idx ON projects (deadline, id);
CREATE INDEX projects_status_budget_idx ON projects (status, budget_max_minor, id);
CREATE INDEX projects_status_deadline_idx ON projects (status, deadline, id);
CREATE INDEX contracts_started_idx ON contracts (started_at, id);
