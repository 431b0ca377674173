import type { ClockPort, LoggerPort } from '@memberpay/core';
import type Stripe from 'stripe';
import type { RetryPolicy } from './retry';

/** Either a secret key, from which the gateway builds its own client, or a client of yours. */
export type StripeCredentials =
  | {
      /** `sk_test_…`, `sk_live_…` or a restricted key (`rk_…`). */
      readonly secretKey: string;
      readonly stripe?: never;
    }
  | {
      /**
       * A stripe-node client you configured yourself. It should pin `Stripe.API_VERSION`;
       * `api`, `maxNetworkRetries` and `timeoutMs` are then ignored.
       */
      readonly stripe: Stripe;
      readonly secretKey?: never;
      /** Required with a client: its key, and so its mode, cannot be read back from it. */
      readonly mode: 'live' | 'test';
    };

export type StripePaymentGatewayOptions = StripeCredentials & {
  /**
   * Signing secrets (`whsec_…`) of the webhook endpoints that deliver to this gateway: the
   * platform endpoint and the Connect endpoint each have their own. A delivery verifies when it
   * matches any of them, which also lets a secret be rolled without downtime.
   */
  readonly webhookSecrets?: string | readonly string[];
  /** How old a signature may be, in seconds. Default 300, as Stripe recommends; 0 disables. */
  readonly webhookTolerance?: number;
  /**
   * Whether this gateway works in live mode or in test mode. A Connect endpoint receives the
   * events of connected accounts in both modes; an event of the other mode is acknowledged and
   * ignored, so that a test payment never marks a live request paid. Default: read from the
   * secret key (`sk_live_…`, `rk_live_…` are live); required with a client of yours.
   */
  readonly mode?: 'live' | 'test';
  /** Where the Stripe API is; set it to talk to the local simulator. Default api.stripe.com. */
  readonly api?: {
    readonly host: string;
    readonly port: number;
    readonly protocol: 'http' | 'https';
  };
  /** stripe-node's own retries of dropped connections, 5xx, 409 and lock timeouts. Default 2. */
  readonly maxNetworkRetries?: number;
  /** Per-request timeout in milliseconds. Default 80 000 (stripe-node's). */
  readonly timeoutMs?: number;
  /**
   * Calls per second the gateway allows itself, spaced evenly. Default 24 for test keys and 90
   * for live keys, a little under Stripe's limits of 25 and 100; 24 when a client is passed.
   * `null` turns pacing off.
   */
  readonly maxRequestsPerSecond?: number | null;
  /** Our retries of rate limits and in-flight idempotency keys; see `RetryPolicy`. */
  readonly retry?: Partial<RetryPolicy>;
  /** Receives ids, codes and Stripe request ids only. Default: says nothing. */
  readonly logger?: LoggerPort;
  /** The clock webhook signatures are aged against. Default: the system clock. */
  readonly clock?: ClockPort;
  /** Waits between retries and for the pacer; inject an instant one in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for retry jitter; inject a fixed one in tests. */
  readonly random?: () => number;
};

export const TEST_MODE_REQUESTS_PER_SECOND = 24;
export const LIVE_MODE_REQUESTS_PER_SECOND = 90;

/**
 * The mode the gateway works in: as configured, else as its secret key says. A mode that is
 * neither, or none with a client of the host's, is a mistake in the host's code: it would
 * drop every event of the real mode while answering Stripe that all is well, so it throws.
 */
export function modeOf(options: StripePaymentGatewayOptions): 'live' | 'test' {
  const mode: unknown = options.mode;
  if (mode === 'live' || mode === 'test') {
    return mode;
  }

  if (mode !== undefined) {
    throw new TypeError(`StripePaymentGateway: mode must be 'live' or 'test', not ${String(mode)}`);
  }

  if (typeof options.secretKey !== 'string') {
    throw new TypeError(
      "StripePaymentGateway: pass mode ('live' or 'test') with a stripe client of yours",
    );
  }

  return isLiveKey(options.secretKey) ? 'live' : 'test';
}

/** Stripe's rate limits follow the key's mode, whatever `mode` says about events. */
export function defaultRequestsPerSecond(options: StripePaymentGatewayOptions): number {
  return isLiveKey(options.secretKey ?? '')
    ? LIVE_MODE_REQUESTS_PER_SECOND
    : TEST_MODE_REQUESTS_PER_SECOND;
}

function isLiveKey(key: string): boolean {
  return /^(sk|rk)_live_/.test(key);
}
