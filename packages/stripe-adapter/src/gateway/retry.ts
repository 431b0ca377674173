import type { GatewayError } from '@memberpay/core';

/**
 * Our own retries, on top of stripe-node's `maxNetworkRetries` (which covers dropped
 * connections, 5xx, 409 and lock timeouts flagged `Stripe-Should-Retry`). stripe-node never
 * retries a plain 429, so rate limits, lock timeouts it gave up on and 409s for an idempotency
 * key still in flight come back here. Every retry reuses the call's idempotency key.
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included. 1 turns our retries off. */
  readonly maxAttempts: number;
  /** The ceiling of the first wait; it doubles on every further attempt. */
  readonly baseDelayMs: number;
  /** No wait is longer than this; a `Retry-After` asking for more ends the retries. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
};

/** The error kinds worth another attempt after a pause. */
export function isRetriedByUs(error: GatewayError): boolean {
  return error.kind === 'rate_limited' || error.kind === 'conflict';
}

/**
 * The wait before attempt `attempt + 1`, or null to give up. Exponential backoff with full
 * jitter (a uniform draw between zero and the doubling ceiling), so that workers rate-limited
 * together do not come back together; a `Retry-After` hint is a floor on the wait.
 */
export function delayBeforeRetry(
  policy: RetryPolicy,
  attempt: number,
  hintMs: number | null,
  random: () => number,
): number | null {
  if (attempt >= policy.maxAttempts) {
    return null;
  }

  if (hintMs !== null && hintMs > policy.maxDelayMs) {
    return null;
  }

  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, hintMs ?? 0);
}
