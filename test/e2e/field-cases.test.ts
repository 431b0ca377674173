import { asId } from '@memberpay/core';
import Stripe from 'stripe';
import { afterEach, describe, expect, test } from 'vitest';
import { aStripeWorld, type StripeWorld } from '../support/stripe-world';

const ORG = asId<'Organization'>('org_1');
let world: StripeWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

async function invoicesPerRequest(w: StripeWorld): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const invoice of w.stripe.invoices.list({ limit: 100 })) {
    const requestId = invoice.metadata?.memberpay_request_id ?? 'none';
    counts.set(requestId, (counts.get(requestId) ?? 0) + 1);
  }
  return counts;
}

describe('field cases at the level of requests, against the local Stripe', () => {
  test('BR-17a: two batch runs at once give three invoices, one per request', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const drafts = [
      await world.draft('org_1', '50.00'),
      await world.draft('org_1', '30.00'),
      await world.draft('org_1', '25.00'),
    ];

    await Promise.all([world.sdk.batch.runNow(ORG), world.sdk.batch.runNow(ORG)]);

    const counts = await invoicesPerRequest(world);
    expect([...counts.values()]).toEqual([1, 1, 1]);
    for (const draft of drafts) {
      const request = await world.request('org_1', draft.id);
      expect(request.status).toBe('sent');
      expect(counts.get(draft.id)).toBe(1);
    }
    expect(world.sim.calls.count({ method: 'POST', path: '/v1/invoices/:id/send' })).toBe(3);
  });

  test('BR-17b: invoice item answer lost; the re-run continues on the same invoice', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.sim.faults.failNext({
      method: 'POST',
      path: '/v1/invoiceitems',
      fault: 'response_lost',
      times: 2,
    });

    const first = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
    world.clock.advance(60_000);
    const second = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    expect(first.failed.map((item) => item.willRetry)).toEqual([true]);
    expect(second.sent).toBe(1);
    const invoices = await world.stripe.invoices.list({ limit: 10 });
    expect(invoices.data).toHaveLength(1);
    expect(invoices.data[0]?.lines.data).toHaveLength(1);
    expect(invoices.data[0]?.status).toBe('open');
    expect((await world.request('org_1', draft.id)).gateway.invoiceId).toBe(invoices.data[0]?.id);
    expect(world.sim.calls.count({ method: 'POST', path: '/v1/invoices/:id/send' })).toBe(1);
  });

  test('BR-18: due February 14 in Chicago, for a request made at 23:30 on January 15', async () => {
    world = await aStripeWorld({ start: '2024-01-16T05:30:00.000Z', timeZone: 'America/Chicago' });
    await world.organization('org_1', { daysUntilDue: 30 });
    const draft = await world.draft('org_1', '50.00');
    world.clock.set('2024-01-16T08:00:00.000Z');

    await world.sdk.batch.runNow(ORG);

    const request = await world.request('org_1', draft.id);
    const invoice = await world.stripe.invoices.retrieve(request.gateway.invoiceId as string);
    const dueInChicago = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(
      new Date((invoice.due_date as number) * 1000),
    );
    expect(request.dueDate).toBe('2024-02-14');
    expect(dueInChicago).toBe('2024-02-14');
  });

  test('BR-19: raw Buffer or string verifies; parsed, changed or old-signed do not', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    await world.settle();
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    const invoice = await world.stripe.invoices.retrieve(invoiceId);
    const payload = JSON.stringify(
      {
        id: 'evt_TEST001',
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: Math.floor(world.clock.now().getTime() / 1000),
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'invoice.paid',
        data: {
          object: {
            ...invoice,
            status: 'paid',
            amount_paid: 5000,
            amount_remaining: 0,
            description: 'Copago – José',
          },
        },
      },
      null,
      2,
    );
    const sign = (at: Date) =>
      Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: world!.platformSecret,
        timestamp: Math.floor(at.getTime() / 1000),
      });

    const parsed = await world.sdk.webhooks.handle({
      rawBody: JSON.parse(payload),
      signature: sign(world.clock.now()),
    });
    const tampered = await world.sdk.webhooks.handle({
      rawBody: Buffer.from(payload.replace('"livemode": false', '"livemode": true ')),
      signature: sign(world.clock.now()),
    });
    const stale = await world.sdk.webhooks.handle({
      rawBody: payload,
      signature: sign(new Date(world.clock.now().getTime() - 10 * 60 * 1000)),
    });
    const untouched = (await world.request('org_1', draft.id)).status;
    const asBuffer = await world.sdk.webhooks.handle({
      rawBody: Buffer.from(payload),
      signature: sign(world.clock.now()),
    });
    const asString = await world.sdk.webhooks.handle({
      rawBody: payload,
      signature: sign(world.clock.now()),
    });

    expect(parsed._unsafeUnwrapErr().details.kind).toBe('raw_body_required');
    expect(tampered._unsafeUnwrapErr().details.kind).toBe('signature_invalid');
    expect(stale._unsafeUnwrapErr().details.kind).toBe('timestamp_stale');
    expect(untouched).toBe('sent');
    expect(asBuffer._unsafeUnwrap().status).toBe('applied');
    expect(asString._unsafeUnwrap().status).toBe('duplicate');
    expect((await world.request('org_1', draft.id)).status).toBe('paid');
  });

  test('BR-20: every event twice; one transition to paid, one audit entry, all 2xx', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    world.sim.webhooks.configure({ duplicates: true });

    await world.sim.testHelpers.payInvoiceWithCard(
      (await world.request('org_1', draft.id)).gateway.invoiceId as string,
    );
    await world.settle();

    const trail = (await world.sdk.requests.auditTrail(ORG, draft.id))._unsafeUnwrap();
    expect(
      trail.filter((entry) => entry.to === 'paid' && entry.action === 'status_changed'),
    ).toHaveLength(1);
    expect((await world.request('org_1', draft.id)).status).toBe('paid');
    expect(world.answers.every((status) => status === 200)).toBe(true);
  });

  test('BR-21: events delivered in reverse order still end paid', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.sim.webhooks.configure({ outOfOrder: true });

    await world.sdk.batch.runNow(ORG);
    await world.sim.testHelpers.payInvoiceWithCard(
      (await world.request('org_1', draft.id)).gateway.invoiceId as string,
    );
    await world.settle();

    expect((await world.request('org_1', draft.id)).status).toBe('paid');
  });

  test('BR-21c: paid outside Stripe (paid_out_of_band) ends paid', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);

    await world.stripe.invoices.pay(
      (await world.request('org_1', draft.id)).gateway.invoiceId as string,
      {
        paid_out_of_band: true,
      },
    );
    await world.settle();

    expect((await world.request('org_1', draft.id)).status).toBe('paid');
  });

  test('BR-26: 429s on a fifth of calls plus a burst; every request sent once', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const drafts = [];
    for (let index = 0; index < 40; index += 1) {
      drafts.push(await world.draft('org_1', '20.00'));
    }
    for (const path of [
      '/v1/customers',
      '/v1/invoices',
      '/v1/invoiceitems',
      '/v1/invoices/:id/send',
    ]) {
      world.sim.faults.failNext({ method: 'POST', path, fault: 'rate_limit', times: 8 });
    }

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
    world.clock.advance(24 * 60 * 60 * 1000);
    const next = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    expect(report.sent + next.sent).toBe(40);
    const counts = await invoicesPerRequest(world);
    expect(counts.size).toBe(40);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(
      world.sim.calls.count({ method: 'POST', path: '/v1/invoices/:id/send' }),
    ).toBeGreaterThanOrEqual(40);
    const statuses = await Promise.all(
      drafts.map(async (draft) => (await world!.request('org_1', draft.id)).status),
    );
    expect(new Set(statuses)).toEqual(new Set(['sent']));
  });

  describe('BR-27: cancelling a paid request refunds it; a refund can be pending', () => {
    async function paidRequest(w: StripeWorld) {
      await w.organization('org_1');
      const draft = await w.draft('org_1', '50.00');
      await w.sdk.batch.runNow(ORG);
      const invoiceId = (await w.request('org_1', draft.id)).gateway.invoiceId as string;
      await w.sim.testHelpers.payInvoiceWithCard(invoiceId);
      await w.settle();
      return { id: draft.id, invoiceId };
    }

    test('pending, then succeeded: refunded; no void call on the paid invoice', async () => {
      world = await aStripeWorld({
        simulator: { refunds: { startPending: true, settleAfterMs: null } },
      });
      const paid = await paidRequest(world);

      const pending = (await world.sdk.requests.cancel(ORG, paid.id, 'staff_1'))._unsafeUnwrap();
      await world.settle();
      const stillPending = await world.request('org_1', paid.id);
      await world.sim.testHelpers.succeedRefund(pending.refunds[0]?.gatewayRefundId as string);
      await world.settle();

      expect(pending.status).toBe('refund_pending');
      expect(stillPending.status).toBe('refund_pending');
      expect(world.sim.calls.count({ method: 'POST', path: '/v1/invoices/:id/void' })).toBe(0);
      expect((await world.request('org_1', paid.id)).status).toBe('refunded');
    });

    test('pending, then failed: refund failed; staff retry refunds once more', async () => {
      world = await aStripeWorld({
        simulator: { refunds: { startPending: true, settleAfterMs: null } },
      });
      const paid = await paidRequest(world);

      const pending = (await world.sdk.requests.cancel(ORG, paid.id, 'staff_1'))._unsafeUnwrap();
      await world.sim.testHelpers.failRefund(pending.refunds[0]?.gatewayRefundId as string);
      await world.settle();
      const failed = await world.request('org_1', paid.id);
      await world.sdk.requests.cancel(ORG, paid.id, 'staff_1');
      await world.settle();

      expect(failed.status).toBe('refund_failed');
      expect((await world.request('org_1', paid.id)).status).toBe('refund_pending');
      expect((await world.stripe.refunds.list({ limit: 10 })).data).toHaveLength(2);
    });

    test('a double cancel makes one refund; a 10.00 Dashboard refund leaves 40.00', async () => {
      world = await aStripeWorld();
      const paid = await paidRequest(world);
      const payments = await world.stripe.invoicePayments.list({ invoice: paid.invoiceId });
      const intent = payments.data[0]?.payment.payment_intent as string;
      await world.stripe.refunds.create({ payment_intent: intent, amount: 1000 });
      await world.settle();

      await Promise.all([
        world.sdk.requests.cancel(ORG, paid.id, 'staff_1'),
        world.sdk.requests.cancel(ORG, paid.id, 'staff_2'),
      ]);
      await world.settle();

      const refunds = (await world.stripe.refunds.list({ limit: 10 })).data.map(
        (refund) => refund.amount,
      );
      expect(refunds.sort((a, b) => a - b)).toEqual([1000, 4000]);
      const request = await world.request('org_1', paid.id);
      expect(request.status).toBe('refunded');
      expect(request.amountRefunded.minor).toBe(5000);
    });
  });

  test('BR-30: member without email: no finalized invoice, a draft with the reason', async () => {
    world = await aStripeWorld();
    await world.organization('org_1');
    const withEmail = await world.draft('org_1', '50.00', { email: 'member12@example.test' });
    const withoutEmail = await world.draft('org_1', '30.00', { email: null });

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
    await world.settle();

    expect(report.held.map((item) => [item.requestId, item.hold])).toEqual([
      [withoutEmail.id, 'no_delivery_channel'],
    ]);
    expect((await world.request('org_1', withEmail.id)).status).toBe('sent');
    expect((await world.request('org_1', withoutEmail.id)).status).toBe('draft');
    expect(world.sim.calls.count({ method: 'POST', path: '/v1/invoices/:id/send' })).toBe(1);
    expect(world.sim.events.list({ type: 'invoice.sent' })).toHaveLength(1);
    const invoices = await invoicesPerRequest(world);
    expect(invoices.has(withoutEmail.id)).toBe(false);
  });
});
