import { asId, createMemberPayments, type PaymentGatewayPort } from '@memberpay/core';
import { ResultAsync } from 'neverthrow';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

const ORG = org('org_1');

describe('overnight batch', () => {
  test('sends every draft: customer, invoice, send; stores the invoice and the link', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const drafts = [
      await world.draft('org_1', '50.00'),
      await world.draft('org_1', '30.00'),
      await world.draft('org_1', '25.00'),
    ];

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    expect(report).toMatchObject({ sent: 3, heldCount: 0, failedCount: 0, gatewayCalls: 9 });
    const invoices = world.gateway.invoices();
    expect(invoices.map((invoice) => [invoice.status, invoice.amountDue.minor])).toEqual([
      ['open', 5000],
      ['open', 3000],
      ['open', 2500],
    ]);
    for (const draft of drafts) {
      const sent = await world.request('org_1', draft.id);
      const invoice = invoices.find((candidate) => candidate.tags.requestId === draft.id);
      expect(sent.status).toBe('sent');
      expect(sent.gateway.invoiceId).toBe(invoice?.id);
      expect(sent.gateway.hostedInvoiceUrl).toBe(invoice?.hostedInvoiceUrl);
      expect(invoice?.tags).toEqual({ organizationId: 'org_1', requestId: draft.id, revision: 1 });
      expect(invoice?.payoutAccountId).toBe('acct_fake_000001');
    }
  });

  test('a member who already has a customer costs two gateway calls, not three', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const first = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    const visit = await world.claim('org_1', first.memberId);
    await world.sdk.requests.create(ORG, {
      claimId: visit.id,
      internalId: 'INV-2',
      amount: '12.00',
      createdBy: 'staff_1',
    });

    const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

    expect(report).toMatchObject({ sent: 1, gatewayCalls: 2 });
    expect(world.gateway.customerCount()).toBe(1);
  });

  test('a changed email updates the customer before the next invoice', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const first = await world.draft('org_1', '50.00');
    await world.sdk.batch.runNow(ORG);
    await world.sdk.members.update(ORG, first.memberId, { email: 'new@example.test' });
    const visit = await world.claim('org_1', first.memberId);
    await world.sdk.requests.create(ORG, {
      claimId: visit.id,
      internalId: 'INV-2',
      amount: '12.00',
      createdBy: 'staff_1',
    });

    await world.sdk.batch.runNow(ORG);

    expect(world.gateway.calls.updateCustomer).toBe(1);
    const member = (await world.sdk.members.get(ORG, first.memberId))._unsafeUnwrap();
    expect(member.gatewayCustomer?.email).toBe('new@example.test');
  });

  describe('holds: nothing is skipped silently', () => {
    test('member payments off: drafts held with the reason, sent once it is on', async () => {
      const world = aWorld();
      await world.organization('org_1', { memberPaymentsEnabled: false });
      const draft = await world.draft('org_1', '50.00');

      const held = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
      const stored = await world.request('org_1', draft.id);
      await world.sdk.organizations.configure(ORG, { memberPaymentsEnabled: true });
      const later = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

      expect(held).toMatchObject({ sent: 0, heldCount: 1, gatewayCalls: 0 });
      expect(held.held[0]).toMatchObject({ requestId: draft.id, hold: 'member_payments_off' });
      expect(stored).toMatchObject({ status: 'draft', hold: { code: 'member_payments_off' } });
      expect(later.sent).toBe(1);
      expect((await world.request('org_1', draft.id)).hold).toBeNull();
    });

    test('payout account not ready: held', async () => {
      const world = aWorld();
      await world.sdk.organizations.create({
        id: 'org_1',
        name: 'New Clinic',
        timeZone: 'America/New_York',
        settings: { memberPaymentsEnabled: true },
      });
      const draft = await world.draft('org_1', '50.00');

      const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

      expect(report.held).toEqual([
        {
          requestId: draft.id,
          hold: 'payout_account_not_ready',
          message: 'The payout account is none; it must be active to charge',
        },
      ]);
    });

    test('no email and no text delivery: held with a reason staff can act on (BR-30)', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const withEmail = await world.draft('org_1', '50.00', { email: 'member12@example.test' });
      const withoutEmail = await world.draft('org_1', '30.00', { email: null });

      const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

      expect(report.sent).toBe(1);
      expect(report.held.map((item) => [item.requestId, item.hold])).toEqual([
        [withoutEmail.id, 'no_delivery_channel'],
      ]);
      expect((await world.request('org_1', withEmail.id)).status).toBe('sent');
      expect(world.gateway.calls.sendInvoice).toBe(1);
      expect(world.gateway.calls.finalizeInvoice).toBeUndefined();
      const held = await world.request('org_1', withoutEmail.id);
      expect(held).toMatchObject({ status: 'draft', hold: { code: 'no_delivery_channel' } });
      expect(held.gateway.invoiceId).toBeNull();
    });

    test('no email, call center on: the invoice is finalized and its link texted', async () => {
      const world = aWorld({ start: '2024-01-10T15:00:00.000Z' });
      await world.organization('org_1', { textDeliveryEnabled: true });
      const draft = await world.draft('org_1', '30.00', { email: null, phone: '+15555550123' });

      await world.sdk.batch.runNow(ORG);

      const sent = await world.request('org_1', draft.id);
      expect(sent.status).toBe('sent');
      expect(world.gateway.calls.finalizeInvoice).toBe(1);
      expect(world.gateway.calls.sendInvoice).toBeUndefined();
      expect(world.messages.sent).toEqual([
        expect.objectContaining({ to: '+15555550123', requestId: draft.id }),
      ]);
      expect(world.messages.sent[0]?.body).toContain(sent.gateway.hostedInvoiceUrl);
      expect(sent.text).toMatchObject({ status: 'sent', messageId: 'msg_1' });
    });
  });

  test('texts from a night batch wait for 08:00 local time', async () => {
    // 02:00 in New York.
    const world = aWorld({ start: '2024-01-10T07:00:00.000Z' });
    await world.organization('org_1', { textDeliveryEnabled: true });
    const draft = await world.draft('org_1', '30.00');

    await world.sdk.batch.runNow(ORG);
    const waiting = await world.request('org_1', draft.id);
    world.clock.set('2024-01-10T12:59:00.000Z');
    await world.sdk.batch.tick();
    const stillWaiting = world.messages.sent.length;
    world.clock.set('2024-01-10T13:05:00.000Z');
    await world.sdk.batch.tick();

    expect(waiting.text).toMatchObject({
      status: 'waiting',
      notBefore: new Date('2024-01-10T13:00:00.000Z'),
    });
    expect(stillWaiting).toBe(0);
    expect(world.messages.sent).toHaveLength(1);
    expect((await world.request('org_1', draft.id)).text?.status).toBe('sent');
  });

  test('a member who opted out of texts gets none', async () => {
    const world = aWorld();
    await world.organization('org_1', { textDeliveryEnabled: true });
    await world.draft('org_1', '30.00', { textOptOut: true });

    await world.sdk.batch.runNow(ORG);

    expect(world.messages.sent).toEqual([]);
  });

  describe('never two invoices, never lost', () => {
    test('invoice created but the answer lost: the next run finds it (BR-17b)', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      world.gateway.failNext('createInvoice', 'unavailable', 1, { afterWork: true });

      const first = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
      const between = await world.request('org_1', draft.id);
      world.clock.advance(24 * 60 * 60 * 1000);
      const second = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

      expect(first.failed).toEqual([
        expect.objectContaining({ requestId: draft.id, kind: 'unavailable', willRetry: true }),
      ]);
      expect(between).toMatchObject({
        status: 'draft',
        sendAttempt: { lastError: { kind: 'unavailable' } },
      });
      expect(second.sent).toBe(1);
      expect(world.gateway.invoices()).toHaveLength(1);
      expect(world.gateway.calls.createInvoice).toBe(1);
      expect(world.gateway.calls.findInvoices).toBe(1);
      expect((await world.request('org_1', draft.id)).gateway.invoiceId).toBe(
        world.gateway.invoices()[0]?.id,
      );
    });

    test('edit after lost answer: old deleted, one sent for new amount (BR-22)', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      world.gateway.failNext('createInvoice', 'unavailable', 1, { afterWork: true });
      await world.sdk.batch.runNow(ORG);

      await world.sdk.requests.edit(ORG, draft.id, { amount: '45.00', editedBy: 'staff_1' });
      world.clock.advance(60_000);
      await world.sdk.batch.runNow(ORG);

      const invoices = world.gateway.invoices();
      expect(
        invoices.map((invoice) => [invoice.status, invoice.amountDue.minor, invoice.tags.revision]),
      ).toEqual([['open', 4500, 2]]);
      expect(world.gateway.calls.deleteDraftInvoice).toBe(1);
      expect((await world.request('org_1', draft.id)).status).toBe('sent');
    });

    test('a lasting refusal fails the request; staff retry it with fresh keys', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      world.gateway.failNext('sendInvoice', 'invalid_request');

      const report = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
      const failed = await world.request('org_1', draft.id);
      const retried = await world.sdk.requests.retry(ORG, draft.id, 'staff_1');
      await world.sdk.batch.runNow(ORG);

      expect(report.failed).toEqual([
        expect.objectContaining({ requestId: draft.id, kind: 'invalid_request', willRetry: false }),
      ]);
      expect(failed.status).toBe('failed');
      expect(retried._unsafeUnwrap()).toMatchObject({ status: 'draft', revision: 2 });
      expect((await world.request('org_1', draft.id)).status).toBe('sent');
      expect(world.gateway.invoices().filter((invoice) => invoice.status === 'open')).toHaveLength(
        1,
      );
    });

    test('rate limited: drafts stay for next run, each then sent once (BR-26)', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const drafts = [];
      for (let index = 0; index < 10; index += 1) {
        drafts.push(await world.draft('org_1', '20.00'));
      }
      world.gateway.failNext('createInvoice', 'rate_limited', 3);

      const first = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
      world.clock.advance(24 * 60 * 60 * 1000);
      const second = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();

      expect(first).toMatchObject({ sent: 7, failedCount: 3 });
      expect(first.failed.every((item) => item.willRetry && item.kind === 'rate_limited')).toBe(
        true,
      );
      expect(second).toMatchObject({ sent: 3, failedCount: 0 });
      expect(world.gateway.invoices()).toHaveLength(10);
      expect(new Set(world.gateway.invoices().map((invoice) => invoice.tags.requestId)).size).toBe(
        10,
      );
    });

    test('two batch workers at once send every request exactly once (BR-17a)', async () => {
      const world = aWorld();
      await world.organization('org_1');
      for (const amount of ['50.00', '30.00', '25.00', '10.00', '12.00']) {
        await world.draft('org_1', amount);
      }

      const reports = await Promise.all([world.sdk.batch.runNow(ORG), world.sdk.batch.runNow(ORG)]);

      const sent = reports.map((report) => report._unsafeUnwrap().sent);
      expect((sent[0] ?? 0) + (sent[1] ?? 0)).toBe(5);
      expect(world.gateway.invoices()).toHaveLength(5);
      expect(world.gateway.calls.sendInvoice).toBe(5);
    });

    test("a dead worker's request is taken over after its lease; one invoice made", async () => {
      const world = aWorld();
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      let release: () => void = () => undefined;
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      let first = true;
      const sendInvoice: PaymentGatewayPort['sendInvoice'] = (input) => {
        const sent = world.gateway.sendInvoice(input);
        if (!first) {
          return sent;
        }

        first = false;
        return sent.andThen((value) => ResultAsync.fromSafePromise(stuck.then(() => value)));
      };
      const hanging = new Proxy(world.gateway, {
        get(target, property) {
          const member = Reflect.get(target, property, target);
          if (property === 'sendInvoice') {
            return sendInvoice;
          }
          return typeof member === 'function' ? member.bind(target) : member;
        },
      });
      const stale = createStuckRun(world, hanging);

      await new Promise((resolve) => setTimeout(resolve, 20));
      world.clock.advance(6 * 60 * 1000);
      const takeover = (await world.sdk.batch.runNow(ORG))._unsafeUnwrap();
      release();
      const late = (await stale)._unsafeUnwrap();

      expect(takeover.sent).toBe(1);
      expect(late.sent).toBe(0);
      expect(world.gateway.invoices()).toHaveLength(1);
      expect(world.gateway.invoices()[0]?.status).toBe('open');
      const trail = (await world.sdk.requests.auditTrail(ORG, draft.id))._unsafeUnwrap();
      expect(trail.map((entry) => entry.action)).toEqual([
        'created',
        'status_changed',
        'note',
        'status_changed',
      ]);
    });
  });

  test('the due date counts days in the clinic’s calendar, not UTC (BR-18)', async () => {
    // 2024-01-15 23:30 in Chicago is 2024-01-16 05:30 UTC.
    const world = aWorld({ start: '2024-01-16T05:30:00.000Z', timeZone: 'America/Chicago' });
    await world.organization('org_1', { daysUntilDue: 30 });
    const draft = await world.draft('org_1', '50.00');
    world.clock.set('2024-01-16T08:00:00.000Z');

    await world.sdk.batch.runNow(ORG);

    const sent = await world.request('org_1', draft.id);
    expect(sent.dueDate).toBe('2024-02-14');
    expect(world.gateway.invoice(sent.gateway.invoiceId as string)?.dueDate).toEqual(
      new Date('2024-02-14T18:00:00.000Z'),
    );
  });
});

function createStuckRun(world: ReturnType<typeof aWorld>, gateway: PaymentGatewayPort) {
  const stuckSdk = createMemberPayments({
    storage: world.storage,
    gateway,
    clock: world.clock,
    ids: { next: (prefix: string) => `${world.ids.next(prefix)}_stuck` },
  });
  return stuckSdk.batch.runNow(asId('org_1'));
}
