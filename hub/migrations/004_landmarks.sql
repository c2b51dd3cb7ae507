-- When the cecum was reached: withdrawal time runs from here to the end of the procedure.
ALTER TABLE procedures ADD COLUMN cecum_reached_at timestamptz;
