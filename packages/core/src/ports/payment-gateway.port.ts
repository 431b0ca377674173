import type { ResultAsync } from 'neverthrow';
import type { Money } from '../domain/money';
import type { PayoutAccountFacts } from '../domain/organization';

/**
 * The closed set of ways a gateway call can fail. `retryable` kinds may succeed if the same
 * call (same idempotency key) is made again later; the others will not.
 */
export type GatewayErrorKind =
  /** Too many requests (HTTP 429) or a lock timeout: retry after a pause. */
  | 'rate_limited'
  /** The gateway could not be reached or failed on its side (5xx, dropped connection). */
  | 'unavailable'
  /** Another request with the same idempotency key is still running (HTTP 409). */
  | 'conflict'
  /** The gateway refused the call as made: a bad parameter, or an object in the wrong state. */
  | 'invalid_request'
  /** The object does not exist (under that account). */
  | 'not_found'
  /** The key is wrong or lacks permission. */
  | 'authentication'
  /** An idempotency key was reused with different parameters. */
  | 'idempotency_mismatch'
  /** The payment method was declined. */
  | 'declined';

export const RETRYABLE_GATEWAY_ERRORS: readonly GatewayErrorKind[] = [
  'rate_limited',
  'unavailable',
  'conflict',
];

/** A failed gateway call, with the vendor's own code and request id kept. */
export class GatewayError extends Error {
  readonly kind: GatewayErrorKind;
  readonly retryable: boolean;
  /** The vendor's error code, for example Stripe's `resource_missing`. */
  readonly code: string | null;
  /** The vendor's request id, for support tickets. */
  readonly requestId: string | null;
  readonly statusCode: number | null;

  constructor(
    kind: GatewayErrorKind,
    message: string,
    options: {
      code?: string | null;
      requestId?: string | null;
      statusCode?: number | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.retryable = RETRYABLE_GATEWAY_ERRORS.includes(kind);
    this.code = options.code ?? null;
    this.requestId = options.requestId ?? null;
    this.statusCode = options.statusCode ?? null;
  }
}

/** Raised when a webhook cannot be trusted or read. Nothing is applied from it. */
export class WebhookError extends Error {
  readonly kind: 'raw_body_required' | 'signature_invalid' | 'timestamp_stale' | 'malformed';

  constructor(kind: WebhookError['kind'], message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'WebhookError';
    this.kind = kind;
  }
}

export type GatewayInvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** What core tags every invoice with, and reads back to tie an invoice to a request. */
export interface InvoiceTags {
  readonly organizationId: string | null;
  readonly requestId: string | null;
  /** The request revision the invoice bills. */
  readonly revision: number | null;
}

/** An invoice as core needs to see it, whatever the gateway. */
export interface GatewayInvoice {
  readonly id: string;
  readonly status: GatewayInvoiceStatus;
  readonly customerId: string;
  /** The payout account the money goes to (destination / on behalf of). */
  readonly payoutAccountId: string | null;
  readonly amountDue: Money;
  readonly amountPaid: Money;
  readonly amountRemaining: Money;
  /** A bank payment has been made and is not settled yet. */
  readonly paymentInFlight: boolean;
  readonly hostedInvoiceUrl: string | null;
  readonly number: string | null;
  readonly dueDate: Date | null;
  readonly tags: InvoiceTags;
}

export type GatewayRefundStatus =
  | 'pending'
  | 'requires_action'
  | 'succeeded'
  | 'failed'
  | 'canceled';

export interface GatewayRefund {
  readonly id: string;
  readonly status: GatewayRefundStatus;
  readonly amount: Money;
  readonly invoiceId: string | null;
  readonly failureReason: string | null;
  /**
   * The refund's own tags, or, for a refund made outside the SDK (in the Dashboard), those of
   * the invoice it refunds.
   */
  readonly tags: {
    readonly organizationId: string | null;
    readonly requestId: string | null;
    /** The idempotency key of the SDK call that made the refund; null for one made outside. */
    readonly refundKey: string | null;
  };
}

/** Everything a gateway needs to bill one payment request. Nothing clinical goes in here. */
export interface InvoiceSpec {
  readonly organizationId: string;
  readonly requestId: string;
  readonly revision: number;
  readonly claimId: string;
  readonly internalId: string;
  readonly customerId: string;
  readonly payoutAccountId: string;
  readonly amount: Money;
  /** The line the member reads, for example "Co-pay for your visit on 2024-01-02". */
  readonly description: string;
  /** The instant the invoice is due, chosen so that it reads as the right day to the member. */
  readonly dueAt: Date;
  readonly idempotencyKey: string;
}

interface EventEnvelope {
  /** The gateway's event id; the same id is applied once. */
  readonly id: string;
  readonly occurredAt: Date;
  /** The connected account the event came from, when it came through Connect. */
  readonly accountId: string | null;
  readonly livemode: boolean;
}

export type InvoiceEventType =
  | 'invoice.sent'
  | 'invoice.paid'
  | 'invoice.payment_failed'
  | 'invoice.payment_processing'
  | 'invoice.partially_paid'
  | 'invoice.voided'
  | 'invoice.uncollectible'
  | 'invoice.updated';

/**
 * A gateway event in core's own words. Invoice events carry the invoice as it was when the
 * event happened; when order matters, core reads the invoice back instead of trusting it.
 * Gateways whose event payloads do not say whether a bank payment is in flight report
 * `paymentInFlight: false` there; only `getInvoice` knows.
 */
export type GatewayEvent =
  | (EventEnvelope & { readonly type: InvoiceEventType; readonly invoice: GatewayInvoice })
  | (EventEnvelope & { readonly type: 'refund.updated'; readonly refund: GatewayRefund })
  | (EventEnvelope & {
      readonly type: 'dispute.opened' | 'dispute.closed';
      readonly dispute: {
        readonly id: string;
        readonly invoiceId: string | null;
        /** The tags of the disputed invoice, when the dispute could be traced to one. */
        readonly tags: InvoiceTags;
        readonly amount: Money;
        /** Set on `dispute.closed`. */
        readonly outcome: 'won' | 'lost' | null;
      };
    })
  | (EventEnvelope & {
      readonly type: 'payout_account.updated';
      readonly account: PayoutAccountFacts;
    })
  | (EventEnvelope & {
      /** An event the flow does not need; acknowledged and otherwise ignored. */
      readonly type: 'ignored';
      readonly gatewayType: string;
    });

/**
 * The payment gateway (Stripe, in `@memberpay/stripe-adapter`). Every write takes an
 * idempotency key that names what it does; calling again with the same key never does the
 * work twice, and returns what the first call returned.
 */
export interface PaymentGatewayPort {
  /** Creates the organization's payout account (a connected account with an Express dashboard). */
  createPayoutAccount(input: {
    readonly organizationId: string;
    readonly name: string;
    readonly email: string | null;
    readonly country: string;
    readonly idempotencyKey: string;
  }): ResultAsync<{ readonly accountId: string }, GatewayError>;

  /** A fresh, single-use onboarding link; make a new one every time one is needed. */
  createOnboardingLink(input: {
    readonly accountId: string;
    readonly refreshUrl: string;
    readonly returnUrl: string;
  }): ResultAsync<{ readonly url: string; readonly expiresAt: Date }, GatewayError>;

  getPayoutAccount(accountId: string): ResultAsync<PayoutAccountFacts, GatewayError>;

  createCustomer(input: {
    readonly organizationId: string;
    readonly memberId: string;
    readonly name: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly idempotencyKey: string;
  }): ResultAsync<{ readonly customerId: string }, GatewayError>;

  updateCustomer(input: {
    readonly customerId: string;
    readonly name: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly idempotencyKey: string;
  }): ResultAsync<void, GatewayError>;

  /** Creates a draft invoice with one line for the request's amount. */
  createInvoice(spec: InvoiceSpec): ResultAsync<GatewayInvoice, GatewayError>;

  /**
   * Finalizes a draft invoice without emailing it: it gets its number and hosted link, which
   * core then delivers by text to members who have no email address.
   */
  finalizeInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError>;

  /** Finalizes the invoice if it is a draft, then sends it to the member by email. */
  sendInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError>;

  /** Voids an open or uncollectible invoice with no payment on it. */
  voidInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError>;

  /** Stops collection of an open invoice that has payments and so cannot be voided. */
  markUncollectible(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError>;

  /** Deletes a draft invoice that was never sent. */
  deleteDraftInvoice(invoiceId: string): ResultAsync<void, GatewayError>;

  getInvoice(invoiceId: string): ResultAsync<GatewayInvoice, GatewayError>;

  /**
   * Invoices of a customer tagged with the request id, newest first: how a run that crashed
   * after the gateway created an invoice finds it again.
   */
  findInvoices(input: {
    readonly customerId: string;
    readonly requestId: string;
  }): ResultAsync<readonly GatewayInvoice[], GatewayError>;

  /**
   * Refunds the payment of a paid (or partly paid) invoice, reversing the transfer to the
   * payout account. `amount` null refunds everything not refunded yet.
   */
  refundInvoice(input: {
    readonly invoiceId: string;
    readonly amount: Money | null;
    readonly organizationId: string;
    readonly requestId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayRefund, GatewayError>;

  getRefund(refundId: string): ResultAsync<GatewayRefund, GatewayError>;

  /**
   * Verifies a webhook against the exact bytes received and its signature header, and turns
   * it into a neutral event. A parsed object instead of the raw body is refused.
   */
  verifyWebhook(input: {
    readonly rawBody: string | Uint8Array;
    readonly signature: string;
  }): ResultAsync<GatewayEvent, WebhookError | GatewayError>;
}
