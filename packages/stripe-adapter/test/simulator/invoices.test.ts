import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  draftInvoice,
  paymentIntentOf,
  rejectionOf,
  type SimulatorContext,
  sentInvoice,
  startSim,
} from './support';

describe('invoices', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  const eventTypes = (invoiceId: string) =>
    context.sim.events
      .list()
      .filter((event) => (event.data.object as { id?: string }).id === invoiceId)
      .map((event) => event.type);

  describe('drafts', () => {
    test('a new draft has no number or hosted page and copies the customer', async () => {
      const { invoice, customer } = await draftInvoice(context);

      expect(invoice.id).toMatch(/^in_/);
      expect(invoice.status).toBe('draft');
      expect(invoice.number).toBeNull();
      expect(invoice.hosted_invoice_url).toBeNull();
      expect(invoice.invoice_pdf).toBeNull();
      expect(invoice.customer_email).toBe(customer.email);
      expect(invoice.auto_advance).toBe(false);
      expect(invoice.collection_method).toBe('send_invoice');
      expect(invoice.due_date).toBe(invoice.created + 30 * 86_400);
      expect(invoice.payments).toBeUndefined();
      expect(invoice.lines.data).toHaveLength(1);
      expect(invoice.lines.data[0]).toMatchObject({
        object: 'line_item',
        amount: 2500,
        description: 'Office visit co-pay',
      });
      expect(invoice.lines.data[0]?.id).toMatch(/^il_/);
      expect(invoice).toMatchObject({ amount_due: 2500, amount_remaining: 2500, total: 2500 });
      expect(invoice.custom_fields).toEqual([{ name: 'Claim', value: 'CLM-0001' }]);
    });

    test('customer_email follows the customer while draft, then is frozen', async () => {
      const { invoice, customer } = await draftInvoice(context);

      await context.stripe.customers.update(customer.id, { email: 'second@example.test' });
      const draft = await context.stripe.invoices.retrieve(invoice.id);
      await context.stripe.invoices.finalizeInvoice(invoice.id);
      await context.stripe.customers.update(customer.id, { email: 'third@example.test' });
      const finalized = await context.stripe.invoices.retrieve(invoice.id);

      expect(draft.customer_email).toBe('second@example.test');
      expect(finalized.customer_email).toBe('second@example.test');
    });

    test('pending items stay out unless pending_invoice_items_behavior is include', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      await context.stripe.invoiceItems.create({
        customer: customer.id,
        amount: 700,
        currency: 'usd',
      });

      const excluded = await context.stripe.invoices.create({
        customer: customer.id,
        collection_method: 'send_invoice',
        days_until_due: 7,
      });
      const included = await context.stripe.invoices.create({
        customer: customer.id,
        collection_method: 'send_invoice',
        days_until_due: 7,
        pending_invoice_items_behavior: 'include',
      });

      expect(excluded.amount_due).toBe(0);
      expect(included.amount_due).toBe(700);
    });

    test('items cannot be added to a finalized invoice (invoice_not_editable)', async () => {
      const { invoice, customer } = await sentInvoice(context);

      const error = await rejectionOf(
        context.stripe.invoiceItems.create({
          invoice: invoice.id,
          customer: customer.id,
          amount: 100,
        }),
      );

      expect(error.code).toBe('invoice_not_editable');
    });

    test('lists its lines at /v1/invoices/:id/lines', async () => {
      const { invoice } = await draftInvoice(context);

      const lines = await context.stripe.invoices.listLineItems(invoice.id);

      expect(lines.data.map((line) => line.amount)).toEqual([2500]);
    });
  });

  describe('due dates of send_invoice', () => {
    test.each([
      ['neither days_until_due nor due_date', {}, 'days_until_due'],
      ['both', { days_until_due: 3, due_date: 4_102_444_800 }, 'due_date'],
      ['a due_date in the past', { due_date: 1_000_000_000 }, 'due_date'],
    ])('are refused with %s (param %s)', async (_case, dates, param) => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });

      const error = await rejectionOf(
        context.stripe.invoices.create({
          customer: customer.id,
          collection_method: 'send_invoice',
          ...dates,
        }),
      );

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe(param);
    });

    test('days_until_due is refused with charge_automatically', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });

      const error = await rejectionOf(
        context.stripe.invoices.create({ customer: customer.id, days_until_due: 3 }),
      );

      expect(error.param).toBe('days_until_due');
    });
  });

  describe('finalize and send', () => {
    test('send finalizes a draft: number, hosted page, PDF, default payment', async () => {
      const { invoice, customer } = await draftInvoice(context);

      const sent = await context.stripe.invoices.sendInvoice(invoice.id);
      const payments = await context.stripe.invoicePayments.list({ invoice: invoice.id });
      const intent = await context.stripe.paymentIntents.retrieve(
        payments.data[0]?.payment.payment_intent as string,
      );

      expect(sent.status).toBe('open');
      expect(sent.number).toBe(`${customer.invoice_prefix}-0001`);
      expect(sent.hosted_invoice_url).toMatch(new RegExp(`^${context.sim.url}/i/`));
      expect(sent.invoice_pdf).toBe(`${sent.hosted_invoice_url}/pdf`);
      expect(sent.status_transitions.finalized_at).toBe(sent.effective_at);
      expect(sent.confirmation_secret).toEqual({
        client_secret: intent.client_secret,
        type: 'payment_intent',
      });
      expect(payments.data).toHaveLength(1);
      expect(payments.data[0]).toMatchObject({
        is_default: true,
        status: 'open',
        amount_requested: 2500,
        amount_paid: null,
      });
      expect(intent).toMatchObject({
        amount: 2500,
        status: 'requires_payment_method',
        on_behalf_of: sent.on_behalf_of,
        payment_method_types: ['card', 'us_bank_account'],
        transfer_data: { destination: sent.on_behalf_of },
      });
      expect(eventTypes(invoice.id)).toEqual([
        'invoice.created',
        'invoice.finalized',
        'invoice.sent',
      ]);
    });

    test('numbers follow the customer sequence', async () => {
      const first = await sentInvoice(context);
      const second = await context.stripe.invoices.create({
        customer: first.customer.id,
        collection_method: 'send_invoice',
        days_until_due: 30,
      });
      await context.stripe.invoiceItems.create({
        invoice: second.id,
        customer: first.customer.id,
        amount: 900,
      });

      const finalized = await context.stripe.invoices.finalizeInvoice(second.id);

      expect(finalized.number).toBe(`${first.customer.invoice_prefix}-0002`);
    });

    test('send is refused for a customer with no email (simulator policy)', async () => {
      const { invoice } = await draftInvoice(context, { email: null });

      const error = await rejectionOf(context.stripe.invoices.sendInvoice(invoice.id));
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('customer');
      expect(after.status).toBe('draft');
      expect(after.number).toBeNull();
    });

    test('send is refused for charge_automatically invoices', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const invoice = await context.stripe.invoices.create({ customer: customer.id });

      const error = await rejectionOf(context.stripe.invoices.sendInvoice(invoice.id));

      expect(error.statusCode).toBe(400);
    });

    test('finalizing twice is refused', async () => {
      const { invoice } = await sentInvoice(context);

      const error = await rejectionOf(context.stripe.invoices.finalizeInvoice(invoice.id));

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.message).toContain('open');
    });

    test('an account without transfers fails finalization; the draft stays', async () => {
      const account = await context.stripe.accounts.create({
        type: 'express',
        capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
      });
      const { invoice } = await draftInvoice(context, { account });

      const error = await rejectionOf(context.stripe.invoices.finalizeInvoice(invoice.id));
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(error.code).toBe('insufficient_capabilities_for_transfer');
      expect(after.status).toBe('draft');
      expect(after.last_finalization_error?.code).toBe('insufficient_capabilities_for_transfer');
      expect(eventTypes(invoice.id)).toContain('invoice.finalization_failed');
    });
  });

  describe('zero and tiny amounts', () => {
    test('a $0 invoice is paid on finalization, and pay then says it is already paid', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const invoice = await context.stripe.invoices.create({
        customer: customer.id,
        collection_method: 'send_invoice',
        days_until_due: 30,
        auto_advance: false,
      });

      const finalized = await context.stripe.invoices.finalizeInvoice(invoice.id);
      const error = await rejectionOf(context.stripe.invoices.pay(invoice.id));

      expect(finalized.status).toBe('paid');
      expect(finalized.status_transitions.paid_at).not.toBeNull();
      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('Invoice is already paid');
      expect(eventTypes(invoice.id)).toEqual([
        'invoice.created',
        'invoice.finalized',
        'invoice.paid',
      ]);
    });

    test('below the minimum charge it moves to the balance (simulator policy)', async () => {
      const { invoice, customer } = await draftInvoice(context, { amount: 30 });

      const finalized = await context.stripe.invoices.finalizeInvoice(invoice.id);
      const after = await context.stripe.customers.retrieve(customer.id);

      expect(finalized.status).toBe('paid');
      expect(finalized.ending_balance).toBe(30);
      expect((after as Stripe.Customer).balance).toBe(30);
    });
  });

  describe('the state machine', () => {
    test('void: open → void, the default PaymentIntent canceled', async () => {
      const { invoice } = await sentInvoice(context);

      const voided = await context.stripe.invoices.voidInvoice(invoice.id);
      const intent = await context.stripe.paymentIntents.retrieve(
        await paymentIntentOf(context.stripe, invoice.id),
      );

      expect(voided.status).toBe('void');
      expect(voided.status_transitions.voided_at).not.toBeNull();
      expect(intent.status).toBe('canceled');
      expect(intent.cancellation_reason).toBe('void_invoice');
      expect(eventTypes(invoice.id)).toContain('invoice.voided');
    });

    test.each([
      ['void', 'paid'],
      ['void', 'void'],
      ['void', 'draft'],
      ['markUncollectible', 'paid'],
      ['markUncollectible', 'draft'],
      ['markUncollectible', 'uncollectible'],
      ['pay', 'void'],
      ['del', 'open'],
    ] as const)('%s is refused from %s (400)', async (action, from) => {
      const { invoice } = await draftInvoice(context);
      if (from !== 'draft') {
        await context.stripe.invoices.finalizeInvoice(invoice.id);
      }
      if (from === 'paid') {
        await context.stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
      }
      if (from === 'void') {
        await context.stripe.invoices.voidInvoice(invoice.id);
      }
      if (from === 'uncollectible') {
        await context.stripe.invoices.markUncollectible(invoice.id);
      }

      const calls = {
        void: () => context.stripe.invoices.voidInvoice(invoice.id),
        markUncollectible: () => context.stripe.invoices.markUncollectible(invoice.id),
        pay: () => context.stripe.invoices.pay(invoice.id, { paid_out_of_band: true }),
        del: () => context.stripe.invoices.del(invoice.id),
      };
      const error = await rejectionOf(calls[action]());
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(after.status).toBe(from);
    });

    test('uncollectible can still be paid out of band, or voided', async () => {
      const first = await sentInvoice(context);
      const second = await sentInvoice(context);
      await context.stripe.invoices.markUncollectible(first.invoice.id);
      await context.stripe.invoices.markUncollectible(second.invoice.id);

      const paid = await context.stripe.invoices.pay(first.invoice.id, { paid_out_of_band: true });
      const voided = await context.stripe.invoices.voidInvoice(second.invoice.id);

      expect(paid.status).toBe('paid');
      expect(paid.amount_paid).toBe(2500);
      expect(paid.amount_paid_off_stripe).toBe(2500);
      expect(paid.amount_remaining).toBe(0);
      expect(paid.status_transitions.marked_uncollectible_at).not.toBeNull();
      expect(voided.status).toBe('void');
    });

    test('a draft can be deleted; afterwards it is gone (404)', async () => {
      const { invoice } = await draftInvoice(context);

      const deleted = await context.stripe.invoices.del(invoice.id);
      const error = await rejectionOf(context.stripe.invoices.retrieve(invoice.id));

      expect(deleted).toMatchObject({ id: invoice.id, object: 'invoice', deleted: true });
      expect(error.statusCode).toBe(404);
      expect(eventTypes(invoice.id)).toContain('invoice.deleted');
    });

    test('a finalized invoice takes new metadata but not a new description', async () => {
      const { invoice } = await sentInvoice(context);

      const error = await rejectionOf(
        context.stripe.invoices.update(invoice.id, { description: 'changed' }),
      );
      const updated = await context.stripe.invoices.update(invoice.id, { metadata: { note: 'x' } });
      const event = context.sim.events.list({ type: 'invoice.updated' }).at(-1);

      expect(error.code).toBe('invoice_not_editable');
      expect(updated.metadata).toMatchObject({ note: 'x', request: 'req_1' });
      expect(event?.data.previous_attributes).toEqual({
        metadata: { organization: 'org_1', request: 'req_1', claim: 'clm_1' },
      });
    });

    test('on_behalf_of is locked once finalized (invoice_on_behalf_of_not_editable)', async () => {
      const { invoice, account } = await sentInvoice(context);

      const error = await rejectionOf(
        context.stripe.invoices.update(invoice.id, { on_behalf_of: account.id }),
      );

      expect(error.code).toBe('invoice_on_behalf_of_not_editable');
    });
  });

  describe('pay through the API', () => {
    test('with a test card: paid, one succeeded charge', async () => {
      const { invoice } = await sentInvoice(context);

      const paid = await context.stripe.invoices.pay(invoice.id, {
        payment_method: 'pm_card_visa',
      });
      const charges = await context.stripe.charges.list();

      expect(paid.status).toBe('paid');
      expect(paid.amount_paid).toBe(2500);
      expect(charges.data).toHaveLength(1);
      expect(charges.data[0]).toMatchObject({ status: 'succeeded', paid: true, amount: 2500 });
    });

    test('with a declined card: 402 card_declined; open, one attempt counted', async () => {
      const { invoice } = await sentInvoice(context);

      const error = await rejectionOf(
        context.stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_chargeDeclined' }),
      );
      const after = await context.stripe.invoices.retrieve(invoice.id);

      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error.code).toBe('card_declined');
      expect(error.decline_code).toBe('generic_decline');
      expect(after.status).toBe('open');
      expect(after.attempt_count).toBe(1);
      expect(after.attempted).toBe(true);
      expect(eventTypes(invoice.id)).toContain('invoice.payment_failed');
    });

    test('without a payment method it is refused', async () => {
      const { invoice } = await sentInvoice(context);

      const error = await rejectionOf(context.stripe.invoices.pay(invoice.id));

      expect(error.param).toBe('payment_method');
    });
  });

  describe('reading', () => {
    test('payments appear only when expanded, down to the PaymentIntent', async () => {
      const { invoice } = await sentInvoice(context);
      await context.sim.testHelpers.payInvoiceWithCard(invoice.id);

      const plain = await context.stripe.invoices.retrieve(invoice.id);
      const expanded = await context.stripe.invoices.retrieve(invoice.id, {
        expand: ['payments.data.payment.payment_intent'],
      });
      const intent = expanded.payments?.data[0]?.payment.payment_intent as Stripe.PaymentIntent;

      expect(plain.payments).toBeUndefined();
      expect(expanded.payments?.data).toHaveLength(1);
      expect(intent.object).toBe('payment_intent');
      expect(intent.status).toBe('succeeded');
      expect(typeof intent.latest_charge).toBe('string');
    });

    test('invoice payments list reaches the charge in four levels', async () => {
      const { invoice } = await sentInvoice(context);
      await context.sim.testHelpers.payInvoiceWithCard(invoice.id);

      const payments = await context.stripe.invoicePayments.list({
        invoice: invoice.id,
        status: 'paid',
        expand: ['data.payment.payment_intent.latest_charge'],
      });
      const intent = payments.data[0]?.payment.payment_intent as Stripe.PaymentIntent;
      const charge = intent.latest_charge as Stripe.Charge;

      expect(charge.object).toBe('charge');
      expect(charge.amount).toBe(2500);
    });

    test('lists filter by customer and status', async () => {
      const first = await sentInvoice(context);
      await draftInvoice(context);

      const open = await context.stripe.invoices.list({ status: 'open' });
      const mine = await context.stripe.invoices.list({ customer: first.customer.id });

      expect(open.data.map((invoice) => invoice.id)).toEqual([first.invoice.id]);
      expect(mine.data.map((invoice) => invoice.id)).toEqual([first.invoice.id]);
    });

    test('search finds invoices by metadata and status', async () => {
      const { invoice } = await sentInvoice(context);
      await draftInvoice(context);

      const byRequest = await context.stripe.invoices.search({
        query: "metadata['request']:'req_1' AND status:'open'",
      });
      const none = await context.stripe.invoices.search({ query: "metadata['request']:'other'" });

      expect(byRequest.object).toBe('search_result');
      expect(byRequest.data.map((found) => found.id)).toEqual([invoice.id]);
      expect(none.data).toEqual([]);
    });

    test('search lags behind writes when searchLagMs is set', async () => {
      const lagging = await startSim({ searchLagMs: 60_000 });
      await draftInvoice(lagging);

      const before = await lagging.stripe.invoices.search({ query: "metadata['request']:'req_1'" });
      await lagging.sim.clock.advance(60_000);
      const after = await lagging.stripe.invoices.search({ query: "metadata['request']:'req_1'" });

      expect(before.data).toHaveLength(0);
      expect(after.data).toHaveLength(1);
      await lagging.sim.close();
    });

    test('a malformed search query is refused', async () => {
      const error = await rejectionOf(context.stripe.invoices.search({ query: 'status=open' }));

      expect(error.param).toBe('query');
    });
  });
});
