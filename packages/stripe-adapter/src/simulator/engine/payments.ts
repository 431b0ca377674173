import type Stripe from 'stripe';
import { StripeApiError } from '../http/errors';
import { randomToken } from '../state/ids';
import { AUTOMATIC, type Origin, type Simulation } from '../state/simulation';
import type { BankDebit, Partition, PaymentIntentRecord } from '../state/store';
import { applyIntentToInvoice, recordFailedAttempt } from './invoice-settlement';
import { bankFailureCode, type CardOutcome } from './test-instruments';

export interface PaymentIntentInit {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  paymentMethodTypes: string[];
  onBehalfOf: string | null;
  transferData: { destination: string; amount: number | null } | null;
  applicationFeeAmount: number | null;
  receiptEmail: string | null;
  invoiceId: string | null;
}

const DECLINE_MESSAGES: Readonly<Record<string, string>> = {
  generic_decline: 'The card was declined.',
  insufficient_funds: 'The card has insufficient funds.',
};

const BANK_FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  insufficient_funds: 'The bank returned the debit: insufficient funds.',
  account_closed: 'The bank returned the debit: the account is closed.',
  no_account: 'The bank returned the debit: no such account.',
  debit_not_authorized: 'The customer has notified their bank that this payment was unauthorized.',
};

export function createPaymentIntent(
  sim: Simulation,
  partition: Partition,
  init: PaymentIntentInit,
  origin: Origin,
): PaymentIntentRecord {
  const id = sim.newId('pi');
  const intent: Stripe.PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: init.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: init.applicationFeeAmount,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(24)}`,
    confirmation_method: 'automatic',
    created: sim.now(),
    currency: init.currency,
    customer: init.customer,
    customer_account: null,
    description: init.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: init.metadata,
    next_action: null,
    on_behalf_of: init.onBehalfOf,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: init.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: init.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data:
      init.transferData === null
        ? null
        : {
            destination: init.transferData.destination,
            ...(init.transferData.amount === null ? {} : { amount: init.transferData.amount }),
          },
    transfer_group: null,
  };

  const record: PaymentIntentRecord = { intent, invoiceId: init.invoiceId, bankDebit: null };
  partition.paymentIntents.set(id, record);
  sim.emit(partition, origin, 'payment_intent.created', intent);
  return record;
}

type ChargeDetails = Stripe.Charge.PaymentMethodDetails;

function cardDetails(sim: Simulation, card: CardOutcome, amount: number): ChargeDetails {
  const expiryYear = new Date(sim.clock.nowMs()).getUTCFullYear() + 3;
  return {
    type: 'card',
    card: {
      amount_authorized: card.approved ? amount : null,
      authorization_code: card.approved ? randomToken(6).toUpperCase() : null,
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      electronic_commerce_indicator: null,
      exp_month: 12,
      exp_year: expiryYear,
      fingerprint: `fp_${card.last4}`,
      funding: 'credit',
      installments: null,
      last4: card.last4,
      mandate: null,
      network: card.brand,
      network_transaction_id: null,
      regulated_status: null,
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
  };
}

function bankDetails(debit: BankDebit): ChargeDetails {
  return {
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type: 'individual',
      account_type: 'checking',
      bank_name: 'STRIPE TEST BANK',
      fingerprint: `fp_${debit.accountNumber.slice(-4)}`,
      last4: debit.accountNumber.slice(-4),
      payment_reference: null,
      routing_number: debit.routingNumber,
    },
  };
}

function outcomeOf(approved: boolean, declineCode: string | null): Stripe.Charge.Outcome {
  return approved
    ? {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        risk_score: 20,
        seller_message: 'Approved by the card network.',
        type: 'authorized',
      }
    : {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: 'declined_by_network',
        reason: declineCode,
        risk_level: 'normal',
        risk_score: 20,
        seller_message: 'The issuer declined the payment without saying more.',
        type: 'issuer_declined',
      };
}

function createCharge(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  details: ChargeDetails,
  status: Stripe.Charge.Status,
): Stripe.Charge {
  const intent = record.intent;
  const transfer = intent.transfer_data ?? null;
  const charge: Stripe.Charge = {
    id: sim.newId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: status === 'succeeded' ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: intent.application_fee_amount,
    balance_transaction: status === 'succeeded' ? sim.newId('txn') : null,
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'MEMBERPAY SIM',
    captured: status !== 'failed',
    created: sim.now(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: intent.on_behalf_of,
    outcome: status === 'pending' ? null : outcomeOf(status === 'succeeded', null),
    paid: status === 'succeeded',
    payment_intent: intent.id,
    payment_method: typeof intent.payment_method === 'string' ? intent.payment_method : null,
    payment_method_details: details,
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status,
    transfer_data:
      transfer === null
        ? null
        : { amount: transfer.amount ?? null, destination: transfer.destination },
    transfer_group: intent.transfer_group,
  };
  charge.receipt_url = `${sim.settings.baseUrl}/receipts/${charge.id}`;

  partition.charges.set(charge.id, charge);
  intent.latest_charge = charge.id;
  return charge;
}

/** A destination charge pays the connected account its share through a transfer. */
function transferForDestination(
  sim: Simulation,
  partition: Partition,
  charge: Stripe.Charge,
  origin: Origin,
): void {
  const routing = charge.transfer_data;
  if (routing === null) {
    return;
  }

  const amount = routing.amount ?? charge.amount - (charge.application_fee_amount ?? 0);
  const transfer: Stripe.Transfer = {
    id: sim.newId('tr'),
    object: 'transfer',
    amount,
    amount_reversed: 0,
    balance_transaction: sim.newId('txn'),
    created: sim.now(),
    currency: charge.currency,
    description: null,
    destination:
      typeof routing.destination === 'string' ? routing.destination : routing.destination.id,
    destination_payment: sim.newId('py'),
    livemode: false,
    metadata: {},
    reversals: { object: 'list', data: [], has_more: false, url: '' },
    reversed: false,
    source_transaction: charge.id,
    source_type: charge.payment_method_details?.type === 'card' ? 'card' : 'bank_account',
    transfer_group: charge.transfer_group,
  };
  transfer.reversals.url = `/v1/transfers/${transfer.id}/reversals`;

  partition.transfers.set(transfer.id, transfer);
  charge.transfer = transfer.id;
  sim.emit(partition, origin, 'transfer.created', transfer);
}

function succeed(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  charge: Stripe.Charge,
  origin: Origin,
): void {
  charge.status = 'succeeded';
  charge.paid = true;
  charge.captured = true;
  charge.amount_captured = charge.amount;
  charge.outcome = outcomeOf(true, null);
  charge.balance_transaction ??= sim.newId('txn');

  record.intent.status = 'succeeded';
  record.intent.amount_received = charge.amount;
  record.intent.last_payment_error = null;
  record.bankDebit = null;

  sim.emit(partition, origin, 'charge.succeeded', charge);
  transferForDestination(sim, partition, charge, origin);
  sim.emit(partition, origin, 'payment_intent.succeeded', record.intent);
  applyIntentToInvoice(sim, partition, record, origin);
}

function fail(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  charge: Stripe.Charge,
  failure: { code: string; declineCode: string | null; message: string },
  origin: Origin,
): StripeApiError {
  charge.status = 'failed';
  charge.paid = false;
  charge.captured = false;
  charge.failure_code = failure.code;
  charge.failure_message = failure.message;
  charge.outcome = outcomeOf(false, failure.declineCode ?? failure.code);

  const isCard = charge.payment_method_details?.type === 'card';
  const error = new StripeApiError(402, {
    type: isCard ? 'card_error' : 'invalid_request_error',
    code: failure.code,
    message: failure.message,
    charge: charge.id,
    payment_intent: { id: record.intent.id, object: 'payment_intent' },
    ...(failure.declineCode === null ? {} : { decline_code: failure.declineCode }),
  });

  record.intent.status = 'requires_payment_method';
  record.intent.last_payment_error = {
    type: error.body.type,
    code: failure.code,
    message: failure.message,
    charge: charge.id,
    payment_method_type: charge.payment_method_details?.type ?? 'card',
    ...(failure.declineCode === null ? {} : { decline_code: failure.declineCode }),
  } as Stripe.PaymentIntent.LastPaymentError;
  record.bankDebit = null;

  sim.emit(partition, origin, 'charge.failed', charge);
  sim.emit(partition, origin, 'payment_intent.payment_failed', record.intent);
  recordFailedAttempt(sim, partition, record, origin);
  return error;
}

function requireConfirmable(record: PaymentIntentRecord): void {
  const status = record.intent.status;
  if (status !== 'requires_payment_method' && status !== 'requires_confirmation') {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `This PaymentIntent's status is ${status}; it cannot be confirmed.`,
    });
  }
}

/**
 * Confirm with a card: approved cards succeed at once; a decline returns the 402 card error
 * the API answers with (the caller decides whether to throw it).
 */
export function payWithCard(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  card: CardOutcome,
  origin: Origin,
): { charge: Stripe.Charge; declined: StripeApiError | null } {
  requireConfirmable(record);
  record.intent.payment_method = sim.newId('pm');
  record.intent.payment_method_types = unique([...record.intent.payment_method_types, 'card']);

  const details = cardDetails(sim, card, record.intent.amount);
  const charge = createCharge(sim, partition, record, details, 'pending');
  if (card.approved) {
    succeed(sim, partition, record, charge, origin);
    return { charge, declined: null };
  }

  const declineCode = card.declineCode ?? 'generic_decline';
  const declined = fail(
    sim,
    partition,
    record,
    charge,
    {
      code: 'card_declined',
      declineCode,
      message: DECLINE_MESSAGES[declineCode] ?? 'The card was declined.',
    },
    origin,
  );
  return { charge, declined };
}

/**
 * Start an ACH debit: the PaymentIntent is `processing` and its charge `pending` until the
 * debit settles, after the configured delay or through a test helper.
 */
export function payWithBankAccount(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  debit: BankDebit,
  origin: Origin,
): Stripe.Charge {
  requireConfirmable(record);
  record.intent.payment_method = sim.newId('pm');
  record.intent.payment_method_types = unique([
    ...record.intent.payment_method_types,
    'us_bank_account',
  ]);
  record.intent.status = 'processing';
  record.bankDebit = debit;

  const charge = createCharge(sim, partition, record, bankDetails(debit), 'pending');
  sim.emit(partition, origin, 'charge.pending', charge);
  sim.emit(partition, origin, 'payment_intent.processing', record.intent);

  const delay = sim.settings.bankSettlementDelayMs;
  if (delay !== null) {
    const intentId = record.intent.id;
    sim.scheduler.schedule(delay, `settle ${intentId}`, () => {
      if (record.intent.status === 'processing') {
        settleBankDebit(sim, partition, record);
      }
    });
  }
  return charge;
}

/** The bank answers: settled, unless the account number is one of the failing test numbers. */
export function settleBankDebit(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  origin: Origin = AUTOMATIC,
): void {
  const failureCode =
    record.bankDebit === null ? null : bankFailureCode(record.bankDebit.accountNumber);
  if (failureCode !== null) {
    failBankDebit(sim, partition, record, failureCode, origin);
    return;
  }

  const charge = processingCharge(partition, record);
  succeed(sim, partition, record, charge, origin);
}

export function failBankDebit(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  code: string,
  origin: Origin = AUTOMATIC,
): void {
  const charge = processingCharge(partition, record);
  fail(
    sim,
    partition,
    record,
    charge,
    {
      code,
      declineCode: null,
      message: BANK_FAILURE_MESSAGES[code] ?? 'The bank debit failed.',
    },
    origin,
  );
}

function processingCharge(partition: Partition, record: PaymentIntentRecord): Stripe.Charge {
  const chargeId = record.intent.latest_charge;
  const charge = typeof chargeId === 'string' ? partition.charges.get(chargeId) : undefined;
  if (record.intent.status !== 'processing' || charge === undefined) {
    throw new Error(`PaymentIntent ${record.intent.id} has no bank debit in flight`);
  }
  return charge;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
