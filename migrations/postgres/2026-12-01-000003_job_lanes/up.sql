-- Jobs of one lane (one organisation's webhook deliveries) share a bounded number of places.
ALTER TABLE jobs ADD COLUMN lane TEXT;
