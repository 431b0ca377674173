import { asId, scheduledInstant } from '@memberpay/core';
import { anOrganization } from '@memberpay/core/testing';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

const ORG = org('org_1');
const FIVE_MINUTES = 5 * 60 * 1000;

/** Ticks every five minutes from `from` to `to`, creating a draft at each `draftAt`. */
async function tickThrough(
  world: ReturnType<typeof aWorld>,
  from: string,
  to: string,
  draftsAt: readonly string[],
) {
  const runs: Array<{ runId: string | null; at: string; sent: number }> = [];
  const pending = [...draftsAt].map((at) => new Date(at).getTime());
  world.clock.set(from);
  while (world.clock.now().getTime() <= new Date(to).getTime()) {
    while (pending.length > 0 && (pending[0] as number) <= world.clock.now().getTime()) {
      pending.shift();
      await world.draft('org_1', '20.00');
    }

    const report = (await world.sdk.batch.tick())._unsafeUnwrap();
    for (const batch of report.batches.filter((b) => b.sent > 0)) {
      runs.push({ runId: batch.runId, at: world.clock.now().toISOString(), sent: batch.sent });
    }

    world.clock.advance(FIVE_MINUTES);
  }
  return runs;
}

describe('the overnight batch runs once per local day', () => {
  test('when 01:30 happens twice (New York, 2024-11-03), it runs once (BR-18)', async () => {
    const world = aWorld({ start: '2024-11-02T16:00:00.000Z' });
    await world.organization('org_1', { batchHour: 1, batchMinute: 30 });

    // The second draft is created at 01:00 EST, between the two 01:30s of that night.
    const runs = await tickThrough(world, '2024-11-02T16:00:00.000Z', '2024-11-04T17:00:00.000Z', [
      '2024-11-02T17:00:00.000Z',
      '2024-11-03T06:00:00.000Z',
      '2024-11-03T17:00:00.000Z',
    ]);

    // 01:30 EDT on Nov 3 is 05:30Z; the repeated 01:30 EST (06:30Z) runs nothing; Nov 4 01:30
    // EST is 06:30Z.
    expect(runs.map((run) => [run.at, run.sent])).toEqual([
      ['2024-11-03T05:30:00.000Z', 1],
      ['2024-11-04T06:30:00.000Z', 2],
    ]);
    expect(world.gateway.invoices()).toHaveLength(3);
    expect(world.gateway.calls.sendInvoice).toBe(3);
  });

  test('02:30 skipped (New York, 2024-03-10): it runs once, right after the jump', async () => {
    const world = aWorld({ start: '2024-03-09T17:00:00.000Z' });
    await world.organization('org_1', { batchHour: 2, batchMinute: 30 });

    const runs = await tickThrough(world, '2024-03-09T17:00:00.000Z', '2024-03-11T16:00:00.000Z', [
      '2024-03-09T18:00:00.000Z',
      '2024-03-10T18:00:00.000Z',
    ]);

    // 02:30 on Mar 10 does not exist: it runs at 03:30 EDT (07:30Z); Mar 11 02:30 EDT is 06:30Z.
    expect(runs.map((run) => [run.at, run.sent])).toEqual([
      ['2024-03-10T07:30:00.000Z', 1],
      ['2024-03-11T06:30:00.000Z', 1],
    ]);
    expect(world.gateway.invoices()).toHaveLength(2);
  });

  test('drafts created after the cut-off wait for the next night', async () => {
    const world = aWorld({ start: '2024-01-10T06:00:00.000Z' });
    await world.organization('org_1', { batchHour: 2, batchMinute: 0 });
    world.clock.set('2024-01-10T07:10:00.000Z');
    const late = await world.draft('org_1', '20.00');

    await world.sdk.batch.tick();

    expect((await world.request('org_1', late.id)).status).toBe('draft');
  });

  test('several workers ticking at once share one run', async () => {
    const world = aWorld({ start: '2024-01-10T06:00:00.000Z' });
    await world.organization('org_1', { batchHour: 2, batchMinute: 0 });
    for (let index = 0; index < 6; index += 1) {
      await world.draft('org_1', '20.00');
    }
    world.clock.set('2024-01-10T07:05:00.000Z');

    const reports = await Promise.all([
      world.sdk.batch.tick(),
      world.sdk.batch.tick(),
      world.sdk.batch.tick(),
    ]);

    const runIds = new Set(
      reports.flatMap((report) => report._unsafeUnwrap().batches.map((batch) => batch.runId)),
    );
    expect(runIds.size).toBe(1);
    expect(world.gateway.invoices()).toHaveLength(6);
  });

  test('the scheduled instant reads the organization’s wall clock', () => {
    const organization = anOrganization({
      timeZone: 'America/Los_Angeles',
      settings: { ...anOrganization().settings, batchHour: 23, batchMinute: 45 },
    });

    expect(scheduledInstant(organization, asId('2024-07-01') as never).toISOString()).toBe(
      '2024-07-02T06:45:00.000Z',
    );
  });

  test('a refund the gateway never answered is sent again by a later tick', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const invoiceId = (await world.request('org_1', draft.id)).gateway.invoiceId as string;
    for (const event of world.gateway.payByCard(invoiceId)) {
      await world.deliver(event);
    }
    world.gateway.failNext('refundInvoice', 'unavailable');
    await world.sdk.requests.cancel(ORG, draft.id, 'staff_1');
    const waiting = await world.request('org_1', draft.id);

    world.clock.advance(2 * 60 * 1000);
    const report = (await world.sdk.batch.tick())._unsafeUnwrap();

    expect(waiting.refunds.map((refund) => refund.status)).toEqual(['requested']);
    expect(report.refundsResumed).toBe(1);
    expect(world.gateway.refunds()).toHaveLength(1);
    expect((await world.request('org_1', draft.id)).refunds[0]?.status).toBe('pending');
  });
});
