ALTER TABLE projects DROP COLUMN create_team_on_sign_up;
ALTER TABLE projects DROP COLUMN client_team_creation_enabled;
DROP INDEX users_selected_team;
ALTER TABLE team_memberships DROP COLUMN permissions;
