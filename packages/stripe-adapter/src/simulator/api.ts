/**
 * The public API of the simulator: what `startStripeSimulator` takes and what it hands back.
 * Re-exported by `./index`; kept apart so that the implementation can use these types without
 * importing the entry point.
 */
import type { ClockPort, IdGeneratorPort, LoggerPort } from '@memberpay/core';
import type Stripe from 'stripe';

/** Options of `startStripeSimulator`. Every field is optional. */
export interface StripeSimulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /**
   * Base of the links the simulator hands out (hosted invoice pages, onboarding and login
   * links). Default: the URL it listens on.
   */
  publicUrl?: string;
  /** Accept only this secret key. Default: any key that starts with `sk_test_`. */
  apiKey?: string;
  /** Where "now" comes from. Default: the system clock. `sim.clock.advance()` moves past it. */
  clock?: ClockPort;
  /** Where object ids come from. Default: Stripe-like random ids (`in_` + 24 characters). */
  ids?: IdGeneratorPort;
  /** Debug line per request, warn on webhook deliveries that gave up. Default: silent. */
  logger?: LoggerPort;
  /** Merchant name on hosted pages of invoices that have no `on_behalf_of` account. */
  platformName?: string;
  /**
   * How long a bank (us_bank_account) payment stays `processing` before it settles or fails.
   * Default 2000 ms. `null` leaves it processing until `testHelpers.settleBankPayment`.
   */
  bankSettlementDelayMs?: number | null;
  /** How refunds progress. */
  refunds?: RefundOptions;
  /** How events reach webhook endpoints. */
  webhooks?: Partial<WebhookSettings>;
  /** Requests per second per account before a 429 `rate_limit` (test mode: 25). Default: off. */
  requestsPerSecond?: number | null;
  /** Latency added to every API call, in milliseconds. Default 0. */
  latencyMs?: number;
  /**
   * How long a new object stays invisible to `/search` endpoints, mimicking the lag of
   * Stripe's search index. Default 0.
   */
  searchLagMs?: number;
}

export interface RefundOptions {
  /**
   * Whether card refunds start `pending` (bank refunds always do). Default false: card
   * refunds succeed at once.
   */
  startPending?: boolean;
  /**
   * How long a pending refund waits before it succeeds. Default 1000 ms. `null` leaves it
   * pending until `testHelpers.succeedRefund` or `testHelpers.failRefund`.
   */
  settleAfterMs?: number | null;
}

/** How events are delivered; change them at run time with `sim.webhooks.configure()`. */
export interface WebhookSettings {
  /** Waits between attempts after a non-2xx answer; one attempt more than entries. */
  retryDelaysMs: readonly number[];
  /** How long one delivery attempt may take before it counts as failed. */
  timeoutMs: number;
  /** Deliver every event twice (same event id), as Stripe's at-least-once delivery may. */
  duplicates: boolean;
  /** Deliver the events of one API call (or helper) in reverse order. */
  outOfOrder: boolean;
  /** Added to the signature timestamp; -600 makes every delivery older than the tolerance. */
  timestampSkewSeconds: number;
}

/** The running simulator. */
export interface StripeSimulator {
  /** `http://host:port`, where both the API and the hosted pages live. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** A secret key the simulator accepts. */
  readonly apiKey: string;
  /** Spread into `new Stripe(key, { ...sim.stripeOptions })`. */
  readonly stripeOptions: { host: string; port: number; protocol: 'http' };
  readonly clock: SimulatorClock;
  readonly faults: FaultControls;
  readonly webhooks: WebhookControls;
  readonly events: EventLog;
  readonly calls: CallLog;
  readonly testHelpers: TestHelpers;
  /** Forget all objects, events, endpoints, faults and counters; keep listening. */
  reset(): void;
  /** Stop listening, cancel scheduled work and pending deliveries. */
  close(): Promise<void>;
}

export interface SimulatorClock {
  /** The simulator's "now": the injected clock plus every `advance()`. */
  now(): Date;
  /**
   * Move time forward: expires idempotency keys and account links, and runs the bank
   * settlements and refund updates that came due (their events are queued before it resolves).
   */
  advance(ms: number): Promise<void>;
}

/**
 * A request selector. `path` is a route (`/v1/invoices/:id/send`, or `*` for one segment), a
 * concrete path, or a RegExp tested against the concrete path.
 */
export interface RequestMatch {
  /** HTTP method; any when absent. */
  method?: string;
  path: string | RegExp;
}

/**
 * What an injected fault does to a matching call.
 * - `server_error`: 500 `api_error`, nothing done.
 * - `service_unavailable`: 503 `api_error`, nothing done.
 * - `conflict`: 409, nothing done.
 * - `rate_limit`: 429 `rate_limit`, nothing done.
 * - `lock_timeout`: 429 `lock_timeout` with `Stripe-Should-Retry: true`, nothing done.
 * - `connection_drop`: the socket is destroyed before anything is done.
 * - `response_lost`: the call is carried out (and stored for idempotency), then the socket is
 *   destroyed instead of answering.
 */
export type FaultKind =
  | 'server_error'
  | 'service_unavailable'
  | 'conflict'
  | 'rate_limit'
  | 'lock_timeout'
  | 'connection_drop'
  | 'response_lost';

export interface FaultRule extends RequestMatch {
  fault: FaultKind;
  /** How many matching calls fail. Default 1. */
  times?: number;
  /**
   * Sets `Stripe-Should-Retry` on HTTP faults. When absent the header is left out, except for
   * `lock_timeout`, which always asks for a retry.
   */
  shouldRetry?: boolean;
}

export interface FaultControls {
  /** Fail the next `times` calls that match. Rules are consumed in the order they were added. */
  failNext(rule: FaultRule): void;
  /** Add latency to matching calls (all calls when `match` is absent); 0 removes it. */
  setLatency(ms: number, match?: RequestMatch): void;
  /** Cap requests per second per account like test mode (25); `null` lifts the cap. */
  setRateLimit(requestsPerSecond: number | null): void;
  /** How many injected failures are still waiting. */
  pending(): number;
  /** Remove all faults, latency and the rate cap. */
  clear(): void;
}

export interface WebhookControls {
  /** Resolves once no delivery is in flight or waiting for a retry (held events excepted). */
  drain(): Promise<void>;
  configure(settings: Partial<WebhookSettings>): void;
  /** Hold every new delivery until `resume()`. */
  pause(): void;
  /** Release held deliveries, in the order they were emitted or in reverse. */
  resume(options?: { order?: 'original' | 'reverse' }): void;
  /**
   * Register an endpoint in-process (the same as `POST /v1/webhook_endpoints`). `account`
   * registers it on a connected account; `connect: true` makes a platform Connect endpoint.
   */
  addEndpoint(endpoint: {
    url: string;
    enabledEvents?: readonly string[];
    connect?: boolean;
    account?: string;
  }): { id: string; secret: string };
  /** Every delivery attempt so far, oldest first. */
  deliveries(): readonly WebhookDelivery[];
}

export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  endpointId: string;
  url: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** HTTP status, or null when the endpoint could not be reached. */
  status: number | null;
  error: string | null;
  deliveredAt: Date;
}

export interface EventFilter {
  type?: string;
  /** A connected account id, or `null` for platform events only. Any when absent. */
  account?: string | null;
}

export interface EventLog {
  /** Events so far, oldest first. */
  list(filter?: EventFilter): Stripe.Event[];
  /**
   * Resolves with the first event (past or future) of `type` that satisfies `predicate`;
   * rejects after `timeoutMs` (default 5000).
   */
  waitFor(
    type: string,
    options?: { predicate?: (event: Stripe.Event) => boolean; timeoutMs?: number },
  ): Promise<Stripe.Event>;
}

export interface RecordedCall {
  requestId: string;
  method: string;
  path: string;
  /** The matched route, such as `/v1/invoices/:id/send`, or the path when none matched. */
  route: string;
  /** `Stripe-Account`, or null for the platform. */
  account: string | null;
  idempotencyKey: string | null;
  /** HTTP status; null when the socket was destroyed. */
  status: number | null;
  replayed: boolean;
}

export interface CallLog {
  /** API calls that match (all when `match` is absent), faulted and rejected ones included. */
  count(match?: RequestMatch): number;
  /** Calls per `METHOD route`, for example `{ 'POST /v1/invoices/:id/send': 3 }`. */
  byRoute(): Record<string, number>;
  list(): readonly RecordedCall[];
  reset(): void;
}

/** What a payment helper or the hosted page did. */
export interface PaymentOutcome {
  /** The invoice the payment is for; null for a PaymentIntent of no invoice. */
  invoice: Stripe.Invoice | null;
  paymentIntent: Stripe.PaymentIntent;
  charge: Stripe.Charge | null;
}

/**
 * Act as the member, the bank, the card network or Stripe's onboarding, without HTML. Objects
 * are found by id whatever account they live on. Misuse (an unknown id, a paid invoice) rejects
 * with an Error.
 */
export interface TestHelpers {
  /** Finish onboarding: charges and payouts enabled, nothing due; emits `account.updated`. */
  completeOnboarding(
    accountId: string,
    options?: { businessName?: string },
  ): Promise<Stripe.Account>;
  /** Put requirements back: charges and payouts disabled; emits `account.updated`. */
  restrictAccount(
    accountId: string,
    options?: { currentlyDue?: readonly string[]; disabledReason?: string },
  ): Promise<Stripe.Account>;
  /**
   * Pay an open (or draft: finalized first) invoice by card, as the hosted page does. See
   * `TEST_CARDS` for declining numbers; a decline leaves the invoice open.
   */
  payInvoiceWithCard(invoiceId: string, options?: { cardNumber?: string }): Promise<PaymentOutcome>;
  /**
   * Pay by US bank account: the PaymentIntent is `processing` until it settles or fails (see
   * `TEST_BANK_ACCOUNTS` for failing account numbers).
   */
  payInvoiceWithBankAccount(
    invoiceId: string,
    options?: { accountNumber?: string; routingNumber?: string },
  ): Promise<PaymentOutcome>;
  /** Settle a processing bank payment now, as its account number decides (success or failure). */
  settleBankPayment(paymentIntentId: string): Promise<PaymentOutcome>;
  /** Fail a processing bank payment now. */
  failBankPayment(paymentIntentId: string, options?: { code?: string }): Promise<PaymentOutcome>;
  /** Move a pending refund to `succeeded`. */
  succeedRefund(refundId: string): Promise<Stripe.Refund>;
  /** Move a pending refund to `failed`; the charge gets the amount back as refundable. */
  failRefund(refundId: string, options?: { failureReason?: string }): Promise<Stripe.Refund>;
  /** Open a dispute on a succeeded charge: `charge.dispute.created` and `funds_withdrawn`. */
  openDispute(
    chargeId: string,
    options?: { reason?: string; amount?: number },
  ): Promise<Stripe.Dispute>;
  /** Close a dispute as won or lost: `charge.dispute.closed` (and `funds_reinstated` if won). */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<Stripe.Dispute>;
}
