import { describe, expect, test } from 'vitest';
import { aWorld } from '../support/world';
import { FlakyStorage, ORG, sendAndPay } from './support';

/** A paid 50.00 request on storage that can be made to fail for a moment. */
async function paidRequest() {
  const storage = new FlakyStorage();
  const world = aWorld({ storage });
  await world.organization('org_1');
  const draft = await world.draft('org_1', '50.00');
  await sendAndPay(world, draft.id);
  return { world, storage, requestId: draft.id };
}

describe('an event whose change could not be stored is applied when it is delivered again', () => {
  // A database blip after the event id was stored makes the redelivery a "duplicate", so the
  // refund's success is never recorded and the request stays refund_pending for good.
  test('refund succeeded: redelivered after a storage failure, it marks refunded', async () => {
    const { world, storage, requestId } = await paidRequest();
    await world.sdk.requests.cancel(ORG, requestId, 'staff_1');
    const [refund] = world.gateway.refunds();
    const delivery = world.gateway.signedDelivery(
      world.gateway.settleRefund(refund!.id, 'succeeded'),
    );

    storage.failRequestUpdates(1);
    const first = await world.sdk.webhooks.handle(delivery);
    const again = await world.sdk.webhooks.handle(delivery);

    expect(first.isErr()).toBe(true);
    expect(again._unsafeUnwrap().status).toBe('applied');
    expect((await world.request('org_1', requestId)).status).toBe('refunded');
  });

  // A bank payment landing on a request canceled in flight must be refunded; if the refund step
  // fails, the redelivery (or core's retry after a conflict) is a "duplicate" and the money kept.
  test.each([
    ['an outage', 'unavailable'],
    ['a version conflict', 'conflict'],
  ] as const)(
    'a bank payment landing on a canceled request is refunded after %s on the refund step',
    async (_label, kind) => {
      const storage = new FlakyStorage();
      const world = aWorld({ storage });
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      await world.sdk.batch.runNow(ORG);
      const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
      await world.deliver(world.gateway.payByBank(invoiceId));
      await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');
      const [paidEvent] = world.gateway.settleBankPayment(invoiceId, 'succeeded');
      const delivery = world.gateway.signedDelivery(paidEvent!);

      storage.failRequestUpdates(1, { after: 1, kind });
      await world.sdk.webhooks.handle(delivery);
      await world.sdk.webhooks.handle(delivery);
      world.clock.advance(10 * 60 * 1000);
      await world.sdk.batch.tick();

      expect(world.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([5000]);
      expect((await world.request('org_1', draft.id)).status).toBe('refund_pending');
    },
  );
});
