/**
 * Ingestion asks which claim payments a claim already had (a later payer's adjudication stops
 * an earlier payer's readjudication from billing by itself). Only claims matched by a
 * remittance have any, so the index leaves out the unmatched. Runs with `search_path` set to
 * the target schema.
 */
export const CLAIM_PAYMENTS_BY_CLAIM = `
CREATE INDEX claim_payment_claim_idx ON claim_payment (organization_id, claim_id, position)
  WHERE claim_id IS NOT NULL;
`;
