DROP TABLE portfolio_items;
DROP TABLE reviews;
DROP TABLE contracts;
DROP TABLE proposals;
DROP TABLE project_skills;
DROP TABLE projects;
