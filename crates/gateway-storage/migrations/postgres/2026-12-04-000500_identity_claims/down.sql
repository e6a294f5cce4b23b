DROP FUNCTION claim_identities(TEXT[]);
