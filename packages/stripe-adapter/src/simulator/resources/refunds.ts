import type Stripe from 'stripe';
import { proportionalShare } from '../engine/money';
import { invalidRequest, resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { AUTOMATIC, type Origin, type Simulation } from '../state/simulation';
import type { Partition } from '../state/store';
import { findCharge, findPaymentIntent } from './payments';

export function findRefund(partition: Partition, id: string): Stripe.Refund {
  const refund = partition.refunds.get(id);
  if (refund === undefined) {
    throw resourceMissing('refund', id);
  }
  return refund;
}

function chargeToRefund({ ctx, params }: ApiCall): Stripe.Charge {
  const chargeId = params.string('charge');
  const intentId = params.string('payment_intent');
  if (chargeId === undefined && intentId === undefined) {
    throw invalidRequest('Provide one of payment_intent or charge.', {
      code: 'parameter_missing',
      param: 'payment_intent',
    });
  }

  let charge = chargeId === undefined ? undefined : findCharge(ctx.partition, chargeId, 'charge');
  if (intentId !== undefined) {
    const intent = findPaymentIntent(ctx.partition, intentId, 'payment_intent').intent;
    const latest = typeof intent.latest_charge === 'string' ? intent.latest_charge : null;
    if (charge !== undefined && charge.payment_intent !== intent.id) {
      throw invalidRequest('The charge does not belong to the PaymentIntent.', { param: 'charge' });
    }
    if (intent.status !== 'succeeded' && intent.status !== 'processing') {
      throw invalidRequest(
        `This PaymentIntent (${intent.status}) has no successful charge to refund.`,
        {
          code: 'charge_not_refundable',
          param: 'payment_intent',
        },
      );
    }
    charge ??= latest === null ? undefined : ctx.partition.charges.get(latest);
  }
  if (charge === undefined) {
    throw invalidRequest('There is no charge to refund.', { param: 'payment_intent' });
  }
  return charge;
}

/** What stops a refund of `charge`, checked in the order Stripe reports them. */
function refusal(
  partition: Partition,
  charge: Stripe.Charge,
): ReturnType<typeof invalidRequest> | null {
  if (charge.status === 'pending') {
    return invalidRequest(
      `Charge ${charge.id} is still pending; a bank payment can be refunded once it succeeds.`,
      { code: 'charge_not_refundable', param: 'charge' },
    );
  }
  if (charge.status === 'failed') {
    return invalidRequest(`Charge ${charge.id} failed; there is nothing to refund.`, {
      code: 'charge_not_refundable',
      param: 'charge',
    });
  }

  const openDispute = [...partition.disputes.values()].some(
    (dispute) => dispute.charge === charge.id && dispute.status !== 'won',
  );
  if (openDispute) {
    return invalidRequest(`Charge ${charge.id} has been disputed; it cannot be refunded.`, {
      code: 'charge_disputed',
      param: 'charge',
    });
  }
  if (charge.amount_refunded >= charge.amount) {
    return invalidRequest(`Charge ${charge.id} is already fully refunded.`, {
      code: 'charge_already_refunded',
      param: 'charge',
    });
  }
  return null;
}

function createRefund(call: ApiCall): Stripe.Refund {
  const { sim, ctx, params } = call;
  const charge = chargeToRefund(call);
  const problem = refusal(ctx.partition, charge);
  if (problem !== null) {
    throw problem;
  }

  const refundable = charge.amount - charge.amount_refunded;
  const amount = params.integer('amount', { min: 1 }) ?? refundable;
  if (amount > refundable) {
    throw invalidRequest(
      `Cannot refund ${amount}: only ${refundable} of the charge is left to refund.`,
      { code: 'amount_too_large', param: 'amount' },
    );
  }
  const reverseTransfer = params.boolean('reverse_transfer') === true;
  if (reverseTransfer && charge.transfer === undefined) {
    throw invalidRequest('reverse_transfer can only be used on destination charges.', {
      param: 'reverse_transfer',
    });
  }
  const reason = params.oneOf('reason', [
    'duplicate',
    'fraudulent',
    'requested_by_customer',
  ] as const);

  const isBank = charge.payment_method_details?.type === 'us_bank_account';
  const pending = isBank || sim.settings.refundsStartPending;
  const instructionsEmail = params.string('instructions_email');
  const refund: Stripe.Refund = {
    id: sim.newId('re'),
    object: 'refund',
    amount,
    application: null,
    balance_transaction: pending ? null : sim.newId('txn'),
    charge: charge.id,
    created: sim.now(),
    currency: charge.currency,
    customer: charge.customer,
    customer_account: null,
    destination_details: destinationDetails(isBank, pending),
    ...(instructionsEmail === undefined ? {} : { instructions_email: instructionsEmail }),
    metadata: params.metadata(),
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    ...(pending ? { pending_reason: 'processing' as const } : {}),
    reason: reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: pending ? 'pending' : 'succeeded',
    transfer_reversal: null,
  };
  ctx.partition.refunds.set(refund.id, refund);

  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  sim.emit(ctx.partition, ctx, 'refund.created', refund);
  sim.emit(ctx.partition, ctx, 'charge.refunded', charge);
  if (reverseTransfer) {
    reverseTransferFor(sim, ctx.partition, charge, refund, ctx);
  }

  const delay = sim.settings.refundSettleAfterMs;
  if (pending && delay !== null) {
    sim.scheduler.schedule(delay, `settle ${refund.id}`, () => {
      if (refund.status === 'pending') {
        succeedRefund(sim, ctx.partition, refund);
      }
    });
  }
  return refund;
}

function destinationDetails(isBank: boolean, pending: boolean): Stripe.Refund.DestinationDetails {
  const referenceStatus = pending ? 'pending' : 'available';
  return isBank
    ? {
        type: 'us_bank_transfer',
        us_bank_transfer: { reference: null, reference_status: referenceStatus },
      }
    : { type: 'card', card: { type: 'refund', reference_status: referenceStatus } };
}

/**
 * Pull the connected account's share back: proportional to the refund, and whatever is left
 * of the transfer once the charge is fully refunded (so rounding never strands a cent).
 */
function reverseTransferFor(
  sim: Simulation,
  partition: Partition,
  charge: Stripe.Charge,
  refund: Stripe.Refund,
  origin: Origin,
): void {
  const transfer =
    typeof charge.transfer === 'string' ? partition.transfers.get(charge.transfer) : undefined;
  if (transfer === undefined) {
    return;
  }

  const unreversed = transfer.amount - transfer.amount_reversed;
  const amount = charge.refunded
    ? unreversed
    : Math.min(unreversed, proportionalShare(refund.amount, transfer.amount, charge.amount));
  const reversal: Stripe.TransferReversal = {
    id: sim.newId('trr'),
    object: 'transfer_reversal',
    amount,
    balance_transaction: sim.newId('txn'),
    created: sim.now(),
    currency: transfer.currency,
    destination_payment_refund: sim.newId('pyr'),
    metadata: {},
    source_refund: refund.id,
    transfer: transfer.id,
  };
  partition.transferReversals.set(reversal.id, reversal);

  transfer.amount_reversed += amount;
  transfer.reversed = transfer.amount_reversed === transfer.amount;
  transfer.reversals.data.unshift(reversal);
  refund.transfer_reversal = reversal.id;
  sim.emit(partition, origin, 'transfer.reversed', transfer);
}

function requirePending(refund: Stripe.Refund): void {
  if (refund.status !== 'pending') {
    throw new Error(`Refund ${refund.id} is ${refund.status}, not pending`);
  }
}

export function succeedRefund(
  sim: Simulation,
  partition: Partition,
  refund: Stripe.Refund,
  origin: Origin = AUTOMATIC,
): void {
  requirePending(refund);
  const previous = { status: refund.status };

  refund.status = 'succeeded';
  delete refund.pending_reason;
  refund.balance_transaction = sim.newId('txn');
  refund.destination_details = settledDetails(refund.destination_details);
  sim.emit(partition, origin, 'refund.updated', refund, previous);
  sim.emit(partition, origin, 'charge.refund.updated', refund, previous);
}

/**
 * The refund could not reach the member: the amount becomes refundable again on the charge.
 * TODO(#4): a transfer reversal made for the failed refund is not undone.
 */
export function failRefund(
  sim: Simulation,
  partition: Partition,
  refund: Stripe.Refund,
  failureReason: string,
  origin: Origin = AUTOMATIC,
): void {
  requirePending(refund);
  const previous = { status: refund.status };

  refund.status = 'failed';
  refund.failure_reason = failureReason;
  delete refund.pending_reason;
  const charge =
    typeof refund.charge === 'string' ? partition.charges.get(refund.charge) : undefined;
  if (charge !== undefined) {
    charge.amount_refunded -= refund.amount;
    charge.refunded = false;
  }
  sim.emit(partition, origin, 'refund.failed', refund);
  sim.emit(partition, origin, 'refund.updated', refund, previous);
  sim.emit(partition, origin, 'charge.refund.updated', refund, previous);
}

function settledDetails(
  details: Stripe.Refund.DestinationDetails | undefined,
): Stripe.Refund.DestinationDetails | undefined {
  if (details?.card !== undefined) {
    return { ...details, card: { ...details.card, reference_status: 'available' } };
  }
  if (details?.us_bank_transfer !== undefined) {
    return {
      ...details,
      us_bank_transfer: { ...details.us_bank_transfer, reference_status: 'available' },
    };
  }
  return details;
}

export const refundRoutes: Route[] = [
  route(
    'POST',
    '/v1/refunds',
    acceptedParams<Stripe.RefundCreateParams>({
      amount: true,
      charge: true,
      currency: true,
      customer: true,
      expand: true,
      instructions_email: true,
      metadata: true,
      origin: true,
      payment_intent: true,
      reason: true,
      refund_application_fee: true,
      reverse_transfer: true,
    }),
    createRefund,
  ),
  route(
    'GET',
    '/v1/refunds/:id',
    acceptedParams<Stripe.RefundRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findRefund(ctx.partition, path.id ?? ''),
  ),
  route(
    'POST',
    '/v1/refunds/:id',
    acceptedParams<Stripe.RefundUpdateParams>({ expand: true, metadata: true }),
    ({ ctx, params, path }) => {
      const refund = findRefund(ctx.partition, path.id ?? '');
      refund.metadata = params.metadata(refund.metadata ?? {});
      return refund;
    },
  ),
  route(
    'POST',
    '/v1/refunds/:id/cancel',
    acceptedParams<Stripe.RefundCancelParams>({ expand: true }),
    ({ ctx, path }) => {
      const refund = findRefund(ctx.partition, path.id ?? '');
      throw invalidRequest(
        `Refund ${refund.id} is ${refund.status}; only refunds requiring action can be canceled.`,
      );
    },
  ),
  route(
    'GET',
    '/v1/refunds',
    acceptedParams<Stripe.RefundListParams>({
      charge: true,
      created: true,
      ending_before: true,
      expand: true,
      limit: true,
      payment_intent: true,
      starting_after: true,
    }),
    ({ ctx, params }) => {
      const charge = params.string('charge');
      const intent = params.string('payment_intent');
      const created = timestampFilter(params, 'created');
      const refunds = newestFirst(ctx.partition.refunds.values()).filter(
        (refund) =>
          (charge === undefined || refund.charge === charge) &&
          (intent === undefined || refund.payment_intent === intent) &&
          created(refund.created),
      );
      return paginate(refunds, params, '/v1/refunds');
    },
  ),
  route(
    'GET',
    '/v1/charges/:id/refunds',
    acceptedParams<Stripe.PaginationParams & { expand?: string[] }>({
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ ctx, params, path }) => {
      const charge = findCharge(ctx.partition, path.id ?? '');
      const refunds = newestFirst(ctx.partition.refunds.values()).filter(
        (refund) => refund.charge === charge.id,
      );
      return paginate(refunds, params, `/v1/charges/${charge.id}/refunds`);
    },
  ),
];
