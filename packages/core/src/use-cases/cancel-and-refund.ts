import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import type { OrganizationId, PaymentRequestId } from '../domain/ids';
import { add, type Money, money } from '../domain/money';
import type {
  PaymentRequest,
  PaymentRequestStatus,
  RefundPurpose,
  RequestRefund,
} from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type { GatewayError, GatewayInvoice, GatewayRefund } from '../ports/payment-gateway.port';
import { announce, type Context, isConflict, transitionContext } from './context';
import { loadRequest } from './payment-requests';

/**
 * Cancels a request and does what the member's money requires:
 *
 * | status | what cancel does |
 * |---|---|
 * | draft | canceled; no gateway call (a stale draft invoice, if any, is deleted) |
 * | sending | canceled; the batch worker finds it canceled and discards its invoice |
 * | sent, failed | the invoice is voided, then canceled |
 * | processing | noted; when the bank payment lands it is refunded, when it fails the invoice is voided |
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
  const actor: Actor = { kind: 'staff', userId: canceledBy };
  return new ResultAsync(
    withConflictRetries(context, () => cancelOnce(context, organizationId, requestId, actor)),
  );
}

/** Retries a step that lost an optimistic race: it reads again and decides again. */
export async function withConflictRetries<T>(
  context: Context,
  step: () => Promise<Result<T, DomainError>>,
): Promise<Result<T, DomainError>> {
  let outcome = await step();
  for (
    let retry = 0;
    retry < context.options.conflictRetries && outcome.isErr() && isConflict(outcome.error);
    retry += 1
  ) {
    outcome = await step();
  }

  return outcome;
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
): Promise<Result<PaymentRequest, DomainError>> {
  switch (request.status) {
    case 'draft':
    case 'sending':
      return cancelUnsent(context, request, actor);
    case 'sent':
    case 'failed':
      return voidThenCancel(context, request, actor);
    case 'processing':
      return noteCancelWhileInFlight(context, request, actor);
    case 'partially_paid':
      return stopCollectingThenRefund(context, request, actor);
    case 'paid':
    case 'refund_failed':
      return refundRequest(context, request, actor, 'cancel');
    case 'refund_pending':
      return resumeRefund(context, request, actor);
    case 'canceled':
    case 'refunded':
    case 'charged_back':
      return ok(request);
    case 'disputed':
      return err(
        new DomainError(
          'REQUEST.CANCEL_REFUSED',
          `Payment request ${request.id} is disputed; the member's bank decides the money until the dispute closes`,
          { requestId: request.id, status: request.status },
        ),
      );
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

/** Deletes a draft invoice or voids an unpaid open one; a failure only leaves a harmless draft. */
export async function discardUnpaidInvoice(
  context: Context,
  invoiceId: string,
  requestId: string,
): Promise<void> {
  const invoice = await context.gateway.getInvoice(invoiceId);
  if (invoice.isErr()) {
    return;
  }

  const outcome =
    invoice.value.status === 'draft'
      ? await context.gateway.deleteDraftInvoice(invoiceId)
      : invoice.value.status === 'open' && invoice.value.amountPaid.minor === 0
        ? await context.gateway.voidInvoice({
            invoiceId,
            idempotencyKey: `mp:${requestId}:void:${invoiceId}`,
          })
        : null;
  if (outcome?.isErr()) {
    context.logger.warn('could not discard an unsent invoice', {
      requestId,
      invoiceId,
      error: outcome.error.kind,
    });
  }
}

async function voidThenCancel(
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
    return moveRequest(context, request, 'canceled', actor, 'canceled; the invoice was voided', {
      amountPaid: voided.value.amountPaid,
    });
  }

  if (voided.error.kind !== 'invalid_request') {
    return err(gatewayRefused(request, voided.error));
  }

  // The gateway would not void: the member has paid or is paying. Decide from its state.
  const invoice = await context.gateway.getInvoice(invoiceId);
  if (invoice.isErr()) {
    return err(gatewayRefused(request, invoice.error));
  }

  return cancelAfterPayment(context, request, invoice.value, actor);
}

async function cancelAfterPayment(
  context: Context,
  request: PaymentRequest,
  invoice: GatewayInvoice,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  if (invoice.paymentInFlight) {
    const moved = await moveRequest(
      context,
      request,
      'processing',
      actor,
      'a bank payment is in flight',
      {
        amountPaid: invoice.amountPaid,
      },
    );
    return moved.isErr() ? moved : noteCancelWhileInFlight(context, moved.value, actor);
  }

  if (invoice.status === 'paid' || invoice.amountPaid.minor > 0) {
    const target = invoice.status === 'paid' ? 'paid' : 'partially_paid';
    const moved = await moveRequest(context, request, target, actor, 'the member had paid', {
      amountPaid: invoice.amountPaid,
    });
    return moved.isErr() ? moved : refundRequest(context, moved.value, actor, 'cancel');
  }

  return err(
    new DomainError(
      'REQUEST.CANCEL_REFUSED',
      `The invoice of payment request ${request.id} is ${invoice.status} and could not be voided`,
      { requestId: request.id, invoiceStatus: invoice.status },
    ),
  );
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
    // Payments on the invoice forbid voiding it; uncollectible stops the member paying the rest.
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

/**
 * Refunds what the member paid and has not had back. The intent (a refund with its idempotency
 * key) is stored before the gateway is called, so that a crash, a retry or a second cancel
 * finds it and makes the same call again: one refund, never two.
 */
export async function refundRequest(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
  purpose: RefundPurpose,
  amount: Money | null = null,
  idempotencyKey: string | null = null,
): Promise<Result<PaymentRequest, DomainError>> {
  const key = idempotencyKey ?? `mp:${request.id}:refund:${request.refunds.length + 1}`;
  const earlier = request.refunds.find((refund) => refund.key === key);
  if (earlier) {
    // Asked before (a retried remittance, a second cancel): finish that refund, never a new one.
    return earlier.status === 'requested'
      ? callRefund(context, request, earlier, actor)
      : ok(request);
  }

  const intent: RequestRefund = {
    key,
    gatewayRefundId: null,
    amount,
    purpose,
    status: 'requested',
    failureReason: null,
    requestedAt: context.clock.now(),
  };
  const refunds = [...request.refunds, intent];
  const moves = purpose === 'cancel' && request.status !== 'refund_pending';
  const pending = moves
    ? await moveRequest(context, request, 'refund_pending', actor, 'refund requested', { refunds })
    : await saveRefunds(context, request, refunds, actor, `refund requested (${purpose})`);
  if (pending.isErr()) {
    return pending;
  }

  return callRefund(context, pending.value, intent, actor);
}

async function resumeRefund(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const unsent = request.refunds.find((refund) => refund.status === 'requested');
  return unsent ? callRefund(context, request, unsent, actor) : ok(request);
}

async function callRefund(
  context: Context,
  request: PaymentRequest,
  intent: RequestRefund,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const invoiceId = request.gateway.invoiceId;
  if (!invoiceId) {
    return err(
      new DomainError(
        'REQUEST.CANCEL_REFUSED',
        `Payment request ${request.id} has no invoice to refund`,
        {
          requestId: request.id,
        },
      ),
    );
  }

  const refunded = await context.gateway.refundInvoice({
    invoiceId,
    amount: intent.amount,
    organizationId: request.organizationId,
    requestId: request.id,
    idempotencyKey: intent.key,
  });
  if (refunded.isErr()) {
    if (refunded.error.retryable) {
      // The intent stays `requested`; cancel again, or the scheduler's tick, sends it later.
      context.logger.warn('refund call failed, will retry', {
        requestId: request.id,
        error: refunded.error.kind,
      });
      return ok(request);
    }

    return recordRefundOutcome(
      context,
      request.organizationId,
      request.id,
      intent.key,
      {
        id: null,
        status: 'failed',
        amount: intent.amount,
        failureReason: refunded.error.message,
      },
      actor,
    );
  }

  return recordRefundOutcome(
    context,
    request.organizationId,
    request.id,
    intent.key,
    refundFacts(refunded.value),
    actor,
  );
}

interface RefundFacts {
  readonly id: string | null;
  readonly status: RequestRefund['status'];
  readonly amount: Money | null;
  readonly failureReason: string | null;
}

export function refundFacts(refund: GatewayRefund): RefundFacts {
  const status =
    refund.status === 'succeeded'
      ? 'succeeded'
      : refund.status === 'failed' || refund.status === 'canceled'
        ? 'failed'
        : 'pending';
  return { id: refund.id, status, amount: refund.amount, failureReason: refund.failureReason };
}

/**
 * Stores what the gateway says of a refund, found by its id or, for the answer to our own call,
 * by its key, and moves the request when the refund settles. A refund made outside the SDK is
 * added to the request's refunds. Safe to apply more than once.
 */
export async function recordRefundOutcome(
  context: Context,
  organizationId: string,
  requestId: string,
  key: string | null,
  facts: RefundFacts,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  return withConflictRetries(context, async () => {
    const stored = await context.storage.transaction(async (tx) => {
      const found = await loadRequest(
        tx,
        organizationId as OrganizationId,
        requestId as PaymentRequestId,
      );
      if (found.isErr()) {
        return err(found.error);
      }

      const request = found.value;
      const updated = mergeRefund(context, request, key, facts);
      if (updated === null) {
        return ok({ before: request, after: request });
      }

      const amountRefunded = updated
        .filter((refund) => refund.status === 'succeeded')
        .reduce(
          (total, refund) => add(total, refund.amount ?? money(0, total.currency)),
          money(0, request.amount.currency),
        );
      const target = refundTarget(request, updated, amountRefunded);
      const changes = { refunds: updated, amountRefunded };
      if (target === request.status) {
        const saved = await tx.requests.update({
          ...request,
          ...changes,
          updatedAt: context.clock.now(),
        });
        await tx.audit.append(
          auditEntry(saved, request.status, {
            ...transitionContext(context, actor, `refund ${facts.status}`),
            action: 'refund_recorded',
            details: { refundId: facts.id, amountRefundedMinor: amountRefunded.minor },
          }),
        );
        return ok({ before: request, after: saved });
      }

      const moved = transition(
        request,
        target,
        transitionContext(context, actor, `refund ${facts.status}`, {
          details: { refundId: facts.id, failure: facts.failureReason },
        }),
        changes,
      );
      if (moved.isErr()) {
        return err(moved.error);
      }

      const saved = await tx.requests.update(moved.value.request);
      await tx.audit.append(moved.value.audit);
      return ok({ before: request, after: saved });
    });
    if (stored.isErr()) {
      return err(stored.error);
    }

    announce(context, stored.value.before, stored.value.after, actor);
    return ok(stored.value.after);
  });
}

/** The refunds with the new facts merged in, or null when nothing changes. */
function mergeRefund(
  context: Context,
  request: PaymentRequest,
  key: string | null,
  facts: RefundFacts,
): RequestRefund[] | null {
  const index = request.refunds.findIndex(
    (refund) =>
      (facts.id !== null && refund.gatewayRefundId === facts.id) ||
      (key !== null && refund.key === key),
  );
  const unmatched =
    index === -1
      ? request.refunds.findIndex(
          (refund) => refund.status === 'requested' && refund.gatewayRefundId === null,
        )
      : index;
  if (unmatched === -1) {
    if (facts.id === null) {
      return null;
    }

    // A refund made outside the SDK, for example in the Dashboard.
    return [
      ...request.refunds,
      {
        key: `external:${facts.id}`,
        gatewayRefundId: facts.id,
        amount: facts.amount,
        purpose: 'external',
        status: facts.status,
        failureReason: facts.failureReason,
        requestedAt: context.clock.now(),
      },
    ];
  }

  const current = request.refunds[unmatched] as RequestRefund;
  // A settled refund does not go back to pending because an older event arrived late.
  const settled = current.status === 'succeeded' || current.status === 'failed';
  const status = settled && facts.status === 'pending' ? current.status : facts.status;
  const next: RequestRefund = {
    ...current,
    gatewayRefundId: facts.id ?? current.gatewayRefundId,
    amount: facts.amount ?? current.amount,
    status,
    failureReason: facts.failureReason,
  };
  if (JSON.stringify(next) === JSON.stringify(current)) {
    return null;
  }

  return request.refunds.map((refund, at) => (at === unmatched ? next : refund));
}

function refundTarget(
  request: PaymentRequest,
  refunds: readonly RequestRefund[],
  amountRefunded: Money,
): PaymentRequestStatus {
  const fullyRefunded =
    request.amountPaid.minor > 0 && amountRefunded.minor >= request.amountPaid.minor;
  const latestCancel = refunds.filter((refund) => refund.purpose === 'cancel').at(-1);

  if (['paid', 'refund_pending', 'refund_failed'].includes(request.status) && fullyRefunded) {
    return 'refunded';
  }

  if (request.status === 'refund_pending' && latestCancel?.status === 'failed') {
    return 'refund_failed';
  }

  return request.status;
}

async function saveRefunds(
  context: Context,
  request: PaymentRequest,
  refunds: RequestRefund[],
  actor: Actor,
  reason: string,
): Promise<Result<PaymentRequest, DomainError>> {
  return context.storage.transaction(async (tx) => {
    const stored = await tx.requests.update({
      ...request,
      refunds,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(stored, request.status, {
        ...transitionContext(context, actor, reason),
        action: 'refund_requested',
      }),
    );
    return ok(stored);
  });
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
  const actor: Actor = { kind: 'staff', userId: deletedBy };
  return new ResultAsync(
    withConflictRetries(context, async () => {
      const found = await context.storage.transaction((tx) =>
        loadRequest(tx, organizationId, requestId),
      );
      if (found.isErr()) {
        return err(found.error);
      }

      return found.value.status === 'draft'
        ? removeDraft(context, found.value, actor)
        : cancelThenHide(context, found.value, actor);
    }),
  );
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
