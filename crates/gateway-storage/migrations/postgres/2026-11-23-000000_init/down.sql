DROP TABLE gateway_secrets;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE team_memberships;
DROP TABLE teams;
DROP TABLE users;
