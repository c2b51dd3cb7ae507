-- Each device's on-screen-display mask layout (learned from its video, edited in its room), as the
-- latest device.mask-layout event said: part of the device's record. The event's sequence number
-- keeps an older change, arriving late, from replacing a newer one.
ALTER TABLE devices ADD COLUMN mask_layout jsonb;
ALTER TABLE devices ADD COLUMN mask_layout_change text;
ALTER TABLE devices ADD COLUMN mask_layout_by text;
ALTER TABLE devices ADD COLUMN mask_layout_at timestamptz;
ALTER TABLE devices ADD COLUMN mask_layout_seq bigint;

-- How much of the picture the recording masked, on average over the procedure's in-body frames
-- (0..1, from procedure.ended): what a reviewer lost of the clinical image to de-identification.
ALTER TABLE procedures ADD COLUMN masked_in_picture real;
