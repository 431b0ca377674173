import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf, type SimulatorContext, startSim } from './support';

describe('fault injection', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  const customers = async () => (await context.stripe.customers.list()).data.length;

  describe('HTTP faults do nothing and answer like Stripe', () => {
    test.each([
      ['server_error', 500, 'StripeAPIError', undefined],
      ['service_unavailable', 503, 'StripeAPIError', undefined],
      ['conflict', 409, 'StripeAPIError', undefined],
      ['rate_limit', 429, 'StripeRateLimitError', 'rate_limit'],
      ['lock_timeout', 429, 'StripeRateLimitError', 'lock_timeout'],
    ] as const)('%s is a %i (%s)', async (fault, status, errorClass, code) => {
      context.sim.faults.failNext({ method: 'POST', path: '/v1/customers', fault });

      const error = await rejectionOf(context.stripe.customers.create({ email: 'a@example.test' }));

      expect(error.type).toBe(errorClass);
      expect(error.statusCode).toBe(status);
      expect(error.code).toBe(code);
      expect(await customers()).toBe(0);
    });

    test('lock_timeout says Stripe-Should-Retry: true and stripe-node retries it', async () => {
      const retrying = new Stripe(context.sim.apiKey, {
        ...context.sim.stripeOptions,
        maxNetworkRetries: 1,
      });
      context.sim.faults.failNext({ method: 'POST', path: '/v1/customers', fault: 'lock_timeout' });

      const customer = await retrying.customers.create({ email: 'a@example.test' });
      const statuses = context.sim.calls.list().map((call) => call.status);

      expect(customer.id).toMatch(/^cus_/);
      expect(statuses).toEqual([429, 200]);
    });

    test('a plain rate_limit 429 is not retried even with retries allowed', async () => {
      const retrying = new Stripe(context.sim.apiKey, {
        ...context.sim.stripeOptions,
        maxNetworkRetries: 2,
      });
      context.sim.faults.failNext({ method: 'POST', path: '/v1/customers', fault: 'rate_limit' });

      const error = await rejectionOf(retrying.customers.create({ email: 'a@example.test' }));

      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(context.sim.calls.count()).toBe(1);
    });

    test('shouldRetry sets or clears Stripe-Should-Retry on a server error', async () => {
      context.sim.faults.failNext({
        path: '/v1/customers',
        fault: 'service_unavailable',
        shouldRetry: true,
      });
      context.sim.faults.failNext({
        path: '/v1/customers',
        fault: 'server_error',
        shouldRetry: false,
      });
      context.sim.faults.failNext({ path: '/v1/customers', fault: 'server_error' });

      const headers = [];
      for (const _ of [1, 2, 3]) {
        const error = await rejectionOf(context.stripe.customers.list());
        headers.push(error.headers?.['stripe-should-retry']);
      }

      expect(headers).toEqual(['true', 'false', undefined]);
    });
  });

  describe('connection faults', () => {
    test('a dropped connection is retried once by stripe-node even with retries off', async () => {
      context.sim.faults.failNext({
        method: 'POST',
        path: '/v1/customers',
        fault: 'connection_drop',
      });

      const customer = await context.stripe.customers.create({ email: 'a@example.test' });

      expect(customer.id).toMatch(/^cus_/);
      expect(context.sim.calls.list().map((call) => call.status)).toEqual([null, 200]);
      expect(await customers()).toBe(1);
    });

    test('two dropped connections surface as StripeConnectionError with nothing done', async () => {
      context.sim.faults.failNext({
        method: 'POST',
        path: '/v1/customers',
        fault: 'connection_drop',
        times: 2,
      });

      const error = await rejectionOf(context.stripe.customers.create({ email: 'a@example.test' }));

      expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      expect(await customers()).toBe(0);
    });

    test('a response lost twice fails the call, yet the work was done exactly once', async () => {
      context.sim.faults.failNext({
        method: 'POST',
        path: '/v1/customers',
        fault: 'response_lost',
        times: 2,
      });

      const error = await rejectionOf(context.stripe.customers.create({ email: 'a@example.test' }));

      expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      expect(await customers()).toBe(1);
    });
  });

  describe('matching', () => {
    test.each([
      ['a route template', '/v1/invoices/:id/send'],
      ['a wildcard', '/v1/invoices/*/send'],
      ['the concrete path', '/v1/invoices/in_123/send'],
      ['a RegExp', /\/send$/],
    ])('a rule can name %s', async (_case, path) => {
      context.sim.faults.failNext({ method: 'POST', path, fault: 'server_error' });

      const error = await rejectionOf(context.stripe.invoices.sendInvoice('in_123'));

      expect(error.statusCode).toBe(500);
      expect(context.sim.faults.pending()).toBe(0);
    });

    test('a rule waits for its method and path, and fires `times` times', async () => {
      context.sim.faults.failNext({
        method: 'POST',
        path: '/v1/customers',
        fault: 'server_error',
        times: 2,
      });

      const listed = await context.stripe.customers.list();
      const first = await rejectionOf(context.stripe.customers.create({ email: 'a@example.test' }));
      const second = await rejectionOf(
        context.stripe.customers.create({ email: 'a@example.test' }),
      );
      const third = await context.stripe.customers.create({ email: 'a@example.test' });

      expect(listed.object).toBe('list');
      expect([first.statusCode, second.statusCode]).toEqual([500, 500]);
      expect(third.id).toMatch(/^cus_/);
    });

    test('clear removes waiting faults', async () => {
      context.sim.faults.failNext({ path: '/v1/customers', fault: 'server_error', times: 3 });

      context.sim.faults.clear();

      expect(context.sim.faults.pending()).toBe(0);
      expect((await context.stripe.customers.list()).object).toBe('list');
    });
  });

  describe('latency', () => {
    test('is added to matching calls only', async () => {
      context.sim.faults.setLatency(300, { method: 'GET', path: '/v1/customers' });

      const slowStart = performance.now();
      await context.stripe.customers.list();
      const slow = performance.now() - slowStart;
      const otherStart = performance.now();
      await context.stripe.invoices.list();
      const other = performance.now() - otherStart;

      expect(slow).toBeGreaterThanOrEqual(295);
      expect(other).toBeLessThan(250);
    });
  });

  describe('the test-mode rate cap', () => {
    test('answers the 26th call within one second with 429 rate_limit', async () => {
      const frozen = await startSim({ clock: { now: () => new Date('2026-03-02T15:00:00Z') } });
      frozen.sim.faults.setRateLimit(25);

      for (let call = 0; call < 25; call += 1) {
        await frozen.stripe.customers.list();
      }
      const limited = await rejectionOf(frozen.stripe.customers.list());
      await frozen.sim.clock.advance(1000);
      const afterASecond = await frozen.stripe.customers.list();

      expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(limited.code).toBe('rate_limit');
      expect(afterASecond.object).toBe('list');
      await frozen.sim.close();
    });

    test('counts each connected account on its own', async () => {
      const frozen = await startSim({
        requestsPerSecond: 1,
        clock: { now: () => new Date('2026-03-02T15:00:00Z') },
      });
      frozen.sim.faults.setRateLimit(null);
      const account = await frozen.stripe.accounts.create({ type: 'express' });
      frozen.sim.faults.setRateLimit(1);

      await frozen.stripe.customers.list();
      const other = await frozen.stripe.customers.list({}, { stripeAccount: account.id });
      const limited = await rejectionOf(frozen.stripe.customers.list());

      expect(other.object).toBe('list');
      expect(limited.statusCode).toBe(429);
      await frozen.sim.close();
    });
  });

  describe('call counters', () => {
    test('count calls per route, with failures included', async () => {
      context.sim.faults.failNext({ path: '/v1/customers', method: 'POST', fault: 'server_error' });
      await rejectionOf(context.stripe.customers.create({ email: 'a@example.test' }));
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      await context.stripe.customers.retrieve(customer.id);

      expect(context.sim.calls.byRoute()).toEqual({
        'POST /v1/customers': 2,
        'GET /v1/customers/:id': 1,
      });
      expect(context.sim.calls.count({ path: '/v1/customers/:id' })).toBe(1);
      expect(context.sim.calls.count({ method: 'POST', path: /customers/ })).toBe(2);

      context.sim.calls.reset();

      expect(context.sim.calls.count()).toBe(0);
    });
  });
});
