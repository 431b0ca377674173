/**
 * A payment request names a member and a claim of its own organization. Each key includes the
 * organization id, so a request can never point at another organization's member or claim, even
 * when the ids were guessed or copied. Runs with `search_path` set to the target schema.
 *
 * Requests written by memberpay always name an existing member and claim of their organization,
 * so the keys hold for data written before this migration. A row that breaks them (written by
 * hand) makes the migration fail, naming the constraint, and nothing of it is applied.
 */
export const REQUEST_MEMBER_AND_CLAIM_KEYS = `
ALTER TABLE claim ADD CONSTRAINT claim_organization_id_id_key UNIQUE (organization_id, id);

ALTER TABLE payment_request
  ADD CONSTRAINT payment_request_member_fkey
    FOREIGN KEY (organization_id, member_id) REFERENCES member (organization_id, id),
  ADD CONSTRAINT payment_request_claim_fkey
    FOREIGN KEY (organization_id, claim_id) REFERENCES claim (organization_id, id);
`;
