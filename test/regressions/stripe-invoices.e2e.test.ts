import { afterEach, describe, expect, test } from 'vitest';
import { aStripeWorld, type StripeWorld } from '../support/stripe-world';
import { ORG } from './support';

let world: StripeWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('against the local Stripe: a paid invoice is never replaced by a second one', () => {
  // Through the real adapter: a lost send answer, a payment while webhooks lag, an edit, and the
  // next run sends a second invoice while the first payment is recorded nowhere.
  test('an edited draft whose invoice the member paid gets no second invoice', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.sim.faults.failNext({
      method: 'POST',
      path: /^\/v1\/invoices\/[^/]+\/send$/,
      fault: 'response_lost',
      times: 2,
    });
    await world.sdk.batch.runNow(ORG);
    await world.settle();
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;

    world.sim.webhooks.pause();
    await world.sim.testHelpers.payInvoiceWithCard(invoiceId);
    await world.sdk.requests.edit(ORG, draft.id, { amount: '45.00', editedBy: 'staff_1' });
    world.clock.advance(60_000);
    await world.sdk.batch.runNow(ORG);
    world.sim.webhooks.resume();
    await world.settle();

    const invoices = await world.stripe.invoices.list({ limit: 10 });
    const collecting = invoices.data.filter(
      (invoice) => invoice.status === 'open' || invoice.status === 'paid',
    );
    expect(collecting.map((invoice) => invoice.id)).toEqual([invoiceId]);
    expect((await world.request('org_1', draft.id)).amountPaid.minor).toBe(5000);
  });
});

describe('against the local Stripe: an invoice found again after a lost answer', () => {
  // The adapter creates an invoice in two calls; when the first answer is lost, the next run
  // sends the line-less draft, Stripe marks it paid at 0.00 and the 50.00 is never billed.
  test('a draft found without its line is completed or replaced, never sent for 0.00', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.sim.faults.failNext({
      method: 'POST',
      path: '/v1/invoices',
      fault: 'response_lost',
      times: 2,
    });

    await world.sdk.batch.runNow(ORG);
    world.clock.advance(60_000);
    await world.sdk.batch.runNow(ORG);
    await world.settle();

    const request = await world.request('org_1', draft.id);
    const invoice = await world.stripe.invoices.retrieve(request.gateway.invoiceId as string);
    expect(invoice.amount_due).toBe(5000);
    expect(request.status).toBe('sent');
  });
});
