-- The permissions a member holds in a team (a JSON array of ids, sorted): an owner starts with
-- team_admin, a member with team_member (Stack Auth's defaults; docs/dialects/tiered.md).
ALTER TABLE team_memberships ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';
UPDATE team_memberships SET permissions = '["team_admin"]' WHERE role = 'owner';
UPDATE team_memberships SET permissions = '["team_member"]' WHERE role = 'member';
-- Who selected a team (unselected when the team or the membership ends).
CREATE INDEX users_selected_team ON users (selected_team_id);
-- Two project switches of the teams family (both off, as in a new vendor project).
ALTER TABLE projects ADD COLUMN client_team_creation_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE projects ADD COLUMN create_team_on_sign_up BOOLEAN NOT NULL DEFAULT FALSE;
