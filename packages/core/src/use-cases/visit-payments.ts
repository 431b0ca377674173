import { err, errAsync, ok, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import type { Claim } from '../domain/claim';
import type { DomainError } from '../domain/errors';
import type { ClaimId, OrganizationId } from '../domain/ids';
import { formatMoney, money } from '../domain/money';
import type { PaymentRequest } from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type { UnitOfWork } from '../ports/storage.port';
import { discardUnpaidInvoice } from './cancel-and-refund';
import { announce, type Context, transitionContext, validate } from './context';
import { type MoneyInput, moneyInputSchema, toMoney } from './inputs';
import { atLeast, loadClaim, withinCharge } from './members-and-claims';

const visitPaymentSchema = z.object({ amount: moneyInputSchema });

/**
 * Records what the member already paid at the visit for a claim (a co-pay at the front desk),
 * as a total: a second call corrects the first. Requests generated from remittances for this
 * claim bill only what remains.
 */
export function recordVisitPayment(
  context: Context,
  organizationId: OrganizationId,
  claimId: ClaimId,
  amount: MoneyInput,
): ResultAsync<Claim, DomainError> {
  const valid = validate(visitPaymentSchema, { amount }, 'visit payment');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return context.storage
    .transaction(async (tx) => {
      const claim = await loadClaim(tx, organizationId, claimId);
      if (claim.isErr()) {
        return err(claim.error);
      }

      const collected = toMoney(valid.value.amount, claim.value.chargeAmount.currency, 'amount')
        .andThen((money) =>
          atLeast(money, 0, 'amount', 'a payment at the visit cannot be negative'),
        )
        .andThen((money) => withinCharge(money, claim.value.chargeAmount, 'amount'));
      if (collected.isErr()) {
        return err(collected.error);
      }

      const updated = await tx.claims.update({
        ...claim.value,
        collectedAtVisit: collected.value,
        updatedAt: context.clock.now(),
      });
      const change = collected.value.minor - claim.value.collectedAtVisit.minor;
      const moved = await moveRemittanceDrafts(context, tx, updated, change);
      return ok({ claim: updated, moved });
    })
    .andThen(({ claim, moved }) =>
      ResultAsync.fromSafePromise(settleMoved(context, moved).then(() => claim)),
    );
}

/** Tells the host of committed moves; a canceled draft's earlier draft invoice is discarded. */
async function settleMoved(
  context: Context,
  moved: ReadonlyArray<[PaymentRequest, PaymentRequest]>,
): Promise<void> {
  for (const [before, after] of moved) {
    announce(context, before, after, VISIT_PAYMENT);
    if (before.gateway.invoiceId) {
      await discardUnpaidInvoice(context, before.gateway.invoiceId, before.id);
    }
  }
}

const VISIT_PAYMENT: Actor = { kind: 'system', process: 'visit payment' };

/**
 * A visit payment recorded after a remittance billed the claim, or corrected later: the claim's
 * unsent drafts from remittances ask for what the remittance said less what was paid at the
 * visit, so they move by what the visit payment changed. A visit payment that grew lowers the
 * newest drafts first and cancels a draft it covers whole; one that shrank raises the newest
 * draft by as much. Drafts held for staff (`needs_review`) keep their amount, with a note that
 * says what changed, since staff decide what they bill. Returns the status moves to announce
 * once the unit of work has committed.
 */
async function moveRemittanceDrafts(
  context: Context,
  tx: UnitOfWork,
  claim: Claim,
  changeMinor: number,
): Promise<Array<[PaymentRequest, PaymentRequest]>> {
  const moved: Array<[PaymentRequest, PaymentRequest]> = [];
  if (changeMinor === 0) {
    return moved;
  }

  const open = await tx.requests.findOpenForClaim(claim.organizationId, claim.id);
  const drafts = open.filter(
    (request) => request.source.kind === 'remittance' && request.status === 'draft',
  );
  // Requests that keep their amount get a note, so that staff see on each one what changed:
  // drafts held for review (staff decide what they bill) and invoices the member already has.
  const paidAtVisit = formatMoney(claim.collectedAtVisit);
  const kept = open.filter(
    (request) =>
      request.status !== 'draft' ||
      (request.source.kind === 'remittance' && isHeldForStaff(request)),
  );
  for (const request of kept) {
    const reason =
      request.status === 'draft'
        ? `the visit payment is now ${paidAtVisit}; the amount is left to staff`
        : `the visit payment is now ${paidAtVisit}; this ${request.status} request keeps its ` +
          'amount, and staff settle the difference';
    await tx.audit.append(
      auditEntry(request, request.status, {
        ...transitionContext(context, VISIT_PAYMENT, reason),
        action: 'note',
      }),
    );
  }

  // TODO(#6): an invoice already sent, or paid, keeps what it bills (noted above), and a
  // visit payment that shrank after its draft was canceled bills nothing more; staff settle.
  const movable = drafts.filter((draft) => !isHeldForStaff(draft)).reverse();
  if (changeMinor < 0) {
    const [newest] = movable;
    if (newest) {
      const raised = newest.amount.minor - changeMinor;
      await reprice(context, tx, newest, raised, `the visit payment went down to ${paidAtVisit}`);
    }
    return moved;
  }

  let left = changeMinor;
  for (const draft of movable) {
    if (left === 0) {
      break;
    }

    const cut = Math.min(left, draft.amount.minor);
    left -= cut;
    const reason = `${formatMoney(money(cut, draft.amount.currency))} was paid at the visit`;
    if (cut < draft.amount.minor) {
      await reprice(context, tx, draft, draft.amount.minor - cut, reason);
      continue;
    }

    const canceled = transition(
      draft,
      'canceled',
      transitionContext(context, VISIT_PAYMENT, reason),
    );
    if (canceled.isOk()) {
      await tx.requests.update(canceled.value.request);
      await tx.audit.append(canceled.value.audit);
      moved.push([draft, canceled.value.request]);
    }
  }
  return moved;
}

function isHeldForStaff(request: PaymentRequest): boolean {
  return request.hold?.code === 'needs_review';
}

/**
 * A draft billing a new amount: a new revision, so that an invoice made for the old one is
 * never sent. A hold for being below Stripe's minimum is lifted, as a staff edit lifts it; the
 * batch holds the draft again if the new amount is still too small.
 */
async function reprice(
  context: Context,
  tx: UnitOfWork,
  draft: PaymentRequest,
  amountMinor: number,
  reason: string,
): Promise<void> {
  const stored = await tx.requests.update({
    ...draft,
    amount: money(amountMinor, draft.amount.currency),
    revision: draft.revision + 1,
    hold: draft.hold?.code === 'below_minimum_charge' ? null : draft.hold,
    updatedAt: context.clock.now(),
  });
  await tx.audit.append(
    auditEntry(stored, draft.status, {
      ...transitionContext(context, VISIT_PAYMENT, reason),
      action: 'edited',
      details: {
        amountMinor: stored.amount.minor,
        previousAmountMinor: draft.amount.minor,
        revision: stored.revision,
      },
    }),
  );
}
