DROP INDEX contracts_started_idx;
DROP INDEX projects_status_deadline_idx;
DROP INDEX projects_status_budget_idx;
DROP INDEX projects_deadline_idx;
DROP INDEX projects_budget_idx;
DROP INDEX projects_created_idx;
