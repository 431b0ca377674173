import type Stripe from 'stripe';
import { cancelIntent } from '../engine/invoice-settlement';
import { minimumChargeAmount } from '../engine/money';
import { createPaymentIntent, payWithBankAccount, payWithCard } from '../engine/payments';
import { cardOutcome, TEST_BANK_ACCOUNTS, TEST_PAYMENT_METHODS } from '../engine/test-instruments';
import { invalidRequest, parameterMissing, resourceMissing, StripeApiError } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import type { Origin, Simulation } from '../state/simulation';
import type { Partition, PaymentIntentRecord } from '../state/store';
import { findAccount } from './accounts';
import { findCustomer } from './customers';

export function findPaymentIntent(partition: Partition, id: string, param = 'id') {
  const record = partition.paymentIntents.get(id);
  if (record === undefined) {
    throw resourceMissing('payment_intent', id, param);
  }
  return record;
}

export function findCharge(partition: Partition, id: string, param = 'id'): Stripe.Charge {
  const charge = partition.charges.get(id);
  if (charge === undefined) {
    throw resourceMissing('charge', id, param);
  }
  return charge;
}

/** Confirm with one of the test payment methods; a decline is thrown as the 402 it is. */
function confirmWith(
  sim: Simulation,
  partition: Partition,
  record: PaymentIntentRecord,
  paymentMethod: string,
  origin: Origin,
): void {
  const instrument = TEST_PAYMENT_METHODS[paymentMethod];
  if (instrument === undefined) {
    throw resourceMissing('payment_method', paymentMethod, 'payment_method');
  }

  if (instrument.bank !== undefined) {
    payWithBankAccount(
      sim,
      partition,
      record,
      { accountNumber: instrument.bank, routingNumber: TEST_BANK_ACCOUNTS.routingNumber },
      origin,
    );
    return;
  }

  const card = cardOutcome(instrument.card ?? '');
  if (card === null) {
    throw invalidRequest('That is not a valid card number.', { code: 'incorrect_number' });
  }
  const { declined } = payWithCard(sim, partition, record, card, origin);
  if (declined !== null) {
    throw declined;
  }
}

function readTransferData(sim: Simulation, params: ParamReader) {
  const transfer = params.object('transfer_data');
  if (transfer === undefined) {
    return null;
  }
  const destination = transfer.requireString('destination');
  findAccount(sim, destination, transfer.name('destination'));
  return { destination, amount: transfer.integer('amount', { min: 0 }) ?? null };
}

function createIntent({ sim, ctx, params }: ApiCall): Stripe.PaymentIntent {
  const amount = params.integer('amount', { min: 1 });
  if (amount === undefined) {
    throw parameterMissing('amount');
  }
  const currency = params.requireString('currency').toLowerCase();
  const minimum = minimumChargeAmount(currency);
  if (amount < minimum) {
    throw invalidRequest(
      `The amount is below the minimum charge of ${minimum} (${currency} minor units).`,
      {
        code: 'amount_too_small',
        param: 'amount',
      },
    );
  }
  const customerId = params.string('customer');
  if (customerId !== undefined) {
    findCustomer(ctx.partition, customerId, 'customer');
  }
  const onBehalfOf = params.string('on_behalf_of');
  if (onBehalfOf !== undefined) {
    findAccount(sim, onBehalfOf, 'on_behalf_of');
  }

  const record = createPaymentIntent(
    sim,
    ctx.partition,
    {
      amount,
      currency,
      customer: customerId ?? null,
      description: params.string('description') ?? null,
      metadata: params.metadata(),
      paymentMethodTypes: params.strings('allowed_payment_method_types') ?? ['card'],
      onBehalfOf: onBehalfOf ?? null,
      transferData: readTransferData(sim, params),
      applicationFeeAmount: params.integer('application_fee_amount', { min: 0 }) ?? null,
      receiptEmail: params.string('receipt_email') ?? null,
      invoiceId: null,
    },
    ctx,
  );

  const paymentMethod = params.string('payment_method');
  if (paymentMethod !== undefined) {
    record.intent.status = 'requires_confirmation';
  }
  if (params.boolean('confirm') === true) {
    if (paymentMethod === undefined) {
      throw invalidRequest('Confirming needs a payment_method.', { param: 'payment_method' });
    }
    confirmWith(sim, ctx.partition, record, paymentMethod, ctx);
  }
  return record.intent;
}

/** The default payment of an invoice follows the invoice and cannot be changed directly. */
function requireStandalone(record: PaymentIntentRecord, action: string): void {
  if (record.invoiceId !== null) {
    throw invalidRequest(
      `This PaymentIntent belongs to invoice ${record.invoiceId} and cannot be ${action} directly.`,
    );
  }
}

function updateIntent({ ctx, params, path }: ApiCall): Stripe.PaymentIntent {
  const record = findPaymentIntent(ctx.partition, path.id ?? '');
  const intent = record.intent;
  const changesMoney = params.has('amount') || params.has('currency');
  if (changesMoney) {
    requireStandalone(record, 'changed');
  }
  if (
    changesMoney &&
    intent.status !== 'requires_payment_method' &&
    intent.status !== 'requires_confirmation'
  ) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `The amount of a ${intent.status} PaymentIntent cannot change.`,
    });
  }

  intent.amount = params.integer('amount', { min: 1 }) ?? intent.amount;
  intent.currency = params.string('currency')?.toLowerCase() ?? intent.currency;
  if (params.has('description')) {
    intent.description = params.string('description') ?? null;
  }
  intent.metadata = params.metadata(intent.metadata);
  return intent;
}

function confirmIntent({ sim, ctx, params, path }: ApiCall): Stripe.PaymentIntent {
  const record = findPaymentIntent(ctx.partition, path.id ?? '');
  const paymentMethod =
    params.string('payment_method') ??
    (typeof record.intent.payment_method === 'string' ? record.intent.payment_method : undefined);
  if (paymentMethod === undefined) {
    throw invalidRequest('Confirming needs a payment_method.', { param: 'payment_method' });
  }
  confirmWith(sim, ctx.partition, record, paymentMethod, ctx);
  return record.intent;
}

function cancelIntentCall({ sim, ctx, params, path }: ApiCall): Stripe.PaymentIntent {
  const record = findPaymentIntent(ctx.partition, path.id ?? '');
  const invoice =
    record.invoiceId === null ? undefined : ctx.partition.invoices.get(record.invoiceId);
  if (invoice !== undefined && invoice.defaultPaymentIntentId === record.intent.id) {
    requireStandalone(record, 'canceled');
  }
  const status = record.intent.status;
  if (status === 'succeeded' || status === 'canceled' || status === 'processing') {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `A ${status} PaymentIntent cannot be canceled.`,
    });
  }

  const reason = params.oneOf('cancellation_reason', [
    'abandoned',
    'duplicate',
    'fraudulent',
    'requested_by_customer',
  ] as const);
  cancelIntent(sim, ctx.partition, record, reason ?? 'requested_by_customer', ctx);
  return record.intent;
}

export const paymentRoutes: Route[] = [
  route(
    'POST',
    '/v1/payment_intents',
    acceptedParams<Stripe.PaymentIntentCreateParams>({
      allowed_payment_method_types: true,
      amount: true,
      amount_details: true,
      application_fee_amount: true,
      automatic_payment_methods: true,
      capture_method: true,
      confirm: true,
      confirmation_method: true,
      confirmation_token: true,
      currency: true,
      customer: true,
      customer_account: true,
      description: true,
      error_on_requires_action: true,
      excluded_payment_method_types: true,
      expand: true,
      hooks: true,
      mandate: true,
      mandate_data: true,
      metadata: true,
      off_session: true,
      on_behalf_of: true,
      payment_details: true,
      payment_method: true,
      payment_method_configuration: true,
      payment_method_data: true,
      payment_method_options: true,
      radar_options: true,
      receipt_email: true,
      return_url: true,
      setup_future_usage: true,
      shipping: true,
      statement_descriptor: true,
      statement_descriptor_suffix: true,
      transfer_data: true,
      transfer_group: true,
      use_stripe_sdk: true,
    }),
    createIntent,
  ),
  route(
    'GET',
    '/v1/payment_intents/:id',
    acceptedParams<Stripe.PaymentIntentRetrieveParams>({ client_secret: true, expand: true }),
    ({ ctx, path }) => findPaymentIntent(ctx.partition, path.id ?? '').intent,
  ),
  route(
    'POST',
    '/v1/payment_intents/:id',
    acceptedParams<Stripe.PaymentIntentUpdateParams>({
      allowed_payment_method_types: true,
      amount: true,
      amount_details: true,
      application_fee_amount: true,
      capture_method: true,
      currency: true,
      customer: true,
      customer_account: true,
      description: true,
      excluded_payment_method_types: true,
      expand: true,
      hooks: true,
      metadata: true,
      payment_details: true,
      payment_method: true,
      payment_method_configuration: true,
      payment_method_data: true,
      payment_method_options: true,
      receipt_email: true,
      setup_future_usage: true,
      shipping: true,
      statement_descriptor: true,
      statement_descriptor_suffix: true,
      transfer_data: true,
      transfer_group: true,
    }),
    updateIntent,
  ),
  route(
    'POST',
    '/v1/payment_intents/:id/confirm',
    acceptedParams<Stripe.PaymentIntentConfirmParams>({
      allowed_payment_method_types: true,
      amount_details: true,
      amount_to_confirm: true,
      capture_method: true,
      confirmation_token: true,
      error_on_requires_action: true,
      excluded_payment_method_types: true,
      expand: true,
      hooks: true,
      mandate: true,
      mandate_data: true,
      off_session: true,
      payment_details: true,
      payment_method: true,
      payment_method_data: true,
      payment_method_options: true,
      radar_options: true,
      receipt_email: true,
      return_url: true,
      setup_future_usage: true,
      shipping: true,
      use_stripe_sdk: true,
    }),
    confirmIntent,
  ),
  route(
    'POST',
    '/v1/payment_intents/:id/cancel',
    acceptedParams<Stripe.PaymentIntentCancelParams>({ cancellation_reason: true, expand: true }),
    cancelIntentCall,
  ),
  route(
    'GET',
    '/v1/payment_intents',
    acceptedParams<Stripe.PaymentIntentListParams>({
      created: true,
      customer: true,
      customer_account: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ ctx, params }) => {
      const customer = params.string('customer');
      const created = timestampFilter(params, 'created');
      const intents = newestFirst(ctx.partition.paymentIntents.values())
        .map((record) => record.intent)
        .filter(
          (intent) =>
            (customer === undefined || intent.customer === customer) && created(intent.created),
        );
      return paginate(intents, params, '/v1/payment_intents');
    },
  ),
  route(
    'GET',
    '/v1/charges/:id',
    acceptedParams<Stripe.ChargeRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findCharge(ctx.partition, path.id ?? ''),
  ),
  route(
    'POST',
    '/v1/charges/:id',
    acceptedParams<Stripe.ChargeUpdateParams>({
      customer: true,
      description: true,
      expand: true,
      fraud_details: true,
      metadata: true,
      receipt_email: true,
      shipping: true,
      transfer_group: true,
    }),
    ({ ctx, params, path }) => {
      const charge = findCharge(ctx.partition, path.id ?? '');
      if (params.has('description')) {
        charge.description = params.string('description') ?? null;
      }
      charge.metadata = params.metadata(charge.metadata);
      return charge;
    },
  ),
  route(
    'GET',
    '/v1/charges',
    acceptedParams<Stripe.ChargeListParams>({
      created: true,
      customer: true,
      ending_before: true,
      expand: true,
      limit: true,
      payment_intent: true,
      starting_after: true,
      transfer_group: true,
    }),
    ({ ctx, params }) => {
      const customer = params.string('customer');
      const intent = params.string('payment_intent');
      const created = timestampFilter(params, 'created');
      const charges = newestFirst(ctx.partition.charges.values()).filter(
        (charge) =>
          (customer === undefined || charge.customer === customer) &&
          (intent === undefined || charge.payment_intent === intent) &&
          created(charge.created),
      );
      return paginate(charges, params, '/v1/charges');
    },
  ),
  route(
    'GET',
    '/v1/invoice_payments/:id',
    acceptedParams<Stripe.InvoicePaymentRetrieveParams>({ expand: true }),
    ({ ctx, path }) => {
      const payment = ctx.partition.invoicePayments.get(path.id ?? '');
      if (payment === undefined) {
        throw resourceMissing('invoice_payment', path.id ?? '');
      }
      return payment;
    },
  ),
  route(
    'GET',
    '/v1/invoice_payments',
    acceptedParams<Stripe.InvoicePaymentListParams>({
      created: true,
      ending_before: true,
      expand: true,
      invoice: true,
      limit: true,
      payment: true,
      starting_after: true,
      status: true,
    }),
    ({ ctx, params }) => {
      const invoice = params.string('invoice');
      const status = params.string('status');
      const payment = params.object('payment');
      const type = payment?.string('type');
      const intent = payment?.string('payment_intent');
      const created = timestampFilter(params, 'created');
      const payments = newestFirst(ctx.partition.invoicePayments.values()).filter(
        (candidate) =>
          (invoice === undefined || candidate.invoice === invoice) &&
          (status === undefined || candidate.status === status) &&
          (type === undefined || candidate.payment.type === type) &&
          (intent === undefined || candidate.payment.payment_intent === intent) &&
          created(candidate.created),
      );
      return paginate(payments, params, '/v1/invoice_payments');
    },
  ),
  route(
    'GET',
    '/v1/transfers/:id',
    acceptedParams<Stripe.TransferRetrieveParams>({ expand: true }),
    ({ ctx, path }) => {
      const transfer = ctx.partition.transfers.get(path.id ?? '');
      if (transfer === undefined) {
        throw resourceMissing('transfer', path.id ?? '');
      }
      return transfer;
    },
  ),
  route(
    'GET',
    '/v1/transfers',
    acceptedParams<Stripe.TransferListParams>({
      created: true,
      destination: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
      transfer_group: true,
    }),
    ({ ctx, params }) => {
      const destination = params.string('destination');
      const created = timestampFilter(params, 'created');
      const transfers = newestFirst(ctx.partition.transfers.values()).filter(
        (transfer) =>
          (destination === undefined || transfer.destination === destination) &&
          created(transfer.created),
      );
      return paginate(transfers, params, '/v1/transfers');
    },
  ),
  route(
    'GET',
    '/v1/transfers/:id/reversals',
    acceptedParams<Stripe.TransferListReversalsParams>({
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ ctx, params, path }) => {
      const transferId = path.id ?? '';
      if (!ctx.partition.transfers.has(transferId)) {
        throw resourceMissing('transfer', transferId);
      }
      const reversals = newestFirst(ctx.partition.transferReversals.values()).filter(
        (reversal) => reversal.transfer === transferId,
      );
      return paginate(reversals, params, `/v1/transfers/${transferId}/reversals`);
    },
  ),
];
