DROP INDEX savings_kind_amount_idx;
