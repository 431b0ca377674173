import { err, ok, type Result } from 'neverthrow';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { asId } from '../domain/ids';
import { add, type Money, money } from '../domain/money';
import type {
  PaymentRequest,
  PaymentRequestStatus,
  RefundPurpose,
  RequestRefund,
} from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type { GatewayEvent, GatewayRefund } from '../ports/payment-gateway.port';
import type { UnitOfWork } from '../ports/storage.port';
import { announce, type Context, isConflict, transitionContext } from './context';
import { loadRequest } from './payment-requests';

/** Retries a step that lost an optimistic race: it reads again and decides again. */
export async function withConflictRetries<T>(
  context: Context,
  step: () => PromiseLike<Result<T, DomainError>>,
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

/** A refund the SDK is about to ask for; `amount` null refunds everything not refunded yet. */
export function refundIntent(
  context: Context,
  request: PaymentRequest,
  purpose: RefundPurpose,
  amount: Money | null,
  key: string | null = null,
): RequestRefund {
  return {
    key: key ?? `mp:${request.id}:refund:${request.refunds.length + 1}`,
    gatewayRefundId: null,
    amount,
    purpose,
    status: 'requested',
    failureReason: null,
    requestedAt: context.clock.now(),
  };
}

/**
 * Refunds money the member paid. The intent (a refund with its idempotency key) is stored
 * before the gateway is called, so that a crash, a retry or a second cancel finds it and makes
 * the same call again: one refund, never two. A cancel moves the request to `refund_pending`;
 * a correction leaves its status alone.
 *
 * A refund given its own idempotency key is part of a plan made from `request` (a remittance's
 * correction): should the stored request have changed since (staff canceled it, another
 * process refunded it), nothing is stored and the answer is `STORAGE.CONFLICT`, so that the
 * plan is made again from what is stored now.
 */
export async function refundRequest(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
  purpose: RefundPurpose,
  amount: Money | null = null,
  idempotencyKey: string | null = null,
): Promise<Result<PaymentRequest, DomainError>> {
  const earlier = idempotencyKey
    ? request.refunds.find((refund) => refund.key === idempotencyKey)
    : undefined;
  if (earlier) {
    // Asked before (a retried remittance): finish that refund, never a new one.
    return earlier.status === 'requested'
      ? sendRequestedRefunds(context, request, actor)
      : ok(request);
  }

  const intent = refundIntent(context, request, purpose, amount, idempotencyKey);
  const stored = await context.storage.transaction(async (tx) => {
    const current = await loadRequest(tx, request.organizationId, request.id);
    if (current.isErr()) {
      return err(current.error);
    }

    if (idempotencyKey !== null && current.value.version !== request.version) {
      return err(
        new DomainError(
          'STORAGE.CONFLICT',
          `Payment request ${request.id} changed since its refund was planned`,
        ),
      );
    }

    return storeIntent(context, tx, current.value, intent, actor);
  });
  if (stored.isErr()) {
    return err(stored.error);
  }

  announce(context, request, stored.value, actor);
  return sendRequestedRefunds(context, stored.value, actor);
}

/** Stores a refund intent in a unit of work under way (moving to refund_pending for a cancel). */
export async function storeIntent(
  context: Context,
  tx: UnitOfWork,
  request: PaymentRequest,
  intent: RequestRefund,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const refunds = [...request.refunds, intent];
  const reason =
    intent.purpose === 'cancel' ? 'refund requested' : `refund requested (${intent.purpose})`;
  if (intent.purpose === 'cancel' && request.status !== 'refund_pending') {
    const moved = transition(request, 'refund_pending', transitionContext(context, actor, reason), {
      refunds,
    });
    if (moved.isErr()) {
      return err(moved.error);
    }

    const saved = await tx.requests.update(moved.value.request);
    await tx.audit.append(moved.value.audit);
    return ok(saved);
  }

  const saved = await tx.requests.update({ ...request, refunds, updatedAt: context.clock.now() });
  await tx.audit.append(
    auditEntry(saved, request.status, {
      ...transitionContext(context, actor, reason),
      action: 'refund_requested',
      details: { amountMinor: intent.amount?.minor ?? null },
    }),
  );
  return ok(saved);
}

/**
 * Asks the gateway for every refund of the request still only `requested`. A call that fails
 * for now leaves its intent as it is: the scheduler's tick sends it again.
 */
export async function sendRequestedRefunds(
  context: Context,
  request: PaymentRequest,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  let current = request;
  for (const intent of request.refunds.filter((refund) => refund.status === 'requested')) {
    const sent = await callRefund(context, current, intent, actor);
    if (sent.isErr()) {
      return sent;
    }

    current = sent.value;
  }

  return ok(current);
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
  if (refunded.isErr() && refunded.error.retryable) {
    context.logger.warn('refund call failed, will retry', {
      requestId: request.id,
      error: refunded.error.kind,
    });
    return ok(request);
  }

  const facts: RefundFacts = refunded.isOk()
    ? refundFacts(refunded.value)
    : {
        id: null,
        key: intent.key,
        status: 'failed',
        amount: intent.amount,
        failureReason: refunded.error.message,
      };
  return recordRefundOutcome(
    context,
    request.organizationId,
    request.id,
    { ...facts, key: intent.key },
    actor,
  );
}

export interface RefundFacts {
  readonly id: string | null;
  /** The SDK's idempotency key of the refund, when it made it. */
  readonly key: string | null;
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
  return {
    id: refund.id,
    key: refund.tags.refundKey,
    status,
    amount: refund.amount,
    failureReason: refund.failureReason,
  };
}

/**
 * Stores what the gateway says of a refund, found by its id or its idempotency key, and moves
 * the request when the refund settles. A refund made outside the SDK is added to the request's
 * refunds. When `event` is given it is recorded as applied in the same unit of work, so that a
 * failure leaves it to be delivered again. Safe to apply more than once.
 */
export async function recordRefundOutcome(
  context: Context,
  organizationId: string,
  requestId: string,
  facts: RefundFacts,
  actor: Actor,
  event: GatewayEvent | null = null,
): Promise<Result<PaymentRequest, DomainError>> {
  return withConflictRetries(context, async () => {
    const stored = await context.storage.transaction(async (tx) => {
      const found = await loadRequest(tx, asId(organizationId), asId(requestId));
      if (found.isErr()) {
        return err(found.error);
      }

      if (event) {
        await tx.gatewayEvents.record({
          eventId: event.id,
          organizationId: found.value.organizationId,
          type: event.type,
          appliedAt: context.clock.now(),
        });
      }

      const request = found.value;
      const refunds = mergeRefund(context, request, facts);
      if (refunds === null) {
        return ok({ before: request, after: request });
      }

      const saved = await applyRefunds(context, tx, request, refunds, facts, actor);
      return saved.map((after) => ({ before: request, after }));
    });
    if (stored.isErr()) {
      return err(stored.error);
    }

    announce(context, stored.value.before, stored.value.after, actor);
    return ok(stored.value.after);
  });
}

async function applyRefunds(
  context: Context,
  tx: UnitOfWork,
  request: PaymentRequest,
  refunds: RequestRefund[],
  facts: RefundFacts,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const amountRefunded = refunds
    .filter((refund) => refund.status === 'succeeded')
    .reduce(
      (total, refund) => add(total, refund.amount ?? money(0, total.currency)),
      money(0, request.amount.currency),
    );
  const target = refundTarget(request, refunds, amountRefunded);
  const changes = { refunds, amountRefunded };
  const reason = `refund ${facts.status}`;

  if (target === request.status) {
    const saved = await tx.requests.update({
      ...request,
      ...changes,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(saved, request.status, {
        ...transitionContext(context, actor, reason),
        action: 'refund_recorded',
        details: { refundId: facts.id, amountRefundedMinor: amountRefunded.minor },
      }),
    );
    return ok(saved);
  }

  const moved = transition(
    request,
    target,
    transitionContext(context, actor, reason, {
      details: { refundId: facts.id, failure: facts.failureReason },
    }),
    changes,
  );
  if (moved.isErr()) {
    return err(moved.error);
  }

  const saved = await tx.requests.update(moved.value.request);
  await tx.audit.append(moved.value.audit);
  return ok(saved);
}

/**
 * The refunds with the new facts merged in, or null when nothing changes. A refund is the
 * SDK's own when its id or its idempotency key matches; anything else was made outside.
 */
function mergeRefund(
  context: Context,
  request: PaymentRequest,
  facts: RefundFacts,
): RequestRefund[] | null {
  const index = request.refunds.findIndex(
    (refund) =>
      (facts.id !== null && refund.gatewayRefundId === facts.id) ||
      (facts.key !== null && refund.key === facts.key),
  );
  if (index === -1) {
    if (facts.id === null) {
      return null;
    }

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

  const current = request.refunds[index] as RequestRefund;
  // A refund reported pending after it settled is an older event arriving late.
  const settled = current.status === 'succeeded' || current.status === 'failed';
  const status = settled && facts.status === 'pending' ? current.status : facts.status;
  const next: RequestRefund = {
    ...current,
    gatewayRefundId: facts.id ?? current.gatewayRefundId,
    amount: facts.amount ?? current.amount,
    status,
    failureReason: status === 'failed' ? facts.failureReason : null,
  };
  if (JSON.stringify(next) === JSON.stringify(current)) {
    return null;
  }

  return request.refunds.map((refund, at) => (at === index ? next : refund));
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

  // A refund can fail after it succeeded (a bank account refund returned days later).
  if (request.status === 'refunded' && !fullyRefunded) {
    return 'refund_failed';
  }

  if (request.status === 'refund_pending' && latestCancel?.status === 'failed') {
    return 'refund_failed';
  }

  return request.status;
}
