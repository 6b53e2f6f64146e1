DROP INDEX audit_log_at_idx;
DROP INDEX audit_log_actor_idx;
DROP TABLE review_submissions;
DROP TABLE reviews;
