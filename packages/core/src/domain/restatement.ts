import type { HoldCode, PaymentRequest } from './payment-request';

/** One step that brings what a claim's requests bill in line with what the payer now says. */
export type RestateAction =
  /** Withdraw an unpaid request: cancel a draft, void an invoice. */
  | { readonly type: 'cancel'; readonly request: PaymentRequest }
  /** Change what a draft bills. */
  | {
      readonly type: 'amend';
      readonly request: PaymentRequest;
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
    }
  /** Bill what is still owed in a new request (replacing a withdrawn one, if any). */
  | {
      readonly type: 'create';
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
      readonly replaces: PaymentRequest | null;
    }
  /** Give back part of what a paid request collected. */
  | { readonly type: 'refund'; readonly request: PaymentRequest; readonly amountMinor: number };

export type Restatement =
  | {
      readonly kind: 'actions';
      readonly actions: readonly RestateAction[];
      /** What the member has paid for the claim and keeps, refunds under way taken off. */
      readonly collectedMinor: number;
    }
  /** A request is where only people should untangle it (money in flight, a dispute). */
  | { readonly kind: 'review'; readonly request: PaymentRequest; readonly reason: string };

const UNPAID = new Set(['draft', 'sending', 'sent', 'failed']);
const UNSETTLED = new Set([
  'processing',
  'partially_paid',
  'refund_pending',
  'refund_failed',
  'disputed',
]);

function remittanceHold(request: PaymentRequest): HoldCode | null {
  const code = request.hold?.code ?? null;
  return code === 'needs_review' || code === 'below_minimum_charge' ? code : null;
}

/**
 * What the member keeps of a paid request's money: paid, less what was refunded and what
 * refunds still under way will give back (a refund with no amount gives back everything).
 */
export function keptMinor(request: PaymentRequest): number {
  const refundable = request.amountPaid.minor - request.amountRefunded.minor;
  const underWay = request.refunds
    .filter((refund) => refund.status === 'requested' || refund.status === 'pending')
    .reduce((total, refund) => total + (refund.amount?.minor ?? refundable), 0);
  return Math.max(0, refundable - underWay);
}

/**
 * Restates a claim's bill to `owedMinor`, across every request from remittances the claim has:
 * what was collected counts once, unpaid requests are amended or withdrawn, and the rest is
 * billed in one request or refunded from the newest payments first. Never a negative request,
 * never a second request for the same money.
 */
export function restate(
  requests: readonly PaymentRequest[],
  owedMinor: number,
  hold: HoldCode | null,
): Restatement {
  const unsettled = requests.find((request) => UNSETTLED.has(request.status));
  if (unsettled) {
    return {
      kind: 'review',
      request: unsettled,
      reason: `the claim's request ${unsettled.id} is ${unsettled.status}; staff reconcile`,
    };
  }

  const paid = requests.filter((request) => request.status === 'paid');
  const unpaid = requests.filter(
    (request) => UNPAID.has(request.status) && request.amountPaid.minor === 0,
  );
  const collectedMinor = paid.reduce((total, request) => total + keptMinor(request), 0);
  const stillOwed = owedMinor - collectedMinor;
  const keep = stillOwed > 0 ? (unpaid.at(-1) ?? null) : null;
  const actions: RestateAction[] = unpaid
    .filter((request) => request !== keep)
    .map((request) => ({ type: 'cancel' as const, request }));

  if (keep) {
    // Holds the batch set (no email or phone, payouts not ready) are the batch's to clear; only
    // a hold for staff or for Stripe's minimum is part of what the remittance decides.
    const same = keep.amount.minor === stillOwed && remittanceHold(keep) === hold;
    if (!same && keep.status === 'draft') {
      actions.push({ type: 'amend', request: keep, amountMinor: stillOwed, hold });
    } else if (!same) {
      actions.push({ type: 'cancel', request: keep });
      actions.push({ type: 'create', amountMinor: stillOwed, hold, replaces: keep });
    }
  } else if (stillOwed > 0) {
    actions.push({ type: 'create', amountMinor: stillOwed, hold, replaces: null });
  }

  let toRefund = -stillOwed;
  for (const request of [...paid].reverse()) {
    const amountMinor = Math.min(toRefund, keptMinor(request));
    if (amountMinor > 0) {
      actions.push({ type: 'refund', request, amountMinor });
      toRefund -= amountMinor;
    }
  }

  return { kind: 'actions', actions, collectedMinor };
}
