-- The CRC-32 of a recording's stored bytes, taken on the same read as its verified SHA-256: what a
-- ZIP entry needs, so that an export can copy the recording into its archive on the object store's
-- server, without reading it again. Recordings verified before this have none (exports read them).
ALTER TABLE recordings ADD COLUMN crc32_verified bigint;
