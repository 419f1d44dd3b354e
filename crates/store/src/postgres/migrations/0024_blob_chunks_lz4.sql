-- Message chunks are compressed with lz4 rather than pglz when they go out of line: pglz
-- took most of an APPEND's time in the database, lz4 compresses mail about as well at a
-- fraction of the CPU. Rows written before keep their compression. A server built without
-- lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE blob_chunks ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    NULL;
END
$$;
