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
 * Records what the member already paid at the visit for a claim (a co-pay at the front desk).
 * Requests generated from remittances for this claim bill only what remains.
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
      const raised = collected.value.minor - claim.value.collectedAtVisit.minor;
      const moved = await lowerRemittanceDrafts(context, tx, updated, raised);
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
 * A visit payment recorded after a remittance billed the claim: the member paid at the desk
 * part of what its drafts ask for, so the newest drafts are lowered by what the visit payment
 * grew, and a draft brought to nothing is canceled. Requests are billed as the remittance left
 * them otherwise; a visit payment that shrank bills nothing more without a remittance saying so.
 * Returns the status moves to announce once the unit of work has committed.
 */
async function lowerRemittanceDrafts(
  context: Context,
  tx: UnitOfWork,
  claim: Claim,
  raisedMinor: number,
): Promise<Array<[PaymentRequest, PaymentRequest]>> {
  const moved: Array<[PaymentRequest, PaymentRequest]> = [];
  if (raisedMinor <= 0) {
    return moved;
  }

  const open = await tx.requests.findOpenForClaim(claim.organizationId, claim.id);
  const drafts = open.filter(
    (request) => request.source.kind === 'remittance' && request.status === 'draft',
  );
  // TODO(#6): an invoice already sent, or paid, for the claim keeps what it bills; staff void
  // or refund the part the visit payment covers.
  let left = raisedMinor;
  for (const draft of drafts.reverse()) {
    if (left === 0) {
      break;
    }

    const cut = Math.min(left, draft.amount.minor);
    left -= cut;
    const reason = `${formatMoney(money(cut, draft.amount.currency))} was paid at the visit`;
    if (cut === draft.amount.minor) {
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
      continue;
    }

    const lowered = await tx.requests.update({
      ...draft,
      amount: money(draft.amount.minor - cut, draft.amount.currency),
      revision: draft.revision + 1,
      updatedAt: context.clock.now(),
    });
    await tx.audit.append(
      auditEntry(lowered, draft.status, {
        ...transitionContext(context, VISIT_PAYMENT, reason),
        action: 'edited',
        details: {
          amountMinor: lowered.amount.minor,
          previousAmountMinor: draft.amount.minor,
          revision: lowered.revision,
        },
      }),
    );
  }
  return moved;
}
