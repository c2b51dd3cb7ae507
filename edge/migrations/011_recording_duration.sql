-- How much video a sealed segment holds (ms), as the recorder counted the frames it wrote: what the
-- file must decode to. NULL for segments sealed before this column and for recordings not cut by the
-- recorder (an uploaded file, say).
ALTER TABLE recordings ADD COLUMN duration_ms INTEGER;
