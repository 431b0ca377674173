import { http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { delayBeforeRetry } from '../../src/gateway/retry';
import { DEFAULT_RETRY_POLICY } from '../../src/index';
import { API, mswGateway, stripeError, stripeHttp, stripeJson } from './support/stripe-http';

const { server, recorded, forget } = stripeHttp();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  forget();
});
afterAll(() => server.close());

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

/** Answers the next calls to POST /v1/customers with `failures`, then succeeds. */
function customersFailing(...failures: (() => ReturnType<typeof stripeError>)[]) {
  let calls = 0;
  server.use(
    http.post(`${API}/v1/customers`, () => {
      const failure = failures[calls];
      calls += 1;
      return failure ? failure() : stripeJson({ id: 'cus_after_retry', object: 'customer' });
    }),
  );
}

const customer = {
  organizationId: 'org_1',
  memberId: 'mem_1',
  name: 'Jane Doe',
  email: null,
  phone: null,
  idempotencyKey: 'customer:mem_1',
};

const rateLimited = () => stripeError(429, { type: 'invalid_request_error', code: 'rate_limit' });

describe('delayBeforeRetry', () => {
  test.each([
    [1, 0.5, 50],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [3, 0.999, 399],
    [2, 0, 0],
  ])(
    'attempt %i with draw %f waits %i ms (full jitter under a doubling ceiling)',
    (attempt, draw, ms) => {
      expect(delayBeforeRetry(policy, attempt, null, () => draw)).toBe(ms);
    },
  );

  test('the ceiling stops at maxDelayMs', () => {
    const long = { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 1000 };

    expect(delayBeforeRetry(long, 12, null, () => 0.5)).toBe(500);
  });

  test('a Retry-After hint is a floor on the wait', () => {
    expect(delayBeforeRetry(policy, 1, 700, () => 0.5)).toBe(700);
  });

  test('gives up after the last attempt, or when the hint asks for more than maxDelayMs', () => {
    expect(delayBeforeRetry(policy, 4, null, () => 0.5)).toBeNull();
    expect(delayBeforeRetry(policy, 1, 5000, () => 0.5)).toBeNull();
  });

  test('the default policy allows six attempts with waits up to 15 s', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 15_000 });
  });
});

describe('the gateway retries rate limits itself (BR-26)', () => {
  test('a 429 rate_limit is retried with backoff, with the same idempotency key', async () => {
    customersFailing(rateLimited, rateLimited);
    const { gateway, sleeps } = mswGateway({ retry: policy });

    const result = await gateway.createCustomer(customer);

    expect(result._unsafeUnwrap()).toEqual({ customerId: 'cus_after_retry' });
    expect(sleeps).toEqual([50, 100]);
    const keys = (await recorded()).map((request) => request.idempotencyKey);
    expect(keys).toEqual(['customer:mem_1', 'customer:mem_1', 'customer:mem_1']);
  });

  test('a 429 lock_timeout is retried too', async () => {
    customersFailing(() =>
      stripeError(429, { type: 'invalid_request_error', code: 'lock_timeout' }),
    );
    const { gateway, sleeps } = mswGateway({ retry: policy });

    const result = await gateway.createCustomer(customer);

    expect(result.isOk()).toBe(true);
    expect(sleeps).toEqual([50]);
  });

  test('Retry-After is honoured', async () => {
    customersFailing(() =>
      stripeError(
        429,
        { type: 'invalid_request_error', code: 'rate_limit' },
        { 'retry-after': '0.8' },
      ),
    );
    const { gateway, sleeps } = mswGateway({ retry: policy });

    await gateway.createCustomer(customer);

    expect(sleeps).toEqual([800]);
  });

  test('after the budget the error is returned as rate_limited and retryable', async () => {
    customersFailing(rateLimited, rateLimited, rateLimited, rateLimited, rateLimited);
    const { gateway, sleeps } = mswGateway({ retry: policy });

    const error = (await gateway.createCustomer(customer))._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, code: 'rate_limit' });
    expect(sleeps).toEqual([50, 100, 200]);
    expect(await recorded()).toHaveLength(4);
  });

  test('a 409 for a key still in flight is retried after a short wait (BR-22)', async () => {
    customersFailing(() =>
      stripeError(409, { type: 'invalid_request_error', code: 'idempotency_key_in_use' }),
    );
    const { gateway, sleeps } = mswGateway({ retry: policy });

    const result = await gateway.createCustomer(customer);

    expect(result.isOk()).toBe(true);
    expect(sleeps).toEqual([50]);
  });

  test.each([
    [400, 'invalid_request_error', 'parameter_missing'],
    [400, 'idempotency_error', undefined],
    [500, 'api_error', undefined],
  ])('HTTP %i %s is not retried by us', async (status, type, code) => {
    customersFailing(() => stripeError(status, { type, code }));
    const { gateway, sleeps } = mswGateway({ retry: policy });

    const result = await gateway.createCustomer(customer);

    expect(result.isErr()).toBe(true);
    expect(sleeps).toEqual([]);
    expect(await recorded()).toHaveLength(1);
  });
});
