/**
 * What moves an invoice through Stripe's state machine: finalize, send, pay, void, mark
 * uncollectible and attach payments.
 */
import type Stripe from 'stripe';
import {
  applyIntentToInvoice,
  cancelIntent,
  defaultIntent,
  hasAttachedPayments,
  hasProcessingPayment,
  markPaid,
} from '../engine/invoice-settlement';
import { minimumChargeAmount } from '../engine/money';
import { createPaymentIntent, payWithBankAccount, payWithCard } from '../engine/payments';
import { cardOutcome, TEST_BANK_ACCOUNTS, TEST_PAYMENT_METHODS } from '../engine/test-instruments';
import {
  invalidRequest,
  invalidTransition,
  resourceMissing,
  type StripeApiError,
} from '../http/errors';
import { acceptedParams } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { randomToken } from '../state/ids';
import type { Origin, Simulation } from '../state/simulation';
import type { BankDebit, InvoiceRecord, Partition } from '../state/store';
import { customerSnapshot, findCustomer } from './customers';
import { findInvoice, merchantName } from './invoices';

/**
 * The connected accounts of a destination charge must be able to take it: checked when the
 * invoice is finalized, since that is when its PaymentIntent is made.
 */
function routingProblem(sim: Simulation, record: InvoiceRecord): StripeApiError | null {
  const destination = record.transferData?.destination;
  if (destination !== undefined) {
    const account = sim.platform.accounts.get(destination);
    if (account?.capabilities?.transfers !== 'active') {
      return invalidRequest(
        `Account ${destination} cannot receive transfers until its transfers capability is active.`,
        { code: 'insufficient_capabilities_for_transfer', param: 'transfer_data[destination]' },
      );
    }
  }

  const onBehalfOf = record.invoice.on_behalf_of;
  if (typeof onBehalfOf === 'string') {
    const account = sim.platform.accounts.get(onBehalfOf);
    if (account?.capabilities?.card_payments !== 'active') {
      return invalidRequest(
        `Account ${onBehalfOf} cannot take payments until its card_payments capability is active.`,
        { param: 'on_behalf_of' },
      );
    }
  }
  return null;
}

/** draft → open: number, hosted page and default payment; $0 (or below minimum) → paid. */
export function finalizeInvoice(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  origin: Origin,
): void {
  const invoice = record.invoice;
  if (invoice.status !== 'draft') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; only draft invoices can be finalized.`,
    );
  }

  const problem = routingProblem(sim, record);
  if (problem !== null) {
    invoice.last_finalization_error = {
      type: 'invalid_request_error',
      message: problem.body.message,
      ...(problem.body.code === undefined ? {} : { code: problem.body.code }),
      ...(problem.body.param === undefined ? {} : { param: problem.body.param }),
    };
    sim.emit(partition, origin, 'invoice.finalization_failed', invoice);
    throw problem;
  }

  const customer = findCustomer(partition, String(invoice.customer), 'customer');
  openInvoice(sim, partition, record, customer);

  if (invoice.amount_due === 0) {
    sim.emit(partition, origin, 'invoice.finalized', invoice);
    markPaid(sim, partition, record, origin);
    return;
  }

  if (invoice.amount_due < minimumChargeAmount(invoice.currency)) {
    // Stripe cannot charge less than the minimum: it carries the amount to the customer's
    // balance (owed on the next invoice) and settles this one.
    customer.balance += invoice.amount_due;
    invoice.ending_balance = customer.balance;
    sim.emit(partition, origin, 'invoice.finalized', invoice);
    markPaid(sim, partition, record, origin);
    return;
  }

  createDefaultPayment(sim, partition, record, origin);
  sim.emit(partition, origin, 'invoice.finalized', invoice);
}

/** Number, hosted page and PDF; the customer's details are copied one last time. */
function openInvoice(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  customer: Stripe.Customer,
): void {
  const invoice = record.invoice;
  const now = sim.now();

  if (invoice.number === null) {
    const sequence = customer.next_invoice_sequence ?? 1;
    invoice.number = `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`;
    customer.next_invoice_sequence = sequence + 1;
  }

  record.hostedToken = `test_${randomToken(40)}`;
  invoice.hosted_invoice_url = `${sim.settings.baseUrl}/i/${record.hostedToken}`;
  invoice.invoice_pdf = `${sim.settings.baseUrl}/i/${record.hostedToken}/pdf`;
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.last_finalization_error = null;
  invoice.account_name = merchantName(sim, partition, invoice.on_behalf_of);

  Object.assign(invoice, customerSnapshot(customer));
  record.followsCustomer = false;
}

/** The PaymentIntent that pays whatever the invoice still owes, and its invoice payment. */
function createDefaultPayment(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  origin: Origin,
): void {
  const invoice = record.invoice;
  const intent = createPaymentIntent(
    sim,
    partition,
    {
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer: typeof invoice.customer === 'string' ? invoice.customer : null,
      description: invoice.number === null ? null : `Invoice ${invoice.number}`,
      metadata: {},
      paymentMethodTypes: invoice.payment_settings.payment_method_types ?? ['card'],
      onBehalfOf: typeof invoice.on_behalf_of === 'string' ? invoice.on_behalf_of : null,
      transferData: record.transferData,
      applicationFeeAmount: record.applicationFeeAmount,
      receiptEmail: null,
      invoiceId: invoice.id,
    },
    origin,
  );

  record.defaultPaymentIntentId = intent.intent.id;
  invoice.confirmation_secret = {
    client_secret: intent.intent.client_secret ?? '',
    type: 'payment_intent',
  };
  partition.invoicePayments.set(...newInvoicePayment(sim, invoice, intent.intent, true));
}

function newInvoicePayment(
  sim: Simulation,
  invoice: Stripe.Invoice,
  intent: Stripe.PaymentIntent,
  isDefault: boolean,
): [string, Stripe.InvoicePayment] {
  const payment: Stripe.InvoicePayment = {
    id: sim.newId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: intent.amount,
    created: sim.now(),
    currency: intent.currency,
    invoice: invoice.id,
    is_default: isDefault,
    livemode: false,
    payment: { payment_intent: intent.id, type: 'payment_intent' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
  return [payment.id, payment];
}

/** Draft invoices are finalized first, as Stripe does before sending or paying. */
function finalizedForAction(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  origin: Origin,
): void {
  if (record.invoice.status === 'draft') {
    finalizeInvoice(sim, partition, record, origin);
  }
}

function sendInvoice({ sim, ctx, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const invoice = record.invoice;
  if (invoice.collection_method !== 'send_invoice') {
    throw invalidRequest(
      "Only invoices with collection_method 'send_invoice' can be sent manually.",
      { param: 'collection_method' },
    );
  }
  if (invoice.status !== 'draft' && invoice.status !== 'open') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; only draft or open invoices can be sent.`,
    );
  }
  // Simulator policy: neither the email nor the hosted page can reach a customer without an
  // email address, so sending is refused before anything changes.
  if (invoice.customer_email === null) {
    throw invalidRequest('The customer has no email address, so this invoice cannot be sent.', {
      param: 'customer',
    });
  }

  finalizedForAction(sim, ctx.partition, record, ctx);
  sim.emit(ctx.partition, ctx, 'invoice.sent', invoice);
  return invoice;
}

function requirePayable(invoice: Stripe.Invoice): void {
  if (invoice.status === 'paid') {
    throw invalidTransition('Invoice is already paid');
  }
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; only open or uncollectible invoices can be paid.`,
    );
  }
}

/** How the member pays: a card number or a US bank account. */
export type PaymentInstrument = { card: string } | { bank: BankDebit };

/**
 * Pay what the invoice still owes through its default PaymentIntent; the hosted page, the
 * test helpers and `pay` with a test payment method all come here. A decline comes back as the
 * 402 error (already recorded, with its events).
 */
export function payInvoice(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  instrument: PaymentInstrument,
  origin: Origin,
): StripeApiError | null {
  finalizedForAction(sim, partition, record, origin);
  requirePayable(record.invoice);
  if (hasProcessingPayment(partition, record.invoice.id)) {
    throw invalidRequest('A bank payment for this invoice is still processing.', {
      code: 'payment_intent_unexpected_state',
    });
  }

  const intent = defaultIntent(partition, record);
  if (intent === undefined) {
    throw invalidRequest('This invoice has no payment to confirm.');
  }

  if ('bank' in instrument) {
    if (!allowsMethod(record.invoice, 'us_bank_account')) {
      throw invalidRequest('This invoice does not accept US bank account payments.', {
        param: 'payment_method',
      });
    }
    payWithBankAccount(sim, partition, intent, instrument.bank, origin);
    return null;
  }

  const card = cardOutcome(instrument.card);
  if (card === null) {
    throw invalidRequest('That is not a valid card number.', {
      code: 'incorrect_number',
      param: 'number',
    });
  }
  if (!allowsMethod(record.invoice, 'card')) {
    throw invalidRequest('This invoice does not accept card payments.', {
      param: 'payment_method',
    });
  }
  return payWithCard(sim, partition, intent, card, origin).declined;
}

function allowsMethod(invoice: Stripe.Invoice, method: string): boolean {
  const types = invoice.payment_settings.payment_method_types;
  return types === null || types.includes(method);
}

function payOutOfBand(
  sim: Simulation,
  partition: Partition,
  record: InvoiceRecord,
  origin: Origin,
): void {
  const invoice = record.invoice;
  if (hasProcessingPayment(partition, invoice.id)) {
    throw invalidRequest('A bank payment for this invoice is still processing.', {
      code: 'payment_intent_unexpected_state',
    });
  }

  const before = {
    amount_paid: invoice.amount_paid,
    amount_remaining: invoice.amount_remaining,
    status: invoice.status,
  };
  const remaining = invoice.amount_remaining;
  invoice.amount_paid += remaining;
  invoice.amount_paid_off_stripe = (invoice.amount_paid_off_stripe ?? 0) + remaining;
  markPaid(sim, partition, record, origin);
  sim.emit(partition, origin, 'invoice.updated', invoice, before);
}

/** The test payment method `pay` charges: the one given, else the invoice's or customer's. */
function chosenInstrument(
  partition: Partition,
  invoice: Stripe.Invoice,
  params: ApiCall['params'],
): PaymentInstrument {
  const customer =
    typeof invoice.customer === 'string' ? partition.customers.get(invoice.customer) : undefined;
  const method =
    params.string('payment_method') ??
    invoice.default_payment_method ??
    customer?.invoice_settings.default_payment_method;
  if (typeof method !== 'string') {
    throw invalidRequest(
      'This invoice has no payment method to charge: pass payment_method or paid_out_of_band.',
      { param: 'payment_method' },
    );
  }

  const instrument = TEST_PAYMENT_METHODS[method];
  if (instrument === undefined) {
    throw resourceMissing('payment_method', method, 'payment_method');
  }
  return instrument.bank === undefined
    ? { card: instrument.card ?? '' }
    : {
        bank: { accountNumber: instrument.bank, routingNumber: TEST_BANK_ACCOUNTS.routingNumber },
      };
}

function payInvoiceCall({ sim, ctx, params, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const wasDraft = record.invoice.status === 'draft';
  if (!wasDraft) {
    requirePayable(record.invoice);
  }
  const outOfBand = params.boolean('paid_out_of_band') === true;
  const instrument = outOfBand ? null : chosenInstrument(ctx.partition, record.invoice, params);

  finalizedForAction(sim, ctx.partition, record, ctx);
  if (wasDraft && record.invoice.status === 'paid') {
    return record.invoice;
  }
  requirePayable(record.invoice);

  if (instrument === null) {
    payOutOfBand(sim, ctx.partition, record, ctx);
    return record.invoice;
  }
  const declined = payInvoice(sim, ctx.partition, record, instrument, ctx);
  if (declined !== null) {
    throw declined;
  }
  return record.invoice;
}

function requireNothingInFlight(partition: Partition, record: InvoiceRecord, action: string) {
  if (
    hasAttachedPayments(partition, record.invoice.id) ||
    hasProcessingPayment(partition, record.invoice.id)
  ) {
    throw invalidTransition(
      `This invoice has payments attached or processing, so it cannot be ${action}.`,
    );
  }
}

function voidInvoice({ sim, ctx, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const invoice = record.invoice;
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; only open or uncollectible invoices can be voided.`,
    );
  }
  requireNothingInFlight(ctx.partition, record, 'voided');

  invoice.status = 'void';
  invoice.status_transitions.voided_at = sim.now();
  const intent = defaultIntent(ctx.partition, record);
  if (intent !== undefined && intent.intent.status !== 'canceled') {
    cancelIntent(sim, ctx.partition, intent, 'void_invoice', ctx);
  }
  sim.emit(ctx.partition, ctx, 'invoice.voided', invoice);
  return invoice;
}

function markUncollectible({ sim, ctx, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const invoice = record.invoice;
  if (invoice.status !== 'open') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; only open invoices can be marked uncollectible.`,
    );
  }
  requireNothingInFlight(ctx.partition, record, 'marked uncollectible');

  invoice.status = 'uncollectible';
  invoice.status_transitions.marked_uncollectible_at = sim.now();
  sim.emit(ctx.partition, ctx, 'invoice.marked_uncollectible', invoice);
  return invoice;
}

function attachPayment({ sim, ctx, params, path }: ApiCall): Stripe.Invoice {
  const record = findInvoice(ctx.partition, path.id ?? '');
  const invoice = record.invoice;
  if (params.has('payment_record')) {
    throw invalidRequest('The simulator attaches PaymentIntents only.', {
      param: 'payment_record',
    });
  }
  const intentId = params.requireString('payment_intent');
  const intent = ctx.partition.paymentIntents.get(intentId);
  if (intent === undefined) {
    throw resourceMissing('payment_intent', intentId, 'payment_intent');
  }
  if (invoice.status !== 'open') {
    throw invalidTransition(
      `This invoice is ${invoice.status}; payments can only be attached to open invoices.`,
    );
  }

  const { intent: pi } = intent;
  if (intent.invoiceId !== null) {
    throw invalidRequest('This PaymentIntent is already attached to an invoice.', {
      param: 'payment_intent',
    });
  }
  if (pi.customer !== invoice.customer || pi.currency !== invoice.currency) {
    throw invalidRequest(
      'The PaymentIntent must have the same customer and currency as the invoice.',
      { param: 'payment_intent' },
    );
  }
  if (pi.amount > invoice.amount_remaining) {
    throw invalidRequest(
      `The PaymentIntent's amount ${pi.amount} exceeds the ${invoice.amount_remaining} remaining.`,
      { param: 'payment_intent', code: 'amount_too_large' },
    );
  }
  if (pi.status === 'canceled') {
    throw invalidRequest('A canceled PaymentIntent cannot be attached.', {
      param: 'payment_intent',
    });
  }

  intent.invoiceId = invoice.id;
  ctx.partition.invoicePayments.set(...newInvoicePayment(sim, invoice, pi, false));
  if (pi.status === 'succeeded') {
    applyIntentToInvoice(sim, ctx.partition, intent, ctx);
  }
  return invoice;
}

export const invoiceLifecycleRoutes: Route[] = [
  route(
    'POST',
    '/v1/invoices/:id/finalize',
    acceptedParams<Stripe.InvoiceFinalizeInvoiceParams>({ auto_advance: true, expand: true }),
    ({ sim, ctx, params, path }) => {
      const record = findInvoice(ctx.partition, path.id ?? '');
      finalizeInvoice(sim, ctx.partition, record, ctx);
      record.invoice.auto_advance = params.boolean('auto_advance') ?? record.invoice.auto_advance;
      return record.invoice;
    },
  ),
  route(
    'POST',
    '/v1/invoices/:id/send',
    acceptedParams<Stripe.InvoiceSendInvoiceParams>({ expand: true }),
    sendInvoice,
  ),
  route(
    'POST',
    '/v1/invoices/:id/pay',
    acceptedParams<Stripe.InvoicePayParams>({
      expand: true,
      forgive: true,
      mandate: true,
      off_session: true,
      paid_out_of_band: true,
      payment_method: true,
      source: true,
    }),
    payInvoiceCall,
  ),
  route(
    'POST',
    '/v1/invoices/:id/void',
    acceptedParams<Stripe.InvoiceVoidInvoiceParams>({ expand: true }),
    voidInvoice,
  ),
  route(
    'POST',
    '/v1/invoices/:id/mark_uncollectible',
    acceptedParams<Stripe.InvoiceMarkUncollectibleParams>({ expand: true }),
    markUncollectible,
  ),
  route(
    'POST',
    '/v1/invoices/:id/attach_payment',
    acceptedParams<Stripe.InvoiceAttachPaymentParams>({
      expand: true,
      payment_intent: true,
      payment_record: true,
    }),
    attachPayment,
  ),
];
