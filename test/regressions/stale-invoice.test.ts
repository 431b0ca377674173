import type { GatewayEvent } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import { aHookedWorld, ORG } from './support';

describe('an old invoice the member can still pay is never left beside a new one', () => {
  // The send's answer was lost, the member paid the invoice (webhook late), and staff edited the
  // draft: a second invoice goes out and the late payment matches nothing, 50.00 recorded nowhere.
  test('a draft whose emailed invoice was paid is not invoiced again after an edit', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.gateway.failNext('sendInvoice', 'unavailable', 1, { afterWork: true });
    await world.sdk.batch.runNow(ORG);
    const firstInvoice = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    const lateEvents: GatewayEvent[] = world.gateway.payByCard(firstInvoice);

    await world.sdk.requests.edit(ORG, draft.id, { amount: '45.00', editedBy: 'staff_1' });
    world.clock.advance(60_000);
    await world.sdk.batch.runNow(ORG);
    const outcomes = [];
    for (const event of lateEvents) {
      outcomes.push(await world.deliver(event));
    }

    const collecting = world.gateway
      .invoices()
      .filter((invoice) => invoice.status === 'open' || invoice.status === 'paid');
    expect(collecting.map((invoice) => invoice.id)).toEqual([firstInvoice]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['applied']);
    expect((await world.request('org_1', draft.id)).amountPaid.minor).toBe(5000);
  });

  // Stripe lets a member pay an invoice marked uncollectible, so retrying a failed request must
  // void the old invoice, or the member holds two payable invoices for one bill.
  test('retrying a request whose invoice was marked uncollectible voids that invoice', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const oldInvoice = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    world.gateway.markUncollectible({ invoiceId: oldInvoice, idempotencyKey: 'dashboard' });
    for (const event of world.gateway.events.filter((e) => e.type === 'invoice.uncollectible')) {
      await world.deliver(event);
    }
    const failed = await world.request('org_1', draft.id);

    await world.sdk.requests.retry(ORG, draft.id, 'staff_1');
    world.clock.advance(60_000);
    await world.sdk.batch.runNow(ORG);

    expect(failed.status).toBe('failed');
    expect((await world.request('org_1', draft.id)).status).toBe('sent');
    expect(world.gateway.invoice(oldInvoice)?.status).toBe('void');
  });

  // Deleting a draft whose emailed invoice the member already paid removes the request, so the
  // late payment matches nothing and the 50.00 is neither recorded nor refunded.
  test('deleting a draft whose emailed invoice was paid refunds the payment', async () => {
    const world = aWorld();
    await world.organization('org_1');
    world.gateway.refundsStartAs = 'succeeded';
    const draft = await world.draft('org_1', '50.00');
    world.gateway.failNext('sendInvoice', 'unavailable', 1, { afterWork: true });
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    const lateEvents: GatewayEvent[] = world.gateway.payByCard(invoiceId);

    await world.sdk.requests.delete(ORG, draft.id, 'staff_1');
    const outcomes = [];
    for (const event of lateEvents) {
      outcomes.push(await world.deliver(event));
    }

    expect(outcomes.map((outcome) => outcome.status)).not.toContain('unknown');
    expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([5000]);
  });

  // The void of an edited draft's old invoice arrives while the batch creates the new one; the
  // event cancels the request, which is dropped silently (nothing sent, held or failed).
  test('the void of an edited draft’s outdated invoice does not cancel the request', async () => {
    const world = await aHookedWorld();
    const draft = await world.draft('50.00');
    world.gateway.failNext('sendInvoice', 'unavailable', 1, { afterWork: true });
    await world.sdk.batch.runNow(ORG);
    await world.sdk.requests.edit(ORG, draft.id, { amount: '45.00', editedBy: 'staff_1' });
    world.clock.advance(60_000);
    world.before('createInvoice', async () => {
      for (const event of world.gateway.events.filter((e) => e.type === 'invoice.voided')) {
        await world.deliver(event);
      }
    });

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    const request = (await world.sdk.requests.get(ORG, draft.id))._unsafeUnwrap();
    expect(request.status).toBe('sent');
    expect(report.sent).toBe(1);
    expect(world.gateway.invoice(request.gateway.invoiceId as string)?.amountDue.minor).toBe(4500);
  });
});
