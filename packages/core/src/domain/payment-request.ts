import type { ClaimId, MemberId, OrganizationId, PaymentRequestId, RemittanceId } from './ids';
import type { LocalDate } from './local-date';
import type { Money } from './money';

export const PAYMENT_REQUEST_STATUSES = [
  'draft',
  'sending',
  'sent',
  'processing',
  'partially_paid',
  'paid',
  'canceled',
  'refund_pending',
  'refunded',
  'refund_failed',
  'failed',
  'disputed',
  'charged_back',
] as const;

/**
 * - `draft`: created, waiting for the overnight batch (possibly held, see `hold`).
 * - `sending`: claimed by a batch worker that is creating and sending the invoice.
 * - `sent`: the member has an open invoice.
 * - `processing`: a bank payment is in flight.
 * - `partially_paid`: part of the invoice is paid; `amountPaid` says how much.
 * - `paid`: paid in full.
 * - `canceled`: withdrawn before any money moved (the invoice, if any, is void).
 * - `refund_pending` / `refunded` / `refund_failed`: a refund of collected money and its fate.
 * - `failed`: the invoice could not be collected (marked uncollectible, or refused for good).
 * - `disputed` / `charged_back`: the member disputed the payment with their bank, and lost it.
 */
export type PaymentRequestStatus = (typeof PAYMENT_REQUEST_STATUSES)[number];

/** Where a request came from: staff, or a claim payment in an electronic remittance. */
export type RequestSource =
  | { readonly kind: 'manual'; readonly createdBy: string }
  | {
      readonly kind: 'remittance';
      readonly remittanceId: RemittanceId;
      /** Identifies the claim payment: payer, trace number, CLP01, CLP07 and CLP02. */
      readonly claimPaymentKey: string;
    };

/** Why a draft cannot go out yet. Staff can see it; the batch clears it once the reason is gone. */
export type HoldCode =
  | 'member_payments_off'
  | 'payout_account_not_ready'
  | 'no_delivery_channel'
  | 'needs_review'
  | 'below_minimum_charge';

export interface Hold {
  readonly code: HoldCode;
  readonly message: string;
  readonly since: Date;
}

/** What the gateway knows of the request. */
export interface GatewayLink {
  readonly customerId: string | null;
  readonly invoiceId: string | null;
  /** The request revision the invoice bills; an older one means the invoice is stale. */
  readonly invoiceRevision: number | null;
  readonly invoiceNumber: string | null;
  readonly hostedInvoiceUrl: string | null;
}

/** Progress of the batch on this request, so that a crashed run resumes where it was. */
export interface SendAttempt {
  readonly revision: number;
  readonly attempts: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly lastAttemptAt: Date;
  /**
   * When an attempt that had to make an invoice claimed the request, stored before it asked the
   * gateway. A later attempt that finds it older than its own start looks for an invoice made
   * but never recorded before it makes one.
   */
  readonly invoiceRequestedAt: Date | null;
  readonly lastError: { readonly kind: string; readonly message: string } | null;
}

/** Why money went back: staff canceled, a remittance lowered the amount, or it was done outside. */
export type RefundPurpose = 'cancel' | 'correction' | 'external';

export interface RequestRefund {
  /** Idempotency key of the refund call; the same key never refunds twice. */
  readonly key: string;
  readonly gatewayRefundId: string | null;
  readonly amount: Money | null;
  readonly purpose: RefundPurpose;
  readonly status: 'requested' | 'pending' | 'succeeded' | 'failed';
  readonly failureReason: string | null;
  readonly requestedAt: Date;
}

export interface TextDelivery {
  readonly status: 'waiting' | 'sent' | 'failed';
  /** Texts go out only in the member's daytime; a night batch's text waits for this instant. */
  readonly notBefore: Date;
  readonly sentAt: Date | null;
  readonly messageId: string | null;
  readonly error: string | null;
}

export interface PaymentRequest {
  readonly id: PaymentRequestId;
  readonly organizationId: OrganizationId;
  readonly memberId: MemberId;
  readonly claimId: ClaimId;
  /** The host's reference: an invoice number or a date of service. */
  readonly internalId: string;
  readonly amount: Money;
  readonly description: string | null;
  readonly source: RequestSource;
  readonly status: PaymentRequestStatus;
  readonly hold: Hold | null;
  /** Increments whenever what is billed (amount, description) changes. */
  readonly revision: number;
  readonly gateway: GatewayLink;
  readonly sendAttempt: SendAttempt | null;
  readonly amountPaid: Money;
  readonly amountRefunded: Money;
  readonly refunds: readonly RequestRefund[];
  readonly dueDate: LocalDate | null;
  readonly text: TextDelivery | null;
  /** Staff asked to cancel while a bank payment was in flight; settled when it lands. */
  readonly cancelRequestedAt: Date | null;
  /** The latest time the request entered each status. */
  readonly lifecycle: Readonly<Partial<Record<PaymentRequestStatus, Date>>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set when a paid request was deleted: hidden from lists, kept with its audit trail. */
  readonly deletedAt: Date | null;
  /** Optimistic concurrency: storage refuses an update whose version is not the stored one. */
  readonly version: number;
}

export const NO_GATEWAY_LINK: GatewayLink = {
  customerId: null,
  invoiceId: null,
  invoiceRevision: null,
  invoiceNumber: null,
  hostedInvoiceUrl: null,
};

/** What the member still owes on the invoice. */
export function amountRemaining(request: PaymentRequest): number {
  return Math.max(0, request.amount.minor - request.amountPaid.minor);
}

/** Collected money not yet refunded. */
export function refundableAmount(request: PaymentRequest): number {
  return Math.max(0, request.amountPaid.minor - request.amountRefunded.minor);
}
