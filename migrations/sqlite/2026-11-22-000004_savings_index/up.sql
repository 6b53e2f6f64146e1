-- Sorting the register by savings reads only this index.
CREATE INDEX savings_kind_amount_idx ON savings (opportunity_id, kind, amount_pence);
