-- roster 0006 (PostgreSQL): each organization's SSO configuration keeps the
-- public base URL its service-provider URLs were derived from, so the
-- entity id and ACS URL an IdP was given cannot drift when roster serve
-- runs with another --base-url. '' (rows from before) means "roster
-- serve's --base-url".
ALTER TABLE saml_configs ADD COLUMN base_url TEXT COLLATE "C" NOT NULL DEFAULT '';
