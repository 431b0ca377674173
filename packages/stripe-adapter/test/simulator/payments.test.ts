import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TEST_BANK_ACCOUNTS, TEST_CARDS } from '../../src/simulator/index';
import {
  draftInvoice,
  paymentIntentOf,
  rejectionOf,
  type SimulatorContext,
  sentInvoice,
  startSim,
} from './support';

/** Submit the hosted page's form as a browser would. */
async function submitHostedForm(invoice: Stripe.Invoice, fields: Record<string, string>) {
  return fetch(`${invoice.hosted_invoice_url}/pay`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('payments', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  const typesSince = (count: number) =>
    context.sim.events
      .list()
      .slice(count)
      .map((event) => event.type);

  describe('the hosted invoice page', () => {
    test('shows the organization, amount, description, due date and a pay form', async () => {
      const { invoice } = await sentInvoice(context);

      const response = await fetch(invoice.hosted_invoice_url ?? '');
      const html = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(html).toContain('Riverside Family Clinic');
      expect(html).toContain('$25.00');
      expect(html).toContain('Co-pay for your visit');
      const due = new Date((invoice.due_date ?? 0) * 1000).toLocaleDateString('en-US', {
        timeZone: 'UTC',
        year: 'numeric',
        month: 'long',
        day: 'numeric',
      });
      expect(html).toContain(`Due ${due}`);
      expect(html).toContain('Pay this Invoice');
      expect(html).toContain('CLM-0001');
    });

    test('names the connected account for an invoice made on it (direct charge)', async () => {
      const { account } = await draftInvoice(context);
      const options = { stripeAccount: account.id };
      const customer = await context.stripe.customers.create({ email: 'a@example.test' }, options);
      const invoice = await context.stripe.invoices.create(
        { customer: customer.id, collection_method: 'send_invoice', days_until_due: 7 },
        options,
      );
      await context.stripe.invoiceItems.create(
        { invoice: invoice.id, customer: customer.id, amount: 1500 },
        options,
      );

      const sent = await context.stripe.invoices.sendInvoice(invoice.id, {}, options);
      const html = await (await fetch(sent.hosted_invoice_url ?? '')).text();

      expect(sent.account_name).toBe('Riverside Family Clinic');
      expect(html).toContain('Riverside Family Clinic');
      expect(html).toContain('$15.00');
    });

    test('escapes what members and staff typed', async () => {
      const { invoice } = await draftInvoice(context);
      await context.stripe.invoices.update(invoice.id, {
        description: '<script>alert(1)</script>',
      });
      const sent = await context.stripe.invoices.sendInvoice(invoice.id);

      const html = await (await fetch(sent.hosted_invoice_url ?? '')).text();

      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&lt;script&gt;');
    });

    test('a card pays at once: paid, charge, transfer, and the events', async () => {
      const { invoice, account } = await sentInvoice(context);
      const before = context.sim.events.list().length;

      const submitted = await submitHostedForm(invoice, {
        method: 'card',
        card_number: TEST_CARDS.visa,
      });
      const paid = await context.stripe.invoices.retrieve(invoice.id);
      const intent = await context.stripe.paymentIntents.retrieve(
        await paymentIntentOf(context.stripe, invoice.id),
        { expand: ['latest_charge'] },
      );
      const charge = intent.latest_charge as Stripe.Charge;
      const transfer = await context.stripe.transfers.retrieve(String(charge.transfer));
      const page = await (await fetch(invoice.hosted_invoice_url ?? '')).text();

      expect(submitted.status).toBe(303);
      expect(paid).toMatchObject({ status: 'paid', amount_paid: 2500, amount_remaining: 0 });
      expect(paid.status_transitions.paid_at).not.toBeNull();
      expect(intent.status).toBe('succeeded');
      expect(charge).toMatchObject({
        status: 'succeeded',
        paid: true,
        amount: 2500,
        on_behalf_of: account.id,
        transfer_data: { amount: null, destination: account.id },
      });
      expect(charge.payment_method_details?.card?.last4).toBe('4242');
      expect(transfer).toMatchObject({
        amount: 2500,
        destination: account.id,
        source_transaction: charge.id,
      });
      expect(typesSince(before)).toEqual([
        'charge.succeeded',
        'transfer.created',
        'payment_intent.succeeded',
        'invoice_payment.paid',
        'invoice.paid',
        'invoice.payment_succeeded',
        'invoice.updated',
      ]);
      expect(page).toContain('Paid on');
      expect(page).not.toContain('Pay this Invoice');
    });

    test('a declined card leaves the invoice open and says why', async () => {
      const { invoice } = await sentInvoice(context);

      const submitted = await submitHostedForm(invoice, {
        method: 'card',
        card_number: TEST_CARDS.insufficientFunds,
      });
      const landing = await fetch(
        new URL(submitted.headers.get('location') ?? '', context.sim.url),
      );
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(await landing.text()).toContain('insufficient funds');
      expect(after.status).toBe('open');
      expect(context.sim.events.list({ type: 'charge.failed' })).toHaveLength(1);
      expect(context.sim.events.list({ type: 'invoice.payment_failed' })).toHaveLength(1);
    });

    test('a bank account leaves the payment processing until it settles', async () => {
      const { invoice } = await sentInvoice(context);
      const before = context.sim.events.list().length;

      await submitHostedForm(invoice, {
        method: 'us_bank_account',
        account_number: TEST_BANK_ACCOUNTS.succeeds,
        routing_number: TEST_BANK_ACCOUNTS.routingNumber,
      });
      const processing = await context.stripe.invoices.retrieve(invoice.id);
      const intentId = await paymentIntentOf(context.stripe, invoice.id);
      const intent = await context.stripe.paymentIntents.retrieve(intentId);
      const page = await (await fetch(invoice.hosted_invoice_url ?? '')).text();

      expect(processing.status).toBe('open');
      expect(intent.status).toBe('processing');
      expect(typesSince(before)).toEqual(['charge.pending', 'payment_intent.processing']);
      expect(page).toContain('processing');

      const settled = await context.sim.testHelpers.settleBankPayment(intentId);

      expect(settled.invoice?.status).toBe('paid');
      expect(settled.paymentIntent.status).toBe('succeeded');
      expect(settled.charge?.payment_method_details?.type).toBe('us_bank_account');
    });

    test('serves the invoice PDF', async () => {
      const { invoice } = await sentInvoice(context);

      const response = await fetch(invoice.invoice_pdf ?? '');
      const bytes = Buffer.from(await response.arrayBuffer());

      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
      expect(bytes.toString('latin1')).toContain('Amount due: $25.00');
    });
  });

  describe('bank payments', () => {
    test('settle by themselves after the configured delay', async () => {
      const quick = await startSim({ bankSettlementDelayMs: 20 });
      const { invoice } = await sentInvoice(quick);

      await quick.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);
      const paid = await quick.sim.events.waitFor('invoice.paid', { timeoutMs: 2000 });

      expect((paid.data.object as Stripe.Invoice).id).toBe(invoice.id);
      await quick.sim.close();
    });

    test('settle when a hand-driven clock passes the delay', async () => {
      let now = new Date('2026-03-02T15:00:00Z');
      const manual = await startSim({
        bankSettlementDelayMs: 4 * 86_400_000,
        clock: { now: () => now },
      });
      const { invoice } = await sentInvoice(manual);
      await manual.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);

      now = new Date(now.getTime() + 86_400_000);
      await manual.sim.clock.advance(0);
      const oneDayLater = await manual.stripe.invoices.retrieve(invoice.id);
      await manual.sim.clock.advance(3 * 86_400_000);
      const fourDaysLater = await manual.stripe.invoices.retrieve(invoice.id);

      expect(oneDayLater.status).toBe('open');
      expect(fourDaysLater.status).toBe('paid');
      await manual.sim.close();
    });

    test('fail for the insufficient-funds account; the invoice stays open', async () => {
      const { invoice } = await sentInvoice(context);
      const { paymentIntent } = await context.sim.testHelpers.payInvoiceWithBankAccount(
        invoice.id,
        {
          accountNumber: TEST_BANK_ACCOUNTS.insufficientFunds,
        },
      );
      const before = context.sim.events.list().length;

      const failed = await context.sim.testHelpers.settleBankPayment(paymentIntent.id);

      expect(failed.invoice?.status).toBe('open');
      expect(failed.invoice?.attempt_count).toBe(1);
      expect(failed.paymentIntent.status).toBe('requires_payment_method');
      expect(failed.paymentIntent.last_payment_error?.code).toBe('insufficient_funds');
      expect(failed.charge).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds' });
      expect(typesSince(before)).toEqual([
        'charge.failed',
        'payment_intent.payment_failed',
        'invoice.payment_failed',
      ]);
    });

    test('can be failed by hand, after which the invoice can be paid again', async () => {
      const { invoice } = await sentInvoice(context);
      const { paymentIntent } = await context.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);

      await context.sim.testHelpers.failBankPayment(paymentIntent.id, { code: 'account_closed' });
      const retried = await context.sim.testHelpers.payInvoiceWithCard(invoice.id);

      expect(retried.invoice?.status).toBe('paid');
      expect(retried.invoice?.attempt_count).toBe(2);
    });

    test('block a second payment, a void and an uncollectible mark while processing', async () => {
      const { invoice } = await sentInvoice(context);
      await context.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);

      const card = await context.sim.testHelpers.payInvoiceWithCard(invoice.id).catch(String);
      const voiding = await rejectionOf(context.stripe.invoices.voidInvoice(invoice.id));
      const marking = await rejectionOf(context.stripe.invoices.markUncollectible(invoice.id));

      expect(card).toMatch(/processing/);
      expect(voiding.statusCode).toBe(400);
      expect(marking.statusCode).toBe(400);
    });

    test('are refused by invoices that accept only cards', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const invoice = await context.stripe.invoices.create({
        customer: customer.id,
        collection_method: 'send_invoice',
        days_until_due: 5,
        payment_settings: { payment_method_types: ['card'] },
      });
      await context.stripe.invoiceItems.create({
        invoice: invoice.id,
        customer: customer.id,
        amount: 1000,
      });

      await expect(context.sim.testHelpers.payInvoiceWithBankAccount(invoice.id)).rejects.toThrow(
        /bank account/,
      );
    });
  });

  describe('partial payments', () => {
    test('attach_payment pays part, the default follows, the rest pays it all', async () => {
      const { invoice, customer } = await sentInvoice(context, { amount: 10_000 });
      const part = await context.stripe.paymentIntents.create({
        amount: 4000,
        currency: 'usd',
        customer: customer.id,
        payment_method: 'pm_card_visa',
        confirm: true,
      });

      const partly = await context.stripe.invoices.attachPayment(invoice.id, {
        payment_intent: part.id,
      });
      const defaultIntent = await context.stripe.paymentIntents.retrieve(
        await paymentIntentOf(context.stripe, invoice.id),
      );
      const paidPayments = await context.stripe.invoicePayments.list({
        invoice: invoice.id,
        status: 'paid',
      });

      expect(part.status).toBe('succeeded');
      expect(partly).toMatchObject({ status: 'open', amount_paid: 4000, amount_remaining: 6000 });
      expect(defaultIntent.amount).toBe(6000);
      expect(paidPayments.data).toHaveLength(1);
      expect(paidPayments.data[0]).toMatchObject({ is_default: false, amount_paid: 4000 });
      expect(context.sim.events.list({ type: 'invoice_payment.paid' })).toHaveLength(1);

      const voiding = await rejectionOf(context.stripe.invoices.voidInvoice(invoice.id));
      const rest = await context.sim.testHelpers.payInvoiceWithCard(invoice.id);

      expect(voiding.statusCode).toBe(400);
      expect(rest.charge?.amount).toBe(6000);
      expect(rest.invoice).toMatchObject({
        status: 'paid',
        amount_paid: 10_000,
        amount_remaining: 0,
      });
    });

    test('a PaymentIntent attached before it succeeds counts when it succeeds', async () => {
      const { invoice, customer } = await sentInvoice(context, { amount: 10_000 });
      const part = await context.stripe.paymentIntents.create({
        amount: 2500,
        currency: 'usd',
        customer: customer.id,
      });

      await context.stripe.invoices.attachPayment(invoice.id, { payment_intent: part.id });
      const open = await context.stripe.invoicePayments.list({
        invoice: invoice.id,
        payment: { type: 'payment_intent', payment_intent: part.id },
      });
      await context.stripe.paymentIntents.confirm(part.id, { payment_method: 'pm_card_visa' });
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(open.data[0]?.status).toBe('open');
      expect(after.amount_paid).toBe(2500);
    });

    test.each([
      ['more than what remains', { amount: 20_000 }, 'amount_too_large'],
      ['another currency', { amount: 1000, currency: 'eur' }, undefined],
    ])('refuses a PaymentIntent for %s', async (_case, overrides, code) => {
      const { invoice, customer } = await sentInvoice(context, { amount: 10_000 });
      const part = await context.stripe.paymentIntents.create({
        currency: 'usd',
        customer: customer.id,
        ...overrides,
      });

      const error = await rejectionOf(
        context.stripe.invoices.attachPayment(invoice.id, { payment_intent: part.id }),
      );

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('payment_intent');
      expect(error.code).toBe(code);
    });
  });

  describe('PaymentIntents', () => {
    test('refuse an amount below the currency minimum (amount_too_small)', async () => {
      const error = await rejectionOf(
        context.stripe.paymentIntents.create({ amount: 49, currency: 'usd' }),
      );

      expect(error.code).toBe('amount_too_small');
    });

    test('the default payment of an invoice cannot be canceled directly', async () => {
      const { invoice } = await sentInvoice(context);

      const error = await rejectionOf(
        context.stripe.paymentIntents.cancel(await paymentIntentOf(context.stripe, invoice.id)),
      );

      expect(error.statusCode).toBe(400);
    });

    test('a standalone one can be canceled', async () => {
      const intent = await context.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });

      const canceled = await context.stripe.paymentIntents.cancel(intent.id);

      expect(canceled.status).toBe('canceled');
      expect(canceled.cancellation_reason).toBe('requested_by_customer');
    });

    test('a declined confirmation is a 402 with the charge and the intent', async () => {
      const intent = await context.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });

      const error = await rejectionOf(
        context.stripe.paymentIntents.confirm(intent.id, {
          payment_method: 'pm_card_chargeDeclined',
        }),
      );
      const after = await context.stripe.paymentIntents.retrieve(intent.id);

      expect(error.statusCode).toBe(402);
      expect(error.raw).toMatchObject({ payment_intent: { id: intent.id } });
      expect(after.status).toBe('requires_payment_method');
      expect(after.last_payment_error?.decline_code).toBe('generic_decline');
    });
  });
});
