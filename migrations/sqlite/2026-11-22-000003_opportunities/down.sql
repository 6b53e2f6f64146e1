DROP TABLE opportunity_comments;
DROP TABLE endorsements;
DROP TABLE barriers;
DROP TABLE savings;
DROP TABLE opportunity_transitions;
DROP TABLE opportunity_partners;
DROP TABLE opportunities;
DROP TABLE opportunity_search;
