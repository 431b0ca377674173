import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/simulator/index';
import { onboardedAccount, type SimulatorContext, sentInvoice, startSim } from './support';

describe('webhooks', () => {
  let context: SimulatorContext;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    context = await startSim();
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    await receiver.close();
    await context.sim.close();
  });

  const types = (received: readonly ReceivedWebhook[]) =>
    received.map((webhook) => webhook.eventType);

  describe('endpoints', () => {
    test('creation shows the signing secret once; reading it later does not', async () => {
      const created = await context.stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['invoice.paid'],
        connect: true,
        description: 'memberpay',
      });

      const read = await context.stripe.webhookEndpoints.retrieve(created.id);

      expect(created.id).toMatch(/^we_/);
      expect(created.secret).toMatch(/^whsec_\w{32}$/);
      expect(created).toMatchObject({ status: 'enabled', enabled_events: ['invoice.paid'] });
      expect(read.secret).toBeUndefined();
    });

    test('only enabled events are sent, and a disabled endpoint gets nothing', async () => {
      const endpoint = await context.stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['customer.updated'],
      });
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      await context.stripe.customers.update(customer.id, { name: 'Pat' });
      await context.sim.webhooks.drain();
      await context.stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
      await context.stripe.customers.update(customer.id, { name: 'Sam' });
      await context.sim.webhooks.drain();

      expect(types(receiver.received)).toEqual(['customer.updated']);
    });

    test('a deleted endpoint gets nothing more', async () => {
      const endpoint = await context.stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['*'],
      });

      const deleted = await context.stripe.webhookEndpoints.del(endpoint.id);
      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();

      expect(deleted.deleted).toBe(true);
      expect(receiver.received).toEqual([]);
    });
  });

  describe('signatures', () => {
    test('constructEvent verifies every delivery with the endpoint secret', async () => {
      const endpoint = await context.stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['*'],
      });
      const { invoice } = await sentInvoice(context);
      await context.sim.testHelpers.payInvoiceWithCard(invoice.id);
      await context.sim.webhooks.drain();

      const events = receiver.received.map((webhook) =>
        context.stripe.webhooks.constructEvent(
          webhook.body,
          webhook.signature,
          endpoint.secret ?? '',
        ),
      );

      expect(events.map((event) => event.type)).toContain('invoice.paid');
      expect(events.every((event) => event.object === 'event' && event.livemode === false)).toBe(
        true,
      );
      expect(receiver.received[0]?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(receiver.received[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    test('another secret does not verify', async () => {
      context.sim.webhooks.addEndpoint({ url: receiver.url });
      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();
      const [webhook] = receiver.received;

      expect(() =>
        context.stripe.webhooks.constructEvent(
          webhook?.body ?? '',
          webhook?.signature ?? '',
          'whsec_other',
        ),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    });

    test('a skewed timestamp makes deliveries fail the 300 s tolerance', async () => {
      const { secret } = context.sim.webhooks.addEndpoint({ url: receiver.url });
      context.sim.webhooks.configure({ timestampSkewSeconds: -600 });
      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();
      const [webhook] = receiver.received;

      expect(() =>
        context.stripe.webhooks.constructEvent(
          webhook?.body ?? '',
          webhook?.signature ?? '',
          secret,
        ),
      ).toThrow(/tolerance/);
    });
  });

  describe('routing', () => {
    test('platform events reach account endpoints; account events reach Connect', async () => {
      const platform = await startWebhookReceiver();
      const connect = await startWebhookReceiver();
      const own = await startWebhookReceiver();
      context.sim.webhooks.addEndpoint({ url: platform.url });
      context.sim.webhooks.addEndpoint({ url: connect.url, connect: true });
      const account = await onboardedAccount(context);
      context.sim.webhooks.addEndpoint({ url: own.url, account: account.id });

      await context.stripe.customers.create({ email: 'platform@example.test' });
      await context.stripe.customers.create(
        { email: 'direct@example.test' },
        { stripeAccount: account.id },
      );
      await context.sim.webhooks.drain();

      const accountOf = (received: readonly ReceivedWebhook[]) =>
        received.map((webhook) => (JSON.parse(webhook.body) as Stripe.Event).account ?? null);
      expect(types(platform.received)).toEqual(['customer.created']);
      expect(accountOf(platform.received)).toEqual([null]);
      expect(types(connect.received)).toEqual(['account.updated', 'customer.created']);
      expect(accountOf(connect.received)).toEqual([account.id, account.id]);
      expect(types(own.received)).toEqual(['customer.created']);
      await Promise.all([platform.close(), connect.close(), own.close()]);
    });
  });

  describe('delivery', () => {
    test('a non-2xx answer is retried until it succeeds, with the same event id', async () => {
      const flaky = await startWebhookReceiver({
        respond: (_webhook, index) => (index < 2 ? 500 : 200),
      });
      context.sim.webhooks.addEndpoint({ url: flaky.url });

      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();
      const attempts = context.sim.webhooks.deliveries();
      const [event] = context.sim.events.list({ type: 'customer.created' });

      expect(attempts.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
        [1, 500],
        [2, 500],
        [3, 200],
      ]);
      expect(new Set(flaky.received.map((webhook) => webhook.eventId))).toEqual(
        new Set([event?.id]),
      );
      expect(event?.pending_webhooks).toBe(0);
      await flaky.close();
    });

    test('gives up after the last retry and warns the logger', async () => {
      const warn = vi.fn();
      const quiet = await startSim({
        logger: { debug: () => undefined, info: () => undefined, warn, error: () => undefined },
      });
      const failing = await startWebhookReceiver({ respond: () => 503 });
      quiet.sim.webhooks.addEndpoint({ url: failing.url });

      await quiet.stripe.customers.create({ email: 'a@example.test' });
      await quiet.sim.webhooks.drain();

      expect(failing.received).toHaveLength(3);
      expect(warn).toHaveBeenCalledWith(
        'stripe simulator: webhook delivery gave up',
        expect.objectContaining({ attempts: 3 }),
      );
      await failing.close();
      await quiet.sim.close();
    });

    test('an unreachable endpoint counts as a failed attempt', async () => {
      context.sim.webhooks.configure({ retryDelaysMs: [] });
      context.sim.webhooks.addEndpoint({ url: 'http://127.0.0.1:9/nowhere' });

      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();

      expect(context.sim.webhooks.deliveries()[0]).toMatchObject({ status: null, attempt: 1 });
    });

    test('duplicates: every event arrives twice with the same id', async () => {
      context.sim.webhooks.addEndpoint({ url: receiver.url });
      context.sim.webhooks.configure({ duplicates: true });

      await context.stripe.customers.create({ email: 'a@example.test' });
      await context.sim.webhooks.drain();

      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[0]?.eventId).toBe(receiver.received[1]?.eventId);
    });

    test('out of order: the events of one call arrive last first', async () => {
      context.sim.webhooks.addEndpoint({ url: receiver.url });
      const { invoice } = await sentInvoice(context);
      await context.sim.webhooks.drain();
      const before = receiver.received.length;
      context.sim.webhooks.configure({ outOfOrder: true });

      await context.sim.testHelpers.payInvoiceWithCard(invoice.id);
      await context.sim.webhooks.drain();

      expect(types(receiver.received.slice(before))).toEqual([
        'invoice.updated',
        'invoice.payment_succeeded',
        'invoice.paid',
        'invoice_payment.paid',
        'payment_intent.succeeded',
        'transfer.created',
        'charge.succeeded',
      ]);
    });

    test('pause holds deliveries; resume can release them in reverse across calls', async () => {
      context.sim.webhooks.addEndpoint({ url: receiver.url });
      context.sim.webhooks.pause();

      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      await context.stripe.customers.update(customer.id, { name: 'Pat' });
      await context.sim.webhooks.drain();
      const whilePaused = receiver.received.length;
      context.sim.webhooks.resume({ order: 'reverse' });
      await context.sim.webhooks.drain();

      expect(whilePaused).toBe(0);
      expect(types(receiver.received)).toEqual(['customer.updated', 'customer.created']);
    });

    test('bodies are the event as pretty-printed JSON, the bytes that were signed', async () => {
      context.sim.webhooks.addEndpoint({ url: receiver.url });

      const customer = await context.stripe.customers.create({
        email: 'a@example.test',
        name: 'José',
      });
      await context.sim.webhooks.drain();
      const [webhook] = receiver.received;
      const event = JSON.parse(webhook?.body ?? '{}') as Stripe.Event;

      expect(webhook?.body).toContain('\n  "id": "evt_');
      expect(event.api_version).toBe(Stripe.API_VERSION);
      expect(event.data.object as Stripe.Customer).toMatchObject({ id: customer.id, name: 'José' });
      expect(event.request).toEqual({
        id: customer.lastResponse.requestId,
        idempotency_key: expect.stringMatching(/^stripe-node-retry-/),
      });
    });
  });

  describe('the event log', () => {
    test('GET /v1/events lists events newest first, filtered by type or wildcard', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      await context.stripe.customers.update(customer.id, { name: 'Pat' });

      const all = await context.stripe.events.list();
      const updated = await context.stripe.events.list({ type: 'customer.updated' });
      const wildcard = await context.stripe.events.list({ type: 'customer.*' });
      const one = await context.stripe.events.retrieve(updated.data[0]?.id ?? '');

      expect(all.data.map((event) => event.type)).toEqual(['customer.updated', 'customer.created']);
      expect(updated.data).toHaveLength(1);
      expect(wildcard.data).toHaveLength(2);
      expect(one.data.previous_attributes).toEqual({ name: null });
    });

    test("a connected account's events are listed under its Stripe-Account", async () => {
      const account = await onboardedAccount(context);

      const theirs = await context.stripe.events.list({}, { stripeAccount: account.id });
      const platform = await context.stripe.events.list();

      expect(theirs.data.map((event) => event.type)).toEqual(['account.updated']);
      expect(platform.data).toEqual([]);
    });

    test('events.waitFor resolves with an event that happens later', async () => {
      const waiting = context.sim.events.waitFor('customer.created');

      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const event = await waiting;

      expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
    });

    test('events.waitFor rejects after its timeout', async () => {
      await expect(context.sim.events.waitFor('invoice.paid', { timeoutMs: 20 })).rejects.toThrow(
        /No invoice.paid event/,
      );
    });
  });
});
