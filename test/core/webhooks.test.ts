import { money } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { aWorld, org } from '../support/world';

const ORG = org('org_1');

async function sentRequest(amount = '50.00') {
  const world = aWorld();
  await world.organization('org_1');
  const draft = await world.draft('org_1', amount);
  await world.sdk.batch.runNow(ORG);
  const request = await world.request('org_1', draft.id);
  return { world, request, invoiceId: request.gateway.invoiceId as string };
}

describe('payment status from webhooks', () => {
  test('a card payment marks the request paid, with the amount', async () => {
    const { world, request, invoiceId } = await sentRequest();

    const [paid] = world.gateway.payByCard(invoiceId);
    const outcome = await world.deliver(paid!);

    expect(outcome).toMatchObject({
      status: 'applied',
      requestId: request.id,
      type: 'invoice.paid',
    });
    const stored = await world.request('org_1', request.id);
    expect(stored.status).toBe('paid');
    expect(stored.amountPaid.minor).toBe(5000);
    expect(world.changes.at(-1)).toMatchObject({ requestId: request.id, from: 'sent', to: 'paid' });
  });

  test('a bank payment shows processing, then paid when it settles', async () => {
    const { world, request, invoiceId } = await sentRequest();

    await world.deliver(world.gateway.payByBank(invoiceId));
    const processing = await world.request('org_1', request.id);
    for (const event of world.gateway.settleBankPayment(invoiceId)) {
      await world.deliver(event);
    }

    expect(processing.status).toBe('processing');
    expect((await world.request('org_1', request.id)).status).toBe('paid');
  });

  test('a failed bank payment leaves the request collectable', async () => {
    const { world, request, invoiceId } = await sentRequest();

    await world.deliver(world.gateway.payByBank(invoiceId));
    for (const event of world.gateway.settleBankPayment(invoiceId, 'failed')) {
      await world.deliver(event);
    }

    expect((await world.request('org_1', request.id)).status).toBe('sent');
  });

  test('a partial payment shows what was paid and what remains', async () => {
    const { world, request, invoiceId } = await sentRequest();

    for (const event of world.gateway.payByCard(invoiceId, money(2000))) {
      await world.deliver(event);
    }

    const partial = await world.request('org_1', request.id);
    expect(partial.status).toBe('partially_paid');
    expect(partial.amountPaid.minor).toBe(2000);
    expect(partial.amount.minor - partial.amountPaid.minor).toBe(3000);
  });

  test('the same event twice, or at once, changes things once (BR-20)', async () => {
    const { world, request, invoiceId } = await sentRequest();
    const [paid] = world.gateway.payByCard(invoiceId);
    const delivery = world.gateway.signedDelivery(paid!);

    const first = await world.sdk.webhooks.handle(delivery);
    const second = await world.sdk.webhooks.handle(delivery);
    const concurrent = await Promise.all([
      world.sdk.webhooks.handle(delivery),
      world.sdk.webhooks.handle(delivery),
    ]);

    expect(first._unsafeUnwrap().status).toBe('applied');
    expect(second._unsafeUnwrap().status).toBe('duplicate');
    expect(concurrent.map((outcome) => outcome._unsafeUnwrap().status)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    const trail = (await world.sdk.requests.auditTrail(ORG, request.id))._unsafeUnwrap();
    expect(trail.filter((entry) => entry.to === 'paid')).toHaveLength(1);
    expect(world.changes.filter((change) => change.to === 'paid')).toHaveLength(1);
  });

  test('two deliveries racing for the first time apply once', async () => {
    const { world, request, invoiceId } = await sentRequest();
    const [paid] = world.gateway.payByCard(invoiceId);
    const delivery = world.gateway.signedDelivery(paid!);

    const outcomes = await Promise.all([
      world.sdk.webhooks.handle(delivery),
      world.sdk.webhooks.handle(delivery),
    ]);

    expect(outcomes.map((outcome) => outcome._unsafeUnwrap().status).sort()).toEqual([
      'applied',
      'duplicate',
    ]);
    const trail = (await world.sdk.requests.auditTrail(ORG, request.id))._unsafeUnwrap();
    expect(trail.filter((entry) => entry.to === 'paid')).toHaveLength(1);
  });

  describe('events in any order end in the right state (BR-21)', () => {
    test('paid first, then a late sent: stays paid', async () => {
      const { world, request, invoiceId } = await sentRequest();
      const sent = world.gateway.events.find((event) => event.type === 'invoice.sent');
      const [paid] = world.gateway.payByCard(invoiceId);

      await world.deliver(paid!);
      await world.deliver(sent!);

      expect((await world.request('org_1', request.id)).status).toBe('paid');
    });

    test('a failure event before the processing one does not strand the request', async () => {
      const { world, request, invoiceId } = await sentRequest();
      const processing = world.gateway.payByBank(invoiceId);
      const [failed] = world.gateway.settleBankPayment(invoiceId, 'failed');

      await world.deliver(failed!);
      await world.deliver(processing);

      expect((await world.request('org_1', request.id)).status).toBe('sent');
    });

    test('paid outside Stripe: only invoice.paid arrives, and it is enough', async () => {
      const { world, request, invoiceId } = await sentRequest();
      const [paid] = world.gateway.payByCard(invoiceId);

      await world.deliver(paid!);

      expect((await world.request('org_1', request.id)).status).toBe('paid');
    });

    test('send reached the member, the batch never heard back: the payment lands', async () => {
      const world = aWorld();
      await world.organization('org_1');
      const draft = await world.draft('org_1', '50.00');
      world.gateway.failNext('sendInvoice', 'unavailable', 1, { afterWork: true });
      await world.sdk.batch.runNow(ORG);
      const invoice = world.gateway.invoices()[0]!;
      const [paid] = world.gateway.payByCard(invoice.id);

      const outcome = await world.deliver(paid!);

      expect(outcome.status).toBe('applied');
      expect((await world.request('org_1', draft.id)).status).toBe('paid');
    });
  });

  test('an invoice the request never recorded is matched by its tags', async () => {
    const world = aWorld();
    await world.organization('org_1');
    const draft = await world.draft('org_1', '50.00');
    world.gateway.failNext('createInvoice', 'unavailable', 1, { afterWork: true });
    await world.sdk.batch.runNow(ORG);
    const invoice = world.gateway.invoices()[0]!;
    const [paid] = world.gateway.payByCard(invoice.id);

    const outcome = await world.deliver(paid!);

    expect((await world.request('org_1', draft.id)).gateway.invoiceId).toBe(invoice.id);
    expect(outcome).toMatchObject({ status: 'applied', requestId: draft.id });
    expect((await world.request('org_1', draft.id)).status).toBe('paid');
  });

  describe('unknown or foreign events are acknowledged, logged, and touch nothing', () => {
    test('an invoice of another platform', async () => {
      const { world, request, invoiceId } = await sentRequest();
      const [paid] = world.gateway.payByCard(invoiceId);
      const foreign = {
        ...paid!,
        id: 'evt_foreign',
        invoice: {
          ...(paid as { invoice: object }).invoice,
          tags: { organizationId: null, requestId: null, revision: null },
        },
      };

      const outcome = await world.deliver(foreign as never);

      expect(outcome.status).toBe('unknown');
      expect((await world.request('org_1', request.id)).status).toBe('sent');
      expect(world.logger.warnings().map((line) => line.message)).toContain(
        'gateway event for something we do not know',
      );
    });

    test('tags naming one organization with another organization’s payout account', async () => {
      const world = aWorld();
      await world.organization('org_1');
      await world.organization('org_2');
      const victim = await world.draft('org_2', '50.00');
      await world.sdk.batch.runNow(org('org_2'));
      const theirs = await world.request('org_2', victim.id);
      const [paid] = world.gateway.payByCard(theirs.gateway.invoiceId as string);
      const forged = {
        ...paid!,
        id: 'evt_forged',
        invoice: {
          ...(paid as { invoice: { tags: object } }).invoice,
          tags: { organizationId: 'org_1', requestId: victim.id, revision: 1 },
        },
      };

      const outcome = await world.deliver(forged as never);

      expect(outcome.status).toBe('unknown');
      expect((await world.request('org_2', victim.id)).status).toBe('sent');
    });
  });

  describe('verification', () => {
    test('a parsed body is refused: the raw body is required (BR-19)', async () => {
      const { world, invoiceId } = await sentRequest();
      const [paid] = world.gateway.payByCard(invoiceId);
      const { rawBody, signature } = world.gateway.signedDelivery(paid!);

      const outcome = await world.sdk.webhooks.handle({ rawBody: JSON.parse(rawBody), signature });

      expect(outcome._unsafeUnwrapErr()).toMatchObject({
        code: 'WEBHOOK.INVALID',
        details: { kind: 'raw_body_required' },
      });
    });

    test('a changed byte or a stale timestamp is refused and changes nothing', async () => {
      const { world, request, invoiceId } = await sentRequest();
      const [paid] = world.gateway.payByCard(invoiceId);
      const { rawBody, signature } = world.gateway.signedDelivery(paid!);
      const stale = world.gateway.signedDelivery(
        paid!,
        new Date(world.clock.now().getTime() - 600_000),
      );

      const tampered = await world.sdk.webhooks.handle({
        rawBody: rawBody.replace('5000', '5001'),
        signature,
      });
      const old = await world.sdk.webhooks.handle(stale);

      expect(tampered._unsafeUnwrapErr().details.kind).toBe('signature_invalid');
      expect(old._unsafeUnwrapErr().details.kind).toBe('timestamp_stale');
      expect((await world.request('org_1', request.id)).status).toBe('sent');
    });
  });

  test('payout account updates move the organization’s state', async () => {
    const world = aWorld();
    const created = await world.sdk.organizations.create({
      id: 'org_1',
      name: 'Clinic',
      timeZone: 'America/New_York',
    });
    const link = await world.sdk.organizations.startPayoutOnboarding(created._unsafeUnwrap().id, {
      refreshUrl: 'https://clinic.example/refresh',
      returnUrl: 'https://clinic.example/return',
    });
    const onboarding = (await world.sdk.organizations.get(ORG))._unsafeUnwrap().payoutAccount;

    await world.deliver(world.gateway.completeOnboarding(link._unsafeUnwrap().accountId));

    expect(onboarding.state).toBe('onboarding');
    expect((await world.sdk.organizations.get(ORG))._unsafeUnwrap().payoutAccount).toMatchObject({
      state: 'active',
      chargesEnabled: true,
      currentlyDue: [],
    });
  });

  test('disputes: opened marks the request disputed, lost marks it charged back', async () => {
    const { world, request, invoiceId } = await sentRequest();
    for (const event of world.gateway.payByCard(invoiceId)) {
      await world.deliver(event);
    }

    await world.deliver(world.gateway.dispute(invoiceId, null));
    const disputed = await world.request('org_1', request.id);
    const cancel = await world.sdk.requests.cancel(ORG, request.id, 'staff_1');
    await world.deliver(world.gateway.dispute(invoiceId, 'lost'));

    expect(disputed.status).toBe('disputed');
    expect(cancel._unsafeUnwrapErr().code).toBe('REQUEST.CANCEL_REFUSED');
    expect((await world.request('org_1', request.id)).status).toBe('charged_back');
  });
});
