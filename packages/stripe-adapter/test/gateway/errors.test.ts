import { GatewayError } from '@memberpay/core';
import { HttpResponse, http } from 'msw';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { toGatewayError } from '../../src/index';
import { API, mswGateway, stripeError, stripeHttp } from './support/stripe-http';

const { server } = stripeHttp();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Reads one invoice through the gateway with Stripe answering the given error. */
async function failWith(status: number, body: { type: string; code?: string }) {
  server.use(http.get(`${API}/v1/invoices/in_1`, () => stripeError(status, body)));
  const { gateway } = mswGateway({ retry: { maxAttempts: 1 } });

  return (await gateway.getInvoice('in_1'))._unsafeUnwrapErr();
}

describe('toGatewayError', () => {
  test.each([
    [429, 'invalid_request_error', 'rate_limit', 'rate_limited', true],
    [429, 'invalid_request_error', 'lock_timeout', 'rate_limited', true],
    [400, 'invalid_request_error', 'rate_limit', 'rate_limited', true],
    [500, 'api_error', undefined, 'unavailable', true],
    [503, 'api_error', undefined, 'unavailable', true],
    [424, 'api_error', undefined, 'unavailable', true],
    [409, 'invalid_request_error', 'idempotency_key_in_use', 'conflict', true],
    [400, 'invalid_request_error', 'invoice_not_editable', 'invalid_request', false],
    [400, 'invalid_request_error', 'charge_already_refunded', 'invalid_request', false],
    [404, 'invalid_request_error', 'resource_missing', 'not_found', false],
    [401, 'invalid_request_error', undefined, 'authentication', false],
    [403, 'invalid_request_error', undefined, 'authentication', false],
    [400, 'idempotency_error', undefined, 'idempotency_mismatch', false],
    [402, 'card_error', 'card_declined', 'declined', false],
  ] as const)('HTTP %i %s %s is %s', async (status, type, code, kind, retryable) => {
    const error = await failWith(status, { type, code });

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind, retryable, code: code ?? null, statusCode: status });
    expect(error.requestId).toMatch(/^req_msw_/);
    expect(error.cause).toBeInstanceOf(Stripe.errors.StripeError);
  });

  test('a dropped connection is unavailable (StripeConnectionError)', async () => {
    server.use(http.get(`${API}/v1/invoices/in_1`, () => HttpResponse.error()));
    const { gateway } = mswGateway();

    const error = (await gateway.getInvoice('in_1'))._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, statusCode: null });
    expect(error.cause).toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });

  test('a body that is not JSON is unavailable', async () => {
    server.use(http.get(`${API}/v1/invoices/in_1`, () => new HttpResponse('<html>oops</html>')));
    const { gateway } = mswGateway();

    const error = (await gateway.getInvoice('in_1'))._unsafeUnwrapErr();

    expect(error.kind).toBe('unavailable');
  });

  test("an error that is not Stripe's is an invalid request, kept as the cause", () => {
    const cause = new TypeError('boom');

    const error = toGatewayError(cause);

    expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, code: null });
    expect(error.cause).toBe(cause);
  });

  test('a GatewayError passes through unchanged', () => {
    const original = new GatewayError('conflict', 'in flight');

    expect(toGatewayError(original)).toBe(original);
  });
});
