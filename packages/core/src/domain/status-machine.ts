import { err, ok, type Result } from 'neverthrow';
import type { Actor, AuditAction, NewAuditEntry } from './audit';
import { DomainError } from './errors';
import type { AuditEntryId } from './ids';
import type { PaymentRequest, PaymentRequestStatus } from './payment-request';

/**
 * Every move a payment request may make, in one place. A pair missing here is refused.
 *
 * Why some less obvious moves exist:
 * - `sending -> paid | processing | partially_paid`: the member paid the invoice before the
 *   batch worker that sent it had recorded `sent` (it crashed, or was slow).
 * - `draft -> paid | processing | partially_paid`: the invoice reached the member although the
 *   batch never heard back (the answer to its send was lost) and released the request.
 * - `sending -> draft`: the worker gave up for now (gateway down, or a hold appeared); the
 *   request goes out on a later run with the same idempotency keys.
 * - `processing -> sent`: a bank payment failed; the invoice is still open and collectable.
 * - `failed -> draft`: staff fixed what made the gateway refuse the request and retries.
 * - `canceled -> refund_pending`: money reached a request canceled in the same instant (the
 *   void lost a race with the payment); it must go back to the member.
 * - `refunded -> refund_pending`: more money arrived on an invoice whose payments were
 *   refunded (an uncollectible invoice can still be paid); it goes back too.
 * - `refunded -> refund_failed`: a refund can fail after it succeeded (a bank refund returned).
 */
export const TRANSITIONS: Readonly<Record<PaymentRequestStatus, readonly PaymentRequestStatus[]>> =
  {
    draft: ['sending', 'canceled', 'processing', 'partially_paid', 'paid'],
    sending: ['sent', 'draft', 'failed', 'canceled', 'processing', 'partially_paid', 'paid'],
    sent: ['processing', 'partially_paid', 'paid', 'canceled', 'failed'],
    processing: ['sent', 'partially_paid', 'paid', 'failed'],
    partially_paid: ['processing', 'paid', 'refund_pending', 'disputed'],
    paid: ['refund_pending', 'refunded', 'disputed'],
    refund_pending: ['refunded', 'refund_failed'],
    refund_failed: ['refund_pending', 'refunded'],
    failed: ['draft', 'processing', 'partially_paid', 'paid', 'canceled'],
    disputed: ['paid', 'partially_paid', 'charged_back'],
    canceled: ['refund_pending'],
    refunded: ['refund_pending', 'refund_failed'],
    charged_back: [],
  };

/**
 * States a request ends in. Only money that moves after the end (a late payment, a returned
 * refund) leads out of them again.
 */
export const FINAL_STATUSES: readonly PaymentRequestStatus[] = [
  'canceled',
  'refunded',
  'charged_back',
];

export function canMove(from: PaymentRequestStatus, to: PaymentRequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface TransitionContext {
  readonly auditId: AuditEntryId;
  readonly at: Date;
  readonly actor: Actor;
  readonly reason: string;
  readonly action?: AuditAction;
  readonly details?: NewAuditEntry['details'];
}

export interface Transitioned {
  readonly request: PaymentRequest;
  readonly audit: NewAuditEntry;
}

/**
 * The one way a request changes status. It checks the move against `TRANSITIONS`, stamps the
 * lifecycle time, and returns the audit entry that must be stored in the same unit of work.
 * `changes` may carry the facts that come with the move (an invoice id, an amount paid).
 */
export function transition(
  request: PaymentRequest,
  to: PaymentRequestStatus,
  context: TransitionContext,
  changes: Partial<Omit<PaymentRequest, 'id' | 'organizationId' | 'status' | 'version'>> = {},
): Result<Transitioned, DomainError> {
  if (!canMove(request.status, to)) {
    return err(
      new DomainError(
        'REQUEST.TRANSITION_REFUSED',
        `Payment request ${request.id} is ${request.status} and cannot move to ${to}`,
        { requestId: request.id, from: request.status, to },
      ),
    );
  }

  const moved: PaymentRequest = {
    ...request,
    ...changes,
    status: to,
    lifecycle: { ...request.lifecycle, ...changes.lifecycle, [to]: context.at },
    updatedAt: context.at,
  };
  return ok({ request: moved, audit: auditEntry(moved, request.status, context) });
}

/** An audit entry for a change that is not a status move (an edit, a hold, a text sent). */
export function auditEntry(
  request: PaymentRequest,
  from: PaymentRequestStatus | null,
  context: TransitionContext,
): NewAuditEntry {
  return {
    id: context.auditId,
    organizationId: request.organizationId,
    requestId: request.id,
    at: context.at,
    actor: context.actor,
    action: context.action ?? 'status_changed',
    from,
    to: request.status,
    reason: context.reason,
    details: context.details ?? {},
  };
}
