-- Access-control entries of folders (RFC 4314): a NULL grantee is `anyone` of the owner's
-- domain. One entry per folder and grantee; entries go with their folder and grantee.
CREATE TABLE acl (
    folder_id BIGINT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    grantee_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    rights TEXT NOT NULL
);
CREATE UNIQUE INDEX acl_entry ON acl (folder_id, coalesce(grantee_id, 0));
CREATE INDEX acl_grantee ON acl (grantee_id);
