import { err, ok, type Result } from 'neverthrow';
import type { Actor } from '../domain/audit';
import type { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import { formatMoney, money } from '../domain/money';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import { refundableAmount } from '../domain/payment-request';
import { auditEntry, canMove, transition } from '../domain/status-machine';
import type { GatewayInvoice } from '../ports/payment-gateway.port';
import type { UnitOfWork } from '../ports/storage.port';
import { type Context, transitionContext } from './context';
import { refundIntent } from './refunds';

/** What the invoice says the request's status should be, from the invoice alone. */
export function statusFromInvoice(invoice: GatewayInvoice): PaymentRequestStatus | null {
  switch (invoice.status) {
    case 'draft':
      return null;
    case 'paid':
      return 'paid';
    case 'void':
      return 'canceled';
    case 'uncollectible':
      return invoice.amountPaid.minor > 0 ? 'partially_paid' : 'failed';
    case 'open':
      if (invoice.paymentInFlight) {
        return 'processing';
      }

      return invoice.amountPaid.minor > 0 ? 'partially_paid' : 'sent';
  }
}

/** Money has reached the invoice, or is on its way. */
export function hasMoney(invoice: GatewayInvoice): boolean {
  return invoice.status === 'paid' || invoice.amountPaid.minor > 0 || invoice.paymentInFlight;
}

/** Statuses where money is going back or is in the bank's hands. */
const SETTLING: readonly PaymentRequestStatus[] = [
  'refund_pending',
  'refunded',
  'refund_failed',
  'disputed',
  'charged_back',
];

/** Statuses in which the member has paid nothing on the request's invoice yet. */
const UNPAID: readonly PaymentRequestStatus[] = ['draft', 'sending', 'sent', 'failed'];

export interface InvoiceChange {
  readonly to: PaymentRequestStatus;
  readonly reason: string;
  readonly changes: Partial<PaymentRequest>;
}

/** Where an invoice event leads the request, found by its invoice id or its tags. */
export interface InvoiceMatch {
  readonly request: PaymentRequest;
  /**
   * The request's own invoice (or one it never recorded, of its current revision); false for
   * an invoice of an earlier revision that was replaced.
   */
  readonly current: boolean;
}

export async function findRequestForInvoice(
  tx: UnitOfWork,
  organizationId: OrganizationId,
  invoice: Pick<GatewayInvoice, 'id' | 'tags'>,
): Promise<InvoiceMatch | null> {
  // An invoice of an older revision may still be linked while the batch replaces it.
  const ofThisRevision = (request: PaymentRequest) =>
    invoice.tags.revision === null || invoice.tags.revision === request.revision;
  const linked = await tx.requests.findByInvoiceId(organizationId, invoice.id);
  if (linked) {
    return { request: linked, current: ofThisRevision(linked) };
  }

  const tagged = invoice.tags.requestId
    ? await tx.requests.get(organizationId, asId(invoice.tags.requestId))
    : null;
  if (!tagged) {
    return null;
  }

  // A batch worker created this invoice but stopped before storing its id.
  const unrecorded = tagged.gateway.invoiceId === null && ofThisRevision(tagged);
  return { request: tagged, current: unrecorded };
}

/**
 * How an invoice's state moves its request, or null when it does not. Moves only go forward:
 * a late or stale event never undoes a payment, and a request the batch is still sending is
 * left to the batch unless money moved. Money that reaches a request being canceled or
 * refunded goes back to the member: the change carries the refund intent, so that it is
 * stored with the move.
 */
export function invoiceChange(
  context: Context,
  request: PaymentRequest,
  invoice: GatewayInvoice,
): InvoiceChange | null {
  const to = statusFromInvoice(invoice);
  if (to === null) {
    return null;
  }

  const linked = linkChanges(request, invoice);
  const newMoney = invoice.amountPaid.minor - request.amountPaid.minor;

  if (SETTLING.includes(request.status)) {
    return newMoney > 0 && request.status !== 'disputed' && request.status !== 'charged_back'
      ? refundNewMoney(context, request, linked, newMoney)
      : null;
  }

  if (to === request.status && newMoney === 0) {
    return null;
  }

  if (request.status === 'sending' && (to === 'sent' || to === 'failed')) {
    return null;
  }

  if (request.status === 'canceled') {
    // Money reached a request canceled in the same moment; it goes back to the member.
    return newMoney > 0 ? refundNewMoney(context, request, linked, newMoney) : null;
  }

  if (to === request.status) {
    const paid = formatMoney(money(invoice.amountPaid.minor, request.amount.currency));
    return { to, reason: `payment recorded: ${paid} paid`, changes: linked };
  }

  return canMove(request.status, to) ? { to, reason: reasonFor(to), changes: linked } : null;
}

function linkChanges(request: PaymentRequest, invoice: GatewayInvoice): Partial<PaymentRequest> {
  return {
    amountPaid: invoice.amountPaid,
    gateway: {
      ...request.gateway,
      invoiceId: invoice.id,
      invoiceRevision: invoice.tags.revision ?? request.gateway.invoiceRevision,
      customerId: request.gateway.customerId ?? invoice.customerId,
      hostedInvoiceUrl: invoice.hostedInvoiceUrl ?? request.gateway.hostedInvoiceUrl,
      invoiceNumber: invoice.number ?? request.gateway.invoiceNumber,
    },
  };
}

function refundNewMoney(
  context: Context,
  request: PaymentRequest,
  linked: Partial<PaymentRequest>,
  newMoneyMinor: number,
): InvoiceChange {
  const intent = refundIntent(
    context,
    request,
    'cancel',
    money(newMoneyMinor, request.amount.currency),
  );
  return {
    to: 'refund_pending',
    reason:
      `${formatMoney(money(newMoneyMinor, request.amount.currency))} paid after the request ` +
      'was canceled; it will be refunded',
    changes: { ...linked, refunds: [...request.refunds, intent] },
  };
}

/**
 * A staff cancel waiting for a bank payment, settled inside the same unit of work as the
 * payment: when it landed, a refund intent (the call follows the commit, and the scheduler
 * resends it if that fails).
 */
export function cancelWishChange(context: Context, request: PaymentRequest): InvoiceChange | null {
  const landed = request.status === 'paid' || request.status === 'partially_paid';
  const owed = refundableAmount(request);
  const underWay = request.refunds.some(
    (refund) => refund.status === 'requested' || refund.status === 'pending',
  );
  if (!request.cancelRequestedAt || !landed || owed <= 0 || underWay) {
    return null;
  }

  return {
    to: 'refund_pending',
    reason: 'the bank payment landed after staff canceled; it will be refunded',
    changes: { refunds: [...request.refunds, refundIntent(context, request, 'cancel', null)] },
  };
}

function reasonFor(status: PaymentRequestStatus): string {
  switch (status) {
    case 'paid':
      return 'the member paid the invoice';
    case 'partially_paid':
      return 'part of the invoice was paid';
    case 'processing':
      return 'a bank payment is in flight';
    case 'sent':
      return 'the invoice is open (a payment failed or has not been made)';
    case 'canceled':
      return 'the invoice was voided';
    case 'failed':
      return 'the invoice was marked uncollectible';
    default:
      return `moved to ${status} by the gateway`;
  }
}

/**
 * Applies an invoice's state to its request inside a unit of work under way, with the cancel
 * wish that follows from it. For an invoice the request replaced (an earlier revision), only
 * money counts: if the member paid that one while the request has nothing yet, it becomes the
 * request's invoice again and `discard` names the invoice that must no longer be paid.
 */
export async function applyInvoice(
  context: Context,
  tx: UnitOfWork,
  match: InvoiceMatch,
  invoice: GatewayInvoice,
  actor: Actor,
): Promise<
  Result<{ readonly after: PaymentRequest; readonly discard: string | null }, DomainError>
> {
  let request = match.request;
  let discard: string | null = null;

  if (!match.current) {
    if (!hasMoney(invoice)) {
      return ok({ after: request, discard: null });
    }

    if (!UNPAID.includes(request.status) || request.amountPaid.minor > 0) {
      context.logger.error('a member paid an invoice the request had replaced', {
        requestId: request.id,
        invoiceId: invoice.id,
      });
      const noted = await tx.requests.update({ ...request, updatedAt: context.clock.now() });
      await tx.audit.append(
        auditEntry(noted, request.status, {
          ...transitionContext(
            context,
            actor,
            `payment on replaced invoice ${invoice.id}: refund it in the gateway`,
          ),
          action: 'note',
          details: { invoiceId: invoice.id, amountPaidMinor: invoice.amountPaid.minor },
        }),
      );
      return ok({ after: noted, discard: null });
    }

    discard = request.gateway.invoiceId;
  }

  const details = { invoiceId: invoice.id, amountPaidMinor: invoice.amountPaid.minor };
  for (const next of [invoiceChange(context, request, invoice), 'cancel wish'] as const) {
    const change = next === 'cancel wish' ? cancelWishChange(context, request) : next;
    if (change) {
      const applied = await applyChange(context, tx, request, change, actor, details);
      if (applied.isErr()) {
        return err(applied.error);
      }

      request = applied.value;
    }
  }

  return ok({ after: request, discard });
}

/** Stores a change: a status move through the table, or new facts in the same status. */
export async function applyChange(
  context: Context,
  tx: UnitOfWork,
  request: PaymentRequest,
  change: InvoiceChange,
  actor: Actor,
  details: Record<string, string | number | null>,
): Promise<Result<PaymentRequest, DomainError>> {
  const moveContext = transitionContext(context, actor, change.reason, { details });
  if (change.to === request.status) {
    const saved = await tx.requests.update({
      ...request,
      ...change.changes,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(saved, request.status, { ...moveContext, action: 'payment_recorded' }),
    );
    return ok(saved);
  }

  const moved = transition(request, change.to, moveContext, change.changes);
  if (moved.isErr()) {
    return err(moved.error);
  }

  const saved = await tx.requests.update(moved.value.request);
  await tx.audit.append(moved.value.audit);
  return ok(saved);
}
