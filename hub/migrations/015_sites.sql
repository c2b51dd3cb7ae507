-- Sites and rooms: a person sees only the procedures, videos, exports, chats and devices of the sites
-- they are given (hub/src/auth/site-scope.ts). Admins and auditors are not scoped; any other role with
-- no site sees none of them (fail closed). Site names are free text, compared exactly.

-- Where a device stands: its site, and the room within it (a label).
ALTER TABLE devices
  ADD COLUMN site text CHECK (site IS NULL OR length(site) BETWEEN 1 AND 100),
  ADD COLUMN room text CHECK (room IS NULL OR length(room) BETWEEN 1 AND 100);
CREATE INDEX devices_site ON devices (site);

-- The sites a person is given (for admins and auditors: kept, and used only as the default site of
-- what they upload or enrol).
ALTER TABLE users ADD COLUMN sites text[] NOT NULL DEFAULT '{}';

-- An uploaded video's site (given at upload, or the uploader's only one). A room's procedure has none
-- here: it belongs to its device's site, `coalesce(p.site, d.site)`.
ALTER TABLE procedures ADD COLUMN site text;
CREATE INDEX procedures_site ON procedures (site) WHERE site IS NOT NULL;
ALTER TABLE video_uploads ADD COLUMN site text;

-- The site and room an enrolment token gives the device enrolled with it.
ALTER TABLE enrolment_tokens
  ADD COLUMN site text,
  ADD COLUMN room text;
