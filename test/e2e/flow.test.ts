import { asId } from '@memberpay/core';
import { afterEach, describe, expect, test } from 'vitest';
import { aStripeWorld, type StripeWorld } from '../support/stripe-world';

const ORG = asId<'Organization'>('org_1');
let world: StripeWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

describe('the co-pay flow against the local Stripe, through the real adapter', () => {
  test('onboarding, batch, card payment, bank payment, void and refund', async () => {
    world = await aStripeWorld();
    const org = await world.organization('org_1');
    const card = await world.draft('org_1', '25.00');
    const bank = await world.draft('org_1', '150.00');
    const unpaid = await world.draft('org_1', '44.00');
    const refunded = await world.draft('org_1', '40.00');

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
    await world.settle();
    const sentCalls = world.sim.calls.byRoute();
    const invoiceOf = async (id: string) =>
      (await world!.request('org_1', id)).gateway.invoiceId as string;
    await world.sim.testHelpers.payInvoiceWithCard(await invoiceOf(card.id));
    const inFlight = await world.sim.testHelpers.payInvoiceWithBankAccount(
      await invoiceOf(bank.id),
    );
    await world.sim.testHelpers.payInvoiceWithCard(await invoiceOf(refunded.id));
    await world.settle();
    const processing = await world.request('org_1', bank.id);
    await world.sim.testHelpers.settleBankPayment(inFlight.paymentIntent.id);
    await world.settle();
    await world.sdk.requests.cancel(ORG, unpaid.id, 'staff_1');
    await world.sdk.requests.cancel(ORG, refunded.id, 'staff_1');
    await world.settle();

    expect(org.payoutAccount.state).toBe('active');
    expect(report).toMatchObject({ sent: 4, failedCount: 0, heldCount: 0 });
    expect(sentCalls['POST /v1/customers']).toBe(4);
    expect(sentCalls['POST /v1/invoices']).toBe(4);
    expect(sentCalls['POST /v1/invoiceitems']).toBe(4);
    expect(sentCalls['POST /v1/invoices/:id/send']).toBe(4);
    expect(processing.status).toBe('processing');
    expect((await world.request('org_1', card.id)).status).toBe('paid');
    expect((await world.request('org_1', bank.id)).status).toBe('paid');
    expect((await world.request('org_1', unpaid.id)).status).toBe('canceled');
    const refund = await world.request('org_1', refunded.id);
    expect(refund.status).toBe('refunded');
    expect(refund.amountRefunded.minor).toBe(4000);
    const stripeInvoice = await world.stripe.invoices.retrieve(await invoiceOf(unpaid.id));
    expect(stripeInvoice.status).toBe('void');
    expect(world.answers.every((status) => status === 200)).toBe(true);
  });

  test('the invoice at Stripe carries what the member must see and nothing clinical', async () => {
    world = await aStripeWorld();
    const org = await world.organization('org_1', { daysUntilDue: 30 });
    const draft = await world.draft('org_1', '25.00');

    await world.sdk.batch.runNow(ORG);

    const sent = await world.request('org_1', draft.id);
    const invoice = await world.stripe.invoices.retrieve(sent.gateway.invoiceId as string);
    expect(invoice).toMatchObject({
      status: 'open',
      collection_method: 'send_invoice',
      amount_due: 2500,
      currency: 'usd',
      on_behalf_of: org.payoutAccount.accountId,
      hosted_invoice_url: sent.gateway.hostedInvoiceUrl,
      number: sent.gateway.invoiceNumber,
    });
    expect(invoice.metadata).toMatchObject({ memberpay_request_id: draft.id });
    expect(JSON.stringify(invoice)).not.toMatch(/99213|diagnos/i);
    const page = await fetch(sent.gateway.hostedInvoiceUrl as string).then((r) => r.text());
    expect(page).toContain('Clinic org_1');
    expect(page).toContain('$25.00');
    expect(page).toContain('Pay this Invoice');
  });
});
