/**
 * The scheduler asks each organization, every few minutes, for requests with gateway work that
 * was never confirmed: a cancel waiting on an open invoice, or a refund asked for and not
 * answered. Few requests are ever in that state; this partial index keeps just those, so the
 * question never reads the whole table. Runs with `search_path` set to the target schema.
 */
export const REQUEST_FOLLOW_UP_QUEUE = `
CREATE INDEX payment_request_follow_up_idx ON payment_request (organization_id, created_at, id)
  WHERE (cancel_requested_at IS NOT NULL AND status IN ('sent', 'failed'))
    OR refunds @> '[{"status": "requested"}]';
`;
