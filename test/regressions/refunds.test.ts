import { money } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import {
  claimPayment,
  clinicWithClaims,
  ORG,
  refundedMinor,
  remittance,
  requestsOf,
  reversal,
  sendAndPay,
} from './support';

const TWO_MINUTES = 2 * 60 * 1000;

describe('a refund the gateway never answered is made later, for what is still owed', () => {
  // While our refund waited out a 429, a 10.00 Dashboard refund was taken for it, so the other
  // 40.00 is never refunded and the request stays refund_pending for good.
  test('a 10.00 Dashboard refund during a 429 leaves 40.00 that is still refunded', async () => {
    const world = aWorld();
    await world.organization('org_1');
    world.gateway.refundsStartAs = 'succeeded';
    const draft = await world.draft('org_1', '50.00');
    const invoiceId = await sendAndPay(world, draft.id);
    world.gateway.failNext('refundInvoice', 'rate_limited');
    await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    await world.deliver(world.gateway.refundOutside(invoiceId, money(1000)));
    world.clock.advance(TWO_MINUTES);
    await world.sdk.batch.tick();

    const request = await world.request('org_1', draft.id);
    expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([1000, 4000]);
    expect(request.status).toBe('refunded');
    expect(request.amountRefunded.minor).toBe(5000);
  });

  // A remittance lowered a paid bill and Stripe answered the 20.00 refund with a 429; the report
  // says "difference refunded", but no tick ever sends it again.
  test('a correction refund that hit a rate limit is sent by a later tick', async () => {
    const world = await clinicWithClaims(['PCN-1']);
    world.gateway.refundsStartAs = 'succeeded';
    await world.sdk.remittances.ingest(ORG, remittance('T1', [claimPayment('PCN-1', 5000)]));
    const [request] = await requestsOf(world);
    await sendAndPay(world, request!.id);
    world.gateway.failNext('refundInvoice', 'rate_limited');
    await world.sdk.remittances.ingest(
      ORG,
      remittance('T2', [
        reversal('PCN-1', 5000),
        claimPayment('PCN-1', 3000, { payerClaimControlNumber: 'CCN-2' }),
      ]),
    );

    world.clock.advance(TWO_MINUTES);
    await world.sdk.batch.tick();
    world.clock.advance(60 * 60 * 1000);
    await world.sdk.batch.tick();

    expect(refundedMinor(world)).toBe(2000);
    expect((await world.request('org_1', request!.id)).amountRefunded.minor).toBe(2000);
  });
});

describe('cancel of an invoice that is already void', () => {
  // The invoice was voided in the Dashboard and the webhook is late; cancel refuses with "the
  // invoice is void and could not be voided", so staff cannot withdraw a bill nobody can pay.
  test('cancel of a sent request whose invoice was voided elsewhere cancels it', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    world.gateway.voidInvoice({ invoiceId, idempotencyKey: 'dashboard' });

    const canceled = await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    expect(canceled.isOk()).toBe(true);
    expect((await world.request('org_1', draft.id)).status).toBe('canceled');
  });
});

describe('a refund that fails after it succeeded', () => {
  // Stripe moves a succeeded refund to failed when the card account is closed; leaving the request
  // "refunded" (a final state) hides a member who never got the money back.
  test('a refund failing after success shows refund_failed with nothing refunded', async () => {
    const world = aWorld();
    await world.organization('org_1');
    world.gateway.refundsStartAs = 'succeeded';
    const draft = await world.draft('org_1', '50.00');
    await sendAndPay(world, draft.id);
    await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');
    const refunded = await world.request('org_1', draft.id);
    const [refund] = world.gateway.refunds();

    await world.deliver(world.gateway.settleRefund(refund!.id, 'failed'));

    const request = await world.request('org_1', draft.id);
    expect(refunded.status).toBe('refunded');
    expect(request.amountRefunded.minor).toBe(0);
    expect(request.status).toBe('refund_failed');
  });
});

describe('the scheduler resends every unanswered refund, however many are pending', () => {
  // Bank refunds stay pending for days, so a busy clinic can have over a hundred requests in
  // refund_pending; a refund call that got no answer must not wait behind them forever.
  test('an unanswered refund behind 100 pending ones is sent by the next tick', async () => {
    const world = aWorld();
    await world.organization('org_1');
    for (let index = 0; index < 100; index += 1) {
      const draft = await world.draft('org_1', '50.00');
      await sendAndPay(world, draft.id);
      await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');
    }
    const last = await world.draft('org_1', '50.00');
    await sendAndPay(world, last.id);
    world.gateway.failNext('refundInvoice', 'unavailable');
    await world.sdk.requests.cancel(ORG, last.id, 'staff_1');
    const unanswered = await world.request('org_1', last.id);

    world.clock.advance(TWO_MINUTES);
    const tick = (await world.sdk.batch.tick())._unsafeUnwrap();

    expect(unanswered.refunds.map((refund) => refund.status)).toEqual(['requested']);
    expect(tick.refundsResumed).toBe(1);
    expect((await world.request('org_1', last.id)).refunds[0]?.gatewayRefundId).not.toBeNull();
  });
});

describe('money that reaches a canceled request later goes back too', () => {
  // Cancel marks a partly paid invoice uncollectible, but Stripe still lets the member pay it; the
  // 30.00 paid afterwards is ignored because the request is already refunded.
  test('after a cancel of 20.00 paid of 50.00, the 30.00 paid later is refunded', async () => {
    const world = aWorld();
    await world.organization('org_1');
    world.gateway.refundsStartAs = 'succeeded';
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    for (const event of world.gateway.payByCard(invoiceId, money(2000))) {
      await world.deliver(event);
    }
    await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    for (const event of world.gateway.payByCard(invoiceId)) {
      await world.deliver(event);
    }

    expect(world.gateway.invoice(invoiceId)?.amountPaid.minor).toBe(5000);
    expect(refundedMinor(world)).toBe(5000);
    const trail = (await world.sdk.requests.auditTrail(ORG, draft.id))._unsafeUnwrap();
    expect(trail.map((entry) => entry.reason)).toContain(
      '$30.00 paid after the request was canceled; it will be refunded',
    );
  });
});
