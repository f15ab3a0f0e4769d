-- roster 0017: two organization settings. sign_in_redirect_url is where a
-- successful SAML sign-in hands the browser to the host app ('' = the
-- instance's default); scim_rate_limit is the requests per second each of
-- the organization's SCIM tokens may make (0 = the instance's default).
ALTER TABLE orgs ADD COLUMN sign_in_redirect_url TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN scim_rate_limit INTEGER NOT NULL DEFAULT 0 CHECK (scim_rate_limit >= 0);
