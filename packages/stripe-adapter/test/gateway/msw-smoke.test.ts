import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { http } from 'msw';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API, mswGateway, stripeHttp, stripeJson } from './support/stripe-http';

// Older stripe-node releases hung under HTTP interceptors with the default Node client. These
// tests rely on the pair below working together; a bump of either must pass this file first.
const PINNED = { stripe: '23.2.0', msw: '2.15.0' };

const { server, recorded } = stripeHttp();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describe('stripe-node under msw', () => {
  test('runs the pinned versions', () => {
    const require = createRequire(import.meta.url);
    const mswManifest = require.resolve('msw/package.json');
    const mswVersion = (JSON.parse(readFileSync(mswManifest, 'utf8')) as { version: string })
      .version;

    expect({ stripe: Stripe.PACKAGE_VERSION, msw: mswVersion }).toEqual(PINNED);
  });

  test("a request via stripe-node's default client reaches the handler and back", async () => {
    server.use(
      http.post(`${API}/v1/customers`, () => stripeJson({ id: 'cus_smoke', object: 'customer' })),
    );
    const { gateway } = mswGateway();

    const result = await gateway.createCustomer({
      organizationId: 'org_1',
      memberId: 'mem_1',
      name: 'Jane Doe',
      email: null,
      phone: null,
      idempotencyKey: 'customer:mem_1',
    });

    expect(result._unsafeUnwrap()).toEqual({ customerId: 'cus_smoke' });
    expect((await recorded()).at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/customers',
      idempotencyKey: 'customer:mem_1',
      stripeVersion: Stripe.API_VERSION,
    });
  });
});
