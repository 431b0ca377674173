import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams } from '../http/params';
import { type Route, route } from '../http/routes';
import { AUTOMATIC, type Origin, type Simulation } from '../state/simulation';
import type { Partition } from '../state/store';

/** How long the merchant has to answer a dispute with evidence. */
const EVIDENCE_WINDOW_SECONDS = 7 * 86_400;

const EMPTY_EVIDENCE: Stripe.Dispute.Evidence = {
  access_activity_log: null,
  appeal: null,
  billing_address: null,
  cancellation_policy: null,
  cancellation_policy_disclosure: null,
  cancellation_rebuttal: null,
  customer_communication: null,
  customer_email_address: null,
  customer_name: null,
  customer_purchase_ip: null,
  customer_signature: null,
  duplicate_charge_documentation: null,
  duplicate_charge_explanation: null,
  duplicate_charge_id: null,
  enhanced_evidence: {},
  product_description: null,
  receipt: null,
  refund_policy: null,
  refund_policy_disclosure: null,
  refund_refusal_explanation: null,
  service_date: null,
  service_documentation: null,
  shipping_address: null,
  shipping_carrier: null,
  shipping_date: null,
  shipping_documentation: null,
  shipping_tracking_number: null,
  uncategorized_file: null,
  uncategorized_text: null,
};

export function findDispute(partition: Partition, id: string): Stripe.Dispute {
  const dispute = partition.disputes.get(id);
  if (dispute === undefined) {
    throw resourceMissing('dispute', id);
  }
  return dispute;
}

/** The member's bank pulls the money back: the charge is disputed until the dispute closes. */
export function openDispute(
  sim: Simulation,
  partition: Partition,
  charge: Stripe.Charge,
  options: { reason?: string | undefined; amount?: number | undefined },
): Stripe.Dispute {
  if (charge.status !== 'succeeded') {
    throw new Error(
      `Charge ${charge.id} is ${charge.status}; only succeeded charges can be disputed`,
    );
  }
  const amount = options.amount ?? charge.amount - charge.amount_refunded;
  if (amount <= 0 || amount > charge.amount) {
    throw new Error(`A dispute of ${amount} does not fit charge ${charge.id}`);
  }

  const card = charge.payment_method_details?.card;
  const now = sim.now();
  const dispute: Stripe.Dispute = {
    id: sim.newId('dp'),
    object: 'dispute',
    amount,
    balance_transactions: [],
    charge: charge.id,
    created: now,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: { ...EMPTY_EVIDENCE },
    evidence_details: {
      due_by: now + EVIDENCE_WINDOW_SECONDS,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    ...(card === undefined
      ? {}
      : {
          payment_method_details: {
            type: 'card' as const,
            card: {
              brand: card.brand ?? 'unknown',
              case_type: 'chargeback' as const,
              network: card.network ?? 'unknown',
              network_reason_code: null,
            },
          },
        }),
    reason: options.reason ?? 'fraudulent',
    status: 'needs_response',
  };
  partition.disputes.set(dispute.id, dispute);
  charge.disputed = true;

  sim.emit(partition, AUTOMATIC, 'charge.dispute.created', dispute);
  sim.emit(partition, AUTOMATIC, 'charge.dispute.funds_withdrawn', dispute);
  return dispute;
}

/** The card network decides; a won dispute gives the funds back. */
export function closeDispute(
  sim: Simulation,
  partition: Partition,
  dispute: Stripe.Dispute,
  outcome: 'won' | 'lost',
  origin: Origin = AUTOMATIC,
): Stripe.Dispute {
  if (dispute.status === 'won' || dispute.status === 'lost') {
    throw invalidRequest(`Dispute ${dispute.id} is already closed as ${dispute.status}.`);
  }

  dispute.status = outcome;
  dispute.is_charge_refundable = outcome === 'won';
  sim.emit(partition, origin, 'charge.dispute.closed', dispute);
  if (outcome === 'won') {
    sim.emit(partition, origin, 'charge.dispute.funds_reinstated', dispute);
  }
  return dispute;
}

export const disputeRoutes: Route[] = [
  route(
    'GET',
    '/v1/disputes/:id',
    acceptedParams<Stripe.DisputeRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findDispute(ctx.partition, path.id ?? ''),
  ),
  route(
    'POST',
    '/v1/disputes/:id',
    acceptedParams<Stripe.DisputeUpdateParams>({
      evidence: true,
      expand: true,
      intended_submission_method: true,
      metadata: true,
      submit: true,
    }),
    ({ ctx, params, path }) => {
      const dispute = findDispute(ctx.partition, path.id ?? '');
      dispute.metadata = params.metadata(dispute.metadata);
      return dispute;
    },
  ),
  route(
    'POST',
    '/v1/disputes/:id/close',
    acceptedParams<Stripe.DisputeCloseParams>({ expand: true }),
    ({ sim, ctx, path }) =>
      closeDispute(sim, ctx.partition, findDispute(ctx.partition, path.id ?? ''), 'lost', ctx),
  ),
  route(
    'GET',
    '/v1/disputes',
    acceptedParams<Stripe.DisputeListParams>({
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
      const disputes = newestFirst(ctx.partition.disputes.values()).filter(
        (dispute) =>
          (charge === undefined || dispute.charge === charge) &&
          (intent === undefined || dispute.payment_intent === intent) &&
          created(dispute.created),
      );
      return paginate(disputes, params, '/v1/disputes');
    },
  ),
];
