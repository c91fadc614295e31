-- 好差评 later from the phone: every ticket carries a random secret (not derived from its id) that
-- its QR code holds; headquarters accepts a phone rating for the ticket only with it.
ALTER TABLE tickets ADD COLUMN rate_token TEXT;
