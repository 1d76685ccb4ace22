-- The CSV or TSV row of an archived event, kept at route time for subscribers whose archives are CSV or TSV: the
-- event's cells in its own shape's order, written for one dialect and formula setting (row_format). A build places
-- it as is when the file's columns start with that shape, and reads the event's JSON otherwise (another format since,
-- a wider header), so a row kept under old settings is never wrong, only unused. Null for every other format.
ALTER TABLE archive_items ADD COLUMN row_text TEXT;
ALTER TABLE archive_items ADD COLUMN row_format TEXT;
ALTER TABLE archive_items ADD COLUMN row_cells INTEGER;
