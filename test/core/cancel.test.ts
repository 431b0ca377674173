import { money } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

const ORG = org('org_1');

async function world() {
  const w = aWorld();
  await w.organization('org_1');
  return w;
}

async function sent(w: Awaited<ReturnType<typeof world>>, amount = '50.00') {
  const draft = await w.draft('org_1', amount);
  await w.sdk.batch.runNow(ORG);
  const request = await w.request('org_1', draft.id);
  return { id: draft.id, invoiceId: request.gateway.invoiceId as string };
}

async function paid(w: Awaited<ReturnType<typeof world>>, amount = '50.00') {
  const request = await sent(w, amount);
  for (const event of w.gateway.payByCard(request.invoiceId)) {
    await w.deliver(event);
  }
  return request;
}

describe('cancel does what the money requires (one test per row of the README table)', () => {
  test('draft: canceled, no gateway call', async () => {
    const w = await world();
    const draft = await w.draft('org_1', '50.00');

    const canceled = await w.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    expect(canceled._unsafeUnwrap().status).toBe('canceled');
    expect(w.gateway.calls).toMatchObject({ createPayoutAccount: 1, getPayoutAccount: 1 });
    expect(Object.keys(w.gateway.calls).sort()).toEqual([
      'createOnboardingLink',
      'createPayoutAccount',
      'getPayoutAccount',
    ]);
  });

  test('sent, nothing paid: the invoice is voided, then canceled', async () => {
    const w = await world();
    const request = await sent(w);

    const canceled = await w.sdk.requests.cancel(ORG, request.id, 'staff_1');

    expect(canceled._unsafeUnwrap().status).toBe('canceled');
    expect(w.gateway.invoice(request.invoiceId)?.status).toBe('void');
    expect(w.gateway.refunds()).toEqual([]);
  });

  test('failed (uncollectible): the invoice is voided, then canceled', async () => {
    const w = await world();
    const request = await sent(w);
    await w.deliver(
      (await w.gateway.markUncollectible({ invoiceId: request.invoiceId, idempotencyKey: 'k' }))
        .map(() => w.gateway.events.at(-1)!)
        ._unsafeUnwrap(),
    );

    const canceled = await w.sdk.requests.cancel(ORG, request.id, 'staff_1');

    expect(canceled._unsafeUnwrap().status).toBe('canceled');
    expect(w.gateway.invoice(request.invoiceId)?.status).toBe('void');
  });

  test('paid: one refund, refund pending until confirmed, then refunded (BR-27)', async () => {
    const w = await world();
    const request = await paid(w);

    const pending = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();
    const refund = w.gateway.refunds()[0]!;
    await w.deliver(w.gateway.settleRefund(refund.id, 'succeeded'));

    expect(pending.status).toBe('refund_pending');
    expect(w.gateway.calls.voidInvoice).toBeUndefined();
    expect(refund).toMatchObject({ status: 'pending' });
    expect(refund.amount.minor).toBe(5000);
    const done = await w.request('org_1', request.id);
    expect(done.status).toBe('refunded');
    expect(done.amountRefunded.minor).toBe(5000);
  });

  test('paid, the refund fails: refund failed, and staff can retry', async () => {
    const w = await world();
    const request = await paid(w);
    await w.sdk.requests.cancel(ORG, request.id, 'staff_1');
    await w.deliver(w.gateway.settleRefund(w.gateway.refunds()[0]!.id, 'failed'));
    const failed = await w.request('org_1', request.id);

    w.gateway.refundsStartAs = 'succeeded';
    const retried = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();

    expect(failed.status).toBe('refund_failed');
    expect(failed.refunds[0]).toMatchObject({
      status: 'failed',
      failureReason: 'declined by the bank',
    });
    expect(retried.status).toBe('refunded');
    expect(w.gateway.refunds().map((refund) => refund.status)).toEqual(['failed', 'succeeded']);
  });

  test('paid after a 10.00 Dashboard refund: cancel refunds the remaining 40.00', async () => {
    const w = await world();
    const request = await paid(w);
    await w.deliver(w.gateway.refundOutside(request.invoiceId, money(1000)));
    w.gateway.refundsStartAs = 'succeeded';

    const canceled = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();

    expect(w.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([1000, 4000]);
    expect(canceled.status).toBe('refunded');
    expect(canceled.amountRefunded.minor).toBe(5000);
  });

  test('cancel twice, or at the same time from two places: one refund', async () => {
    const w = await world();
    const request = await paid(w);

    await Promise.all([
      w.sdk.requests.cancel(ORG, request.id, 'staff_1'),
      w.sdk.requests.cancel(ORG, request.id, 'staff_2'),
    ]);
    await w.sdk.requests.cancel(ORG, request.id, 'staff_3');

    expect(w.gateway.refunds()).toHaveLength(1);
    expect((await w.request('org_1', request.id)).status).toBe('refund_pending');
  });

  test('partially paid: collection of the rest stops and the part paid is refunded', async () => {
    const w = await world();
    const request = await sent(w);
    for (const event of w.gateway.payByCard(request.invoiceId, money(2000))) {
      await w.deliver(event);
    }
    w.gateway.refundsStartAs = 'succeeded';

    const canceled = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();

    expect(w.gateway.invoice(request.invoiceId)?.status).toBe('uncollectible');
    expect(w.gateway.refunds().map((refund) => refund.amount.minor)).toEqual([2000]);
    expect(canceled.status).toBe('refunded');
  });

  test('processing: noted; when the bank payment lands it is refunded', async () => {
    const w = await world();
    const request = await sent(w);
    await w.deliver(w.gateway.payByBank(request.invoiceId));

    const noted = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();
    for (const event of w.gateway.settleBankPayment(request.invoiceId)) {
      await w.deliver(event);
    }

    expect(noted.status).toBe('processing');
    expect(noted.cancelRequestedAt).not.toBeNull();
    expect(w.gateway.refunds()).toHaveLength(1);
    expect((await w.request('org_1', request.id)).status).toBe('refund_pending');
  });

  test('processing: when the bank payment fails the invoice is voided', async () => {
    const w = await world();
    const request = await sent(w);
    await w.deliver(w.gateway.payByBank(request.invoiceId));

    await w.sdk.requests.cancel(ORG, request.id, 'staff_1');
    for (const event of w.gateway.settleBankPayment(request.invoiceId, 'failed')) {
      await w.deliver(event);
    }

    expect(w.gateway.invoice(request.invoiceId)?.status).toBe('void');
    expect((await w.request('org_1', request.id)).status).toBe('canceled');
  });

  test('sent, but the member just paid: the void is refused, so it refunds instead', async () => {
    const w = await world();
    const request = await sent(w);
    w.gateway.payByCard(request.invoiceId);

    const canceled = (await w.sdk.requests.cancel(ORG, request.id, 'staff_1'))._unsafeUnwrap();

    expect(canceled.status).toBe('refund_pending');
    expect(w.gateway.refunds()).toHaveLength(1);
  });

  test('canceled, refunded: nothing more happens', async () => {
    const w = await world();
    const draft = await w.draft('org_1', '50.00');
    await w.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    const again = await w.sdk.requests.cancel(ORG, draft.id, 'staff_1');

    expect(again._unsafeUnwrap().status).toBe('canceled');
  });
});

describe('delete', () => {
  test('a draft is removed; its audit trail stays', async () => {
    const w = await world();
    const draft = await w.draft('org_1', '50.00');

    const deleted = (await w.sdk.requests.delete(ORG, draft.id, 'staff_1'))._unsafeUnwrap();

    expect(deleted.removed).toBe(true);
    expect((await w.sdk.requests.get(ORG, draft.id))._unsafeUnwrapErr().code).toBe(
      'REQUEST.NOT_FOUND',
    );
    const trail = (await w.sdk.requests.auditTrail(ORG, draft.id))._unsafeUnwrap();
    expect(trail.map((entry) => entry.action)).toEqual(['created', 'deleted']);
  });

  test('a paid request is refunded and kept, hidden from lists', async () => {
    const w = await world();
    const request = await paid(w);

    const deleted = (await w.sdk.requests.delete(ORG, request.id, 'staff_1'))._unsafeUnwrap();

    expect(deleted.removed).toBe(false);
    expect(deleted.request.status).toBe('refund_pending');
    expect(deleted.request.deletedAt).not.toBeNull();
    expect(w.gateway.refunds()).toHaveLength(1);
    expect((await w.sdk.requests.list(ORG))._unsafeUnwrap()).toEqual([]);
    expect(
      (await w.sdk.requests.list(ORG, { includeDeleted: true }))._unsafeUnwrap().map((r) => r.id),
    ).toEqual([request.id]);
  });
});
