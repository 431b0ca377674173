import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import type { OrganizationId, PaymentRequestId } from '../domain/ids';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type { GatewayError, GatewayInvoice } from '../ports/payment-gateway.port';
import { announce, type Context, transitionContext, validate } from './context';
import { actorIdSchema } from './inputs';
import { applyInvoice, hasMoney } from './invoice-state';
import { loadRequest } from './payment-requests';
import { refundRequest, sendRequestedRefunds, withConflictRetries } from './refunds';

/**
 * Cancels a request and does what the member's money requires:
 *
 * | status | what cancel does |
 * |---|---|
 * | draft | canceled; no gateway call (a stale draft invoice, if any, is deleted) |
 * | sending | canceled; the batch worker finds it canceled and discards its invoice |
 * | sent, failed | the invoice is voided, then canceled |
 * | processing | noted; refunded when the bank payment lands, voided when it fails |
 * | partially_paid | collection of the rest is stopped (uncollectible), what was paid is refunded |
 * | paid | refunded in full: refund_pending, then refunded (or refund_failed) from the gateway |
 * | refund_failed | the refund is tried again |
 * | refund_pending | nothing more: the refund under way is the only one |
 * | canceled, refunded, charged_back | nothing: already final |
 * | disputed | refused: the bank decides the money while the dispute is open |
 */
export function cancelRequest(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  canceledBy: string,
): ResultAsync<PaymentRequest, DomainError> {
  const valid = validate(z.object({ canceledBy: actorIdSchema }), { canceledBy }, 'cancel request');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const actor: Actor = { kind: 'staff', userId: valid.value.canceledBy };
  return new ResultAsync(
    withConflictRetries(context, () => cancelOnce(context, organizationId, requestId, actor)),
  );
}

async function cancelOnce(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const found = await context.storage.transaction((tx) =>
    loadRequest(tx, organizationId, requestId),
  );
  return found.isErr() ? err(found.error) : cancelLoaded(context, found.value, actor);
}

/** Cancels a request already read, as the table on `cancelRequest` says. */
export async function cancelLoaded(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
  depth = 0,
): Promise<Result<PaymentRequest, DomainError>> {
  switch (request.status) {
    case 'draft':
    case 'sending':
      return cancelUnsent(context, request, actor);
    case 'sent':
    case 'failed': {
      const voided = await voidUnpaid(context, request, actor);
      if (voided.isErr() || voided.value.status === 'canceled' || depth > 1) {
        return voided;
      }

      // Money reached the invoice meanwhile: cancel what the request has become.
      return cancelLoaded(context, voided.value, actor, depth + 1);
    }
    case 'processing':
      return noteCancelWhileInFlight(context, request, actor);
    case 'partially_paid':
      return stopCollectingThenRefund(context, request, actor);
    case 'paid':
    case 'refund_failed':
      return refundRequest(context, request, actor, 'cancel');
    case 'refund_pending':
      return sendRequestedRefunds(context, request, actor);
    case 'canceled':
    case 'refunded':
    case 'charged_back':
      return ok(request);
    case 'disputed':
      return err(
        new DomainError(
          'REQUEST.CANCEL_REFUSED',
          `Payment request ${request.id} is disputed; the member's bank decides the money ` +
            'until the dispute closes',
          { requestId: request.id, status: request.status },
        ),
      );
  }
}

/**
 * Withdraws a request the member has paid nothing on: a draft is canceled, an invoice voided.
 * When the invoice turns out to carry money after all, the request is brought up to date with
 * it instead and comes back in its new status (`processing`, `paid`, ...), for the caller to
 * decide again.
 */
export async function cancelIfUnpaid(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  switch (request.status) {
    case 'draft':
    case 'sending':
      return cancelUnsent(context, request, actor);
    case 'sent':
    case 'failed':
      return voidUnpaid(context, request, actor);
    default:
      return ok(request);
  }
}

/** Applies a status move in its own unit of work, if the request has not changed since read. */
export async function moveRequest(
  context: Context,
  request: PaymentRequest,
  to: PaymentRequestStatus,
  actor: Actor,
  reason: string,
  changes: Partial<PaymentRequest> = {},
): Promise<Result<PaymentRequest, DomainError>> {
  const stored = await context.storage.transaction(async (tx) => {
    const moved = transition(request, to, transitionContext(context, actor, reason), changes);
    if (moved.isErr()) {
      return err(moved.error);
    }

    const saved = await tx.requests.update(moved.value.request);
    await tx.audit.append(moved.value.audit);
    return ok(saved);
  });
  if (stored.isOk()) {
    announce(context, request, stored.value, actor);
  }

  return stored;
}

async function cancelUnsent(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const canceled = await moveRequest(
    context,
    request,
    'canceled',
    actor,
    'canceled before it was sent',
  );
  if (canceled.isOk() && request.gateway.invoiceId) {
    await discardUnpaidInvoice(context, request.gateway.invoiceId, request.id);
  }

  return canceled;
}

/**
 * Makes sure nobody can pay an invoice that must not be paid: deletes a draft, voids an open
 * or uncollectible one with nothing paid. The batch may be sending the same invoice at this
 * moment, turning a draft into an open invoice between our read and our delete, so a refused
 * step is tried once more on a fresh read. An invoice with money on it is left alone.
 */
export async function discardUnpaidInvoice(
  context: Context,
  invoiceId: string,
  requestId: string,
): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const invoice = await context.gateway.getInvoice(invoiceId);
    if (invoice.isErr() || invoice.value.status === 'void' || hasMoney(invoice.value)) {
      return;
    }

    const outcome =
      invoice.value.status === 'draft'
        ? await context.gateway.deleteDraftInvoice(invoiceId)
        : await context.gateway.voidInvoice({
            invoiceId,
            idempotencyKey: `mp:${requestId}:void:${invoiceId}`,
          });
    if (outcome.isOk() || (outcome.isErr() && outcome.error.kind === 'not_found')) {
      return;
    }

    context.logger.warn('could not discard an unsent invoice', {
      requestId,
      invoiceId,
      error: outcome.error.kind,
    });
  }
}

async function voidUnpaid(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const invoiceId = request.gateway.invoiceId;
  if (!invoiceId) {
    return moveRequest(context, request, 'canceled', actor, 'canceled; it had no invoice');
  }

  const voided = await context.gateway.voidInvoice({
    invoiceId,
    idempotencyKey: `mp:${request.id}:void:${invoiceId}`,
  });
  if (voided.isOk()) {
    return moveRequest(context, request, 'canceled', actor, 'canceled; the invoice was voided');
  }

  if (voided.error.kind !== 'invalid_request') {
    return err(gatewayRefused(request, voided.error));
  }

  // The gateway would not void: already void, or the member has paid or is paying.
  const invoice = await context.gateway.getInvoice(invoiceId);
  if (invoice.isErr()) {
    return err(gatewayRefused(request, invoice.error));
  }

  return syncWithInvoice(context, request, invoice.value, actor);
}

/** Brings a request in line with what its invoice shows now, as a webhook would. */
export async function syncWithInvoice(
  context: Context,
  request: PaymentRequest,
  invoice: GatewayInvoice,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const synced = await context.storage.transaction(async (tx) => {
    const current = await loadRequest(tx, request.organizationId, request.id);
    if (current.isErr()) {
      return err(current.error);
    }

    const match = {
      request: current.value,
      current: invoice.id === current.value.gateway.invoiceId,
    };
    return applyInvoice(context, tx, match, invoice, actor);
  });
  if (synced.isErr()) {
    return err(synced.error);
  }

  announce(context, request, synced.value.after, actor);
  if (synced.value.discard) {
    await discardUnpaidInvoice(context, synced.value.discard, request.id);
  }

  return ok(synced.value.after);
}

/** A bank payment is in flight: note the wish, and settle it when the payment lands or fails. */
async function noteCancelWhileInFlight(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  if (request.cancelRequestedAt) {
    return ok(request);
  }

  return context.storage.transaction(async (tx) => {
    const now = context.clock.now();
    const stored = await tx.requests.update({ ...request, cancelRequestedAt: now, updatedAt: now });
    await tx.audit.append(
      auditEntry(stored, request.status, {
        ...transitionContext(context, actor, 'cancel requested while a bank payment is in flight'),
        action: 'note',
      }),
    );
    return ok(stored);
  });
}

async function stopCollectingThenRefund(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const invoiceId = request.gateway.invoiceId;
  if (invoiceId) {
    // Payments on the invoice forbid voiding it; uncollectible stops the member paying the rest
    // (and money that still arrives is refunded when its event comes).
    const stopped = await context.gateway.markUncollectible({
      invoiceId,
      idempotencyKey: `mp:${request.id}:uncollectible:${invoiceId}`,
    });
    if (stopped.isErr() && stopped.error.kind !== 'invalid_request') {
      return err(gatewayRefused(request, stopped.error));
    }
  }

  return refundRequest(context, request, actor, 'cancel');
}

function gatewayRefused(request: PaymentRequest, error: GatewayError): DomainError {
  return new DomainError(
    'GATEWAY.FAILED',
    `The payment gateway refused to act on payment request ${request.id}: ${error.message}`,
    { requestId: request.id, kind: error.kind, gatewayCode: error.code },
    error,
  );
}

/**
 * Deletes a request. A draft is removed for good (its audit trail stays). Anything else is
 * canceled first, exactly as `cancelRequest` does (a paid request is refunded), and then hidden
 * from lists while its record and audit trail are kept.
 */
export function deleteRequest(
  context: Context,
  organizationId: OrganizationId,
  requestId: PaymentRequestId,
  deletedBy: string,
): ResultAsync<{ readonly removed: boolean; readonly request: PaymentRequest }, DomainError> {
  const valid = validate(z.object({ deletedBy: actorIdSchema }), { deletedBy }, 'delete request');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  const actor: Actor = { kind: 'staff', userId: valid.value.deletedBy };
  return new ResultAsync(
    withConflictRetries(context, async () => {
      const found = await context.storage.transaction((tx) =>
        loadRequest(tx, organizationId, requestId),
      );
      if (found.isErr()) {
        return err(found.error);
      }

      // A draft may have had an invoice that reached the member (the batch never heard back):
      // money on it makes the draft a paid request, which is refunded, not erased.
      const reconciled = await reconcileInvoices(context, found.value, actor);
      if (reconciled.isErr()) {
        return err(reconciled.error);
      }

      return reconciled.value.status === 'draft'
        ? removeDraft(context, reconciled.value, actor)
        : cancelThenHide(context, reconciled.value, actor);
    }),
  );
}

/** Applies the money found on any invoice the request ever had; returns the request as it is. */
async function reconcileInvoices(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const { customerId, invoiceId } = request.gateway;
  const askedBefore =
    request.sendAttempt?.invoiceRequestedAt !== undefined &&
    request.sendAttempt?.invoiceRequestedAt !== null;
  if (request.status !== 'draft' || (!invoiceId && !askedBefore) || !customerId) {
    return ok(request);
  }

  const invoices = await context.gateway.findInvoices({ customerId, requestId: request.id });
  if (invoices.isErr()) {
    return err(gatewayRefused(request, invoices.error));
  }

  let current = request;
  for (const invoice of invoices.value.filter(hasMoney)) {
    const synced = await syncWithInvoice(context, current, invoice, actor);
    if (synced.isErr()) {
      return synced;
    }

    current = synced.value;
  }

  return ok(current);
}

async function removeDraft(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<{ removed: boolean; request: PaymentRequest }, DomainError>> {
  const removed = await context.storage.transaction(async (tx) => {
    await tx.requests.remove(request);
    await tx.audit.append(
      auditEntry(request, request.status, {
        ...transitionContext(context, actor, 'draft deleted'),
        action: 'deleted',
      }),
    );
    return ok({ removed: true, request });
  });
  if (removed.isOk() && request.gateway.invoiceId) {
    await discardUnpaidInvoice(context, request.gateway.invoiceId, request.id);
  }

  return removed;
}

async function cancelThenHide(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<{ removed: boolean; request: PaymentRequest }, DomainError>> {
  const canceled = await cancelLoaded(context, request, actor);
  if (canceled.isErr()) {
    return err(canceled.error);
  }

  if (canceled.value.deletedAt) {
    return ok({ removed: false, request: canceled.value });
  }

  return context.storage.transaction(async (tx) => {
    const now = context.clock.now();
    const stored = await tx.requests.update({ ...canceled.value, deletedAt: now, updatedAt: now });
    await tx.audit.append(
      auditEntry(stored, stored.status, {
        ...transitionContext(context, actor, 'deleted; kept for the record'),
        action: 'deleted',
      }),
    );
    return ok({ removed: false, request: stored });
  });
}
