-- Landmarks the endoscopist marks during a procedure (cecum reached starts the withdrawal time).
ALTER TABLE procedures ADD COLUMN cecum_reached_at TEXT;
