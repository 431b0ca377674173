/**
 * A paper EOB keyed in by staff and the 835 of the same payment are two remittances: only the
 * 835 drives automation, so the paper one must never stand for it. The source joins the
 * uniqueness rule, and the claim payments of paper remittances recorded before their keys
 * started with `paper|` get that prefix, which frees the 835's keys. Runs with `search_path`
 * set to the target schema.
 */
export const REMITTANCE_SOURCE_IN_IDENTITY = `
ALTER TABLE remittance DROP CONSTRAINT remittance_organization_id_payer_id_trace_number_key;
ALTER TABLE remittance ADD CONSTRAINT remittance_source_payer_trace_key
  UNIQUE (organization_id, source, payer_id, trace_number);

UPDATE claim_payment SET key = 'paper|' || claim_payment.key
  FROM remittance
  WHERE remittance.organization_id = claim_payment.organization_id
    AND remittance.id = claim_payment.remittance_id
    AND remittance.source = 'paper'
    AND claim_payment.key NOT LIKE 'paper|%';
`;
