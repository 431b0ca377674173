import {
  GatewayError,
  type GatewayInvoice,
  type GatewayInvoiceStatus,
  type GatewayRefund,
  type GatewayRefundStatus,
  type InvoiceTags,
  isCurrency,
  type Money,
  money,
  type PayoutAccountFacts,
} from '@memberpay/core';
import { err, ok, Result } from 'neverthrow';
import type Stripe from 'stripe';
import { type AccountFields, type InvoiceFields, idOf, type RefundFields } from './payloads';

/**
 * Metadata keys the gateway writes on Stripe objects and reads back to tie them to core's
 * records. Prefixed so that they never collide with keys staff add in the Dashboard.
 */
export const METADATA_KEYS = {
  organizationId: 'memberpay_organization_id',
  memberId: 'memberpay_member_id',
  requestId: 'memberpay_request_id',
  revision: 'memberpay_revision',
  claimId: 'memberpay_claim_id',
  internalId: 'memberpay_internal_id',
  invoiceId: 'memberpay_invoice_id',
  refundKey: 'memberpay_refund_key',
} as const;

const INVOICE_STATUSES: Readonly<Record<string, GatewayInvoiceStatus>> = {
  draft: 'draft',
  open: 'open',
  paid: 'paid',
  void: 'void',
  uncollectible: 'uncollectible',
};

const REFUND_STATUSES: Readonly<Record<string, GatewayRefundStatus>> = {
  pending: 'pending',
  requires_action: 'requires_action',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

/** Stripe amounts are already integer minor units; only the currency needs checking. */
export function toMoney(minor: number, currency: string): Result<Money, GatewayError> {
  const code = currency.toLowerCase();
  if (!isCurrency(code)) {
    return err(
      new GatewayError('invalid_request', `Stripe answered in ${currency}, which we do not bill`, {
        code: 'unsupported_currency',
      }),
    );
  }

  return ok(money(minor, code));
}

export function toUnixSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

function fromUnixSeconds(seconds: number | null): Date | null {
  return seconds === null ? null : new Date(seconds * 1000);
}

function unknownValue(what: string, value: string | null): GatewayError {
  return new GatewayError('invalid_request', `Stripe sent an unknown ${what}: ${value}`, {
    code: 'unknown_value',
  });
}

export function invoiceTags(metadata: InvoiceFields['metadata']): InvoiceTags {
  const revision = Number.parseInt(metadata?.[METADATA_KEYS.revision] ?? '', 10);
  return {
    organizationId: metadata?.[METADATA_KEYS.organizationId] ?? null,
    requestId: metadata?.[METADATA_KEYS.requestId] ?? null,
    revision: Number.isSafeInteger(revision) ? revision : null,
  };
}

/**
 * Maps a Stripe invoice. Whether a payment is in flight is not on the invoice itself: the
 * caller works it out from the invoice's payments (see `hasPaymentInFlight`).
 */
export function toGatewayInvoice(
  invoice: InvoiceFields,
  paymentInFlight: boolean,
): Result<GatewayInvoice, GatewayError> {
  const status = invoice.status === null ? undefined : INVOICE_STATUSES[invoice.status];
  if (status === undefined) {
    return err(unknownValue('invoice status', invoice.status));
  }

  return Result.combine([
    toMoney(invoice.amount_due, invoice.currency),
    toMoney(invoice.amount_paid, invoice.currency),
    toMoney(invoice.amount_remaining, invoice.currency),
  ]).map(([amountDue, amountPaid, amountRemaining]) => ({
    id: invoice.id,
    status,
    customerId: idOf(invoice.customer) ?? '',
    payoutAccountId: idOf(invoice.on_behalf_of),
    amountDue,
    amountPaid,
    amountRemaining,
    paymentInFlight,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    number: invoice.number,
    dueDate: fromUnixSeconds(invoice.due_date),
    tags: invoiceTags(invoice.metadata),
  }));
}

/**
 * A bank debit (or any payment) that the member has made and that has not settled: one of
 * the invoice's payments is a PaymentIntent in `processing`. Needs the invoice read with
 * `INVOICE_EXPAND`; without the payments it answers false.
 */
export function hasPaymentInFlight(invoice: Stripe.Invoice): boolean {
  return (invoice.payments?.data ?? []).some((payment) => {
    const intent = payment.payment.payment_intent;
    return typeof intent === 'object' && intent !== null && intent.status === 'processing';
  });
}

/** What to expand on an invoice so that `hasPaymentInFlight` can answer. */
export const INVOICE_EXPAND = ['payments', 'payments.data.payment.payment_intent'];

export function toGatewayRefund(
  refund: RefundFields,
  invoiceId: string | null,
  fallbackTags: InvoiceTags | null,
): Result<GatewayRefund, GatewayError> {
  const status = refund.status === null ? undefined : REFUND_STATUSES[refund.status];
  if (status === undefined) {
    return err(unknownValue('refund status', refund.status));
  }

  return toMoney(refund.amount, refund.currency).map((amount) => ({
    id: refund.id,
    status,
    amount,
    invoiceId: refund.metadata?.[METADATA_KEYS.invoiceId] ?? invoiceId,
    failureReason: refund.failure_reason ?? null,
    tags: {
      organizationId:
        refund.metadata?.[METADATA_KEYS.organizationId] ?? fallbackTags?.organizationId ?? null,
      requestId: refund.metadata?.[METADATA_KEYS.requestId] ?? fallbackTags?.requestId ?? null,
      // Only the SDK's own refunds carry it; one made in the Dashboard has none.
      refundKey: refund.metadata?.[METADATA_KEYS.refundKey] ?? null,
    },
  }));
}

export function toPayoutAccountFacts(account: AccountFields): PayoutAccountFacts {
  return {
    accountId: account.id,
    chargesEnabled: account.charges_enabled,
    payoutsEnabled: account.payouts_enabled,
    detailsSubmitted: account.details_submitted,
    currentlyDue: account.requirements?.currently_due ?? [],
    disabledReason: account.requirements?.disabled_reason ?? null,
  };
}
