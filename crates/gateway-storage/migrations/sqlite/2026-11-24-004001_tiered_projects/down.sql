DROP TABLE project_sessions;
DROP TABLE projects;
