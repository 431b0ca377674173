import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  onboardedAccount,
  rejectionOf,
  type SimulatorContext,
  sentInvoice,
  startSim,
} from './support';

/** POST form-encoded parameters with an idempotency key, outside stripe-node. */
function post(context: SimulatorContext, path: string, body: string, key: string) {
  return fetch(`${context.sim.url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${context.sim.apiKey}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      'Idempotency-Key': key,
    },
    body,
  });
}

describe('idempotency', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  test('the same key and parameters replay the answer (Idempotent-Replayed)', async () => {
    const first = await context.stripe.customers.create(
      { email: 'a@example.test' },
      { idempotencyKey: 'req_1:customer:v1' },
    );
    const second = await context.stripe.customers.create(
      { email: 'a@example.test' },
      { idempotencyKey: 'req_1:customer:v1' },
    );
    const all = await context.stripe.customers.list();

    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(second.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(all.data).toHaveLength(1);
    expect(context.sim.events.list({ type: 'customer.created' })).toHaveLength(1);
  });

  test('events record the key of the request that caused them', async () => {
    const customer = await context.stripe.customers.create(
      { email: 'a@example.test' },
      { idempotencyKey: 'key-for-event' },
    );

    const [event] = context.sim.events.list({ type: 'customer.created' });

    expect(event?.request).toEqual({
      id: customer.lastResponse.requestId,
      idempotency_key: 'key-for-event',
    });
  });

  test('the same key with other parameters is a 400 idempotency_error', async () => {
    await context.stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'k' });

    const error = await rejectionOf(
      context.stripe.customers.create({ email: 'b@example.test' }, { idempotencyKey: 'k' }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.statusCode).toBe(400);
    expect(error.rawType).toBe('idempotency_error');
  });

  test('the same key on another endpoint is refused too', async () => {
    await context.stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'k' });

    const error = await rejectionOf(
      context.stripe.paymentIntents.create(
        { amount: 1000, currency: 'usd' },
        { idempotencyKey: 'k' },
      ),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.message).toContain('/v1/customers');
  });

  test('an error answer is stored and replayed as well', async () => {
    const { invoice } = await sentInvoice(context);

    const first = await post(context, `/v1/invoices/${invoice.id}/finalize`, '', 'finalize-once');
    const second = await post(context, `/v1/invoices/${invoice.id}/finalize`, '', 'finalize-once');

    expect(first.status).toBe(400);
    expect(second.status).toBe(400);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.text()).toBe(await first.text());
  });

  test('a request refused for its parameters is not stored under its key', async () => {
    const refused = await post(context, '/v1/invoices', '', 'create-invoice');
    const customer = await context.stripe.customers.create({ email: 'a@example.test' });
    const fixed = await post(
      context,
      '/v1/invoices',
      `customer=${customer.id}&collection_method=send_invoice&days_until_due=5`,
      'create-invoice',
    );

    expect(refused.status).toBe(400);
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  test('a request while the first still runs is a 409 idempotency_key_in_use', async () => {
    context.sim.faults.setLatency(400, { method: 'POST', path: '/v1/customers' });

    const [first, second] = await Promise.all([
      post(context, '/v1/customers', 'email=a%40example.test', 'concurrent'),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        post(context, '/v1/customers', 'email=a%40example.test', 'concurrent'),
      ),
    ]);
    const conflict = (await second.json()) as { error: Record<string, string> };

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(conflict.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'idempotency_key_in_use',
    });
  });

  test('keys are forgotten after 24 hours on the simulator clock', async () => {
    let now = new Date('2026-03-02T15:00:00Z');
    const frozen = await startSim({ clock: { now: () => now } });
    await frozen.stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: 'daily' });

    await frozen.sim.clock.advance(24 * 60 * 60 * 1000 - 1000);
    const stillKept = await rejectionOf(
      frozen.stripe.customers.create({ email: 'b@example.test' }, { idempotencyKey: 'daily' }),
    );
    now = new Date(now.getTime() + 1000);
    const reused = await frozen.stripe.customers.create(
      { email: 'b@example.test' },
      { idempotencyKey: 'daily' },
    );

    expect(stillKept).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(reused.email).toBe('b@example.test');
    await frozen.sim.close();
  });

  test('keys are scoped to the account a request acts on', async () => {
    const account = await onboardedAccount(context);

    const onPlatform = await context.stripe.customers.create(
      { email: 'a@example.test' },
      { idempotencyKey: 'same' },
    );
    const onAccount = await context.stripe.customers.create(
      { email: 'a@example.test' },
      { idempotencyKey: 'same', stripeAccount: account.id },
    );

    expect(onAccount.id).not.toBe(onPlatform.id);
    expect(onAccount.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  test("stripe-node's retry after a lost response is a replay, not a duplicate", async () => {
    context.sim.faults.failNext({ method: 'POST', path: '/v1/customers', fault: 'response_lost' });

    const customer = await context.stripe.customers.create({ email: 'a@example.test' });
    const calls = context.sim.calls.list().filter((call) => call.path === '/v1/customers');
    const all = await context.stripe.customers.list();

    expect(all.data.map((found) => found.id)).toEqual([customer.id]);
    expect(calls.map((call) => [call.status, call.replayed])).toEqual([
      [null, false],
      [200, true],
    ]);
    expect(calls[0]?.idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(calls[1]?.idempotencyKey).toBe(calls[0]?.idempotencyKey);
  });
});
