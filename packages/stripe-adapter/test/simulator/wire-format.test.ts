import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { decodeForm, fingerprint } from '../../src/simulator/http/form';
import { onboardedAccount, rejectionOf, type SimulatorContext, startSim } from './support';

describe('decodeForm', () => {
  test('nests bracketed keys and turns indexed objects into arrays', () => {
    const decoded = decodeForm(
      'transfer_data[destination]=acct_1&expand[0]=payments&expand[1]=customer' +
        '&custom_fields[0][name]=Claim&custom_fields[0][value]=C%201&metadata[a]=',
    );

    expect(decoded).toEqual({
      transfer_data: { destination: 'acct_1' },
      expand: ['payments', 'customer'],
      custom_fields: [{ name: 'Claim', value: 'C 1' }],
      metadata: { a: '' },
    });
  });

  test('appends `[]` values in order and decodes percent escapes and plus signs', () => {
    const decoded = decodeForm('expand[]=a&expand[]=b&description=Copago+%E2%80%93+Jos%C3%A9');

    expect(decoded).toEqual({ expand: ['a', 'b'], description: 'Copago – José' });
  });

  test('refuses keys that would reach the object prototype', () => {
    expect(() => decodeForm('metadata[__proto__]=x')).toThrow(/Invalid parameter name/);
  });

  test('fingerprints the same parameters the same whatever their order', () => {
    expect(fingerprint(decodeForm('b=2&a[y]=1&a[x]=0'))).toBe(
      fingerprint(decodeForm('a[x]=0&a[y]=1&b=2')),
    );
    expect(fingerprint(decodeForm('a=1'))).not.toBe(fingerprint(decodeForm('a=2')));
  });
});

describe('the API over HTTP', () => {
  let context: SimulatorContext;

  beforeEach(async () => {
    context = await startSim();
  });

  afterEach(async () => {
    await context.sim.close();
  });

  describe('authentication', () => {
    test('refuses a request without a key (401)', async () => {
      const response = await fetch(`${context.sim.url}/v1/customers`);
      const body = (await response.json()) as { error: { type: string } };

      expect(response.status).toBe(401);
      expect(body.error.type).toBe('invalid_request_error');
      expect(response.headers.get('request-id')).toMatch(/^req_/);
    });

    test('refuses a live key as stripe-node reports it (StripeAuthenticationError)', async () => {
      const live = new Stripe('sk_live_123456789', {
        ...context.sim.stripeOptions,
        maxNetworkRetries: 0,
      });

      const error = await rejectionOf(live.customers.list());

      expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(error.statusCode).toBe(401);
      expect(error.message).not.toContain('sk_live_123456789');
    });

    test('accepts only the configured key when one is set', async () => {
      const strict = await startSim({ apiKey: 'sk_test_only_this_one' });
      const other = new Stripe('sk_test_another', {
        ...strict.sim.stripeOptions,
        maxNetworkRetries: 0,
      });

      const refused = await rejectionOf(other.customers.list());
      const accepted = await strict.stripe.customers.list();

      expect(refused.statusCode).toBe(401);
      expect(accepted.object).toBe('list');
      await strict.sim.close();
    });

    test('accepts a key sent as HTTP Basic user, as curl -u does', async () => {
      const response = await fetch(`${context.sim.url}/v1/customers`, {
        headers: {
          Authorization: `Basic ${Buffer.from(`${context.sim.apiKey}:`).toString('base64')}`,
        },
      });

      expect(response.status).toBe(200);
    });
  });

  describe('responses', () => {
    test('carry a request-id that stripe-node exposes on objects and errors', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const error = await rejectionOf(context.stripe.customers.retrieve('cus_missing'));

      expect(customer.lastResponse.requestId).toMatch(/^req_\w{14}$/);
      expect(error.requestId).toMatch(/^req_\w{14}$/);
      expect(error.requestId).not.toBe(customer.lastResponse.requestId);
    });

    test('shape errors like Stripe: 404 resource_missing with param and doc_url', async () => {
      const response = await fetch(`${context.sim.url}/v1/invoices/in_missing`, {
        headers: { Authorization: `Bearer ${context.sim.apiKey}` },
      });
      const body = (await response.json()) as { error: Record<string, string> };

      expect(response.status).toBe(404);
      expect(body.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'id',
        doc_url: 'https://docs.stripe.com/error-codes/resource-missing',
      });
      expect(body.error.message).toContain('in_missing');
    });

    test('answer an unknown URL with 404 invalid_request_error', async () => {
      const response = await fetch(`${context.sim.url}/v1/nothing_here`, {
        headers: { Authorization: `Bearer ${context.sim.apiKey}` },
      });

      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe(
        'invalid_request_error',
      );
    });

    test('refuse an unknown parameter (parameter_unknown)', async () => {
      const response = await fetch(`${context.sim.url}/v1/customers`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${context.sim.apiKey}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'email=a%40example.test&favourite_colour=blue',
      });
      const body = (await response.json()) as { error: Record<string, string> };

      expect(response.status).toBe(400);
      expect(body.error).toMatchObject({ code: 'parameter_unknown', param: 'favourite_colour' });
    });

    test('give objects Stripe prefixes, unix-second timestamps and livemode false', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });
      const nowSeconds = Math.floor(context.sim.clock.now().getTime() / 1000);

      expect(customer.id).toMatch(/^cus_[0-9A-Za-z]{24}$/);
      expect(customer.created).toBe(nowSeconds);
      expect(customer.livemode).toBe(false);
    });
  });

  describe('parameters', () => {
    test('treat an empty string as unset and remove single metadata keys', async () => {
      const customer = await context.stripe.customers.create({
        email: 'a@example.test',
        phone: '+15555550100',
        metadata: { keep: '1', drop: '2' },
      });

      const updated = await context.stripe.customers.update(customer.id, {
        phone: '',
        metadata: { drop: '' },
      });

      expect(updated.phone).toBeNull();
      expect(updated.metadata).toEqual({ keep: '1' });
    });

    test('reject a non-integer amount (parameter_invalid_integer)', async () => {
      const response = await fetch(`${context.sim.url}/v1/payment_intents`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${context.sim.apiKey}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'amount=12.50&currency=usd',
      });
      const body = (await response.json()) as { error: Record<string, string> };

      expect(body.error).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    });

    test('reject an invalid email address (email_invalid)', async () => {
      const error = await rejectionOf(context.stripe.customers.create({ email: 'not-an-email' }));

      expect(error.code).toBe('email_invalid');
      expect(error.param).toBe('email');
    });
  });

  describe('lists', () => {
    test('page newest first with limit, starting_after and ending_before', async () => {
      const created: string[] = [];
      for (const index of [1, 2, 3, 4, 5]) {
        created.push(
          (await context.stripe.customers.create({ email: `m${index}@example.test` })).id,
        );
      }
      const newest = [...created].reverse();

      const first = await context.stripe.customers.list({ limit: 2 });
      const second = await context.stripe.customers.list({ limit: 2, starting_after: newest[1] });
      const back = await context.stripe.customers.list({ limit: 2, ending_before: newest[2] });

      expect(first.data.map((customer) => customer.id)).toEqual(newest.slice(0, 2));
      expect(first.has_more).toBe(true);
      expect(first.url).toBe('/v1/customers');
      expect(second.data.map((customer) => customer.id)).toEqual(newest.slice(2, 4));
      expect(back.data.map((customer) => customer.id)).toEqual(newest.slice(0, 2));
    });

    test('auto-paginate through stripe-node until has_more is false', async () => {
      for (const index of [1, 2, 3, 4, 5, 6, 7]) {
        await context.stripe.customers.create({ email: `m${index}@example.test` });
      }

      const seen: string[] = [];
      for await (const customer of context.stripe.customers.list({ limit: 3 })) {
        seen.push(customer.id);
      }

      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      expect(context.sim.calls.count({ method: 'GET', path: '/v1/customers' })).toBe(3);
    });

    test('refuse a limit above 100', async () => {
      const error = await rejectionOf(context.stripe.customers.list({ limit: 101 }));

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('limit');
    });
  });

  describe('customers', () => {
    test('a deleted customer reads as deleted and can no longer be invoiced', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });

      const deleted = await context.stripe.customers.del(customer.id);
      const read = await context.stripe.customers.retrieve(customer.id);
      const error = await rejectionOf(
        context.stripe.invoices.create({ customer: customer.id, days_until_due: 3 }),
      );

      expect(deleted).toMatchObject({ id: customer.id, deleted: true });
      expect(read).toMatchObject({ id: customer.id, deleted: true });
      expect(error.code).toBe('resource_missing');
      expect(error.param).toBe('customer');
      expect(error.statusCode).toBe(400);
    });

    test('search finds customers by email and metadata', async () => {
      await context.stripe.customers.create({
        email: 'pat@example.test',
        metadata: { member: 'm1' },
      });
      await context.stripe.customers.create({
        email: 'sam@example.test',
        metadata: { member: 'm2' },
      });

      const found = await context.stripe.customers.search({
        query: "email:'pat@example.test' OR metadata['member']:'m2'",
      });
      const negated = await context.stripe.customers.search({ query: "-email:'pat@example.test'" });

      expect(found.data).toHaveLength(2);
      expect(negated.data.map((customer) => customer.email)).toEqual(['sam@example.test']);
    });
  });

  describe('reset', () => {
    test('forgets objects, events, faults and counted calls but keeps listening', async () => {
      await context.stripe.customers.create({ email: 'a@example.test' });
      context.sim.faults.failNext({ path: '/v1/customers', fault: 'server_error' });

      context.sim.reset();
      const customers = await context.stripe.customers.list();

      expect(customers.data).toEqual([]);
      expect(context.sim.events.list()).toEqual([]);
      expect(context.sim.faults.pending()).toBe(0);
      expect(context.sim.calls.count()).toBe(1);
    });
  });

  describe('Stripe-Account', () => {
    test('partitions objects: an id of one account is missing in another', async () => {
      const first = await onboardedAccount(context, 'First Clinic');
      const second = await onboardedAccount(context, 'Second Clinic');
      const customer = await context.stripe.customers.create(
        { email: 'a@example.test' },
        { stripeAccount: first.id },
      );

      const found = await context.stripe.customers.retrieve(
        customer.id,
        {},
        { stripeAccount: first.id },
      );
      const onPlatform = await rejectionOf(context.stripe.customers.retrieve(customer.id));
      const onOther = await rejectionOf(
        context.stripe.customers.retrieve(customer.id, {}, { stripeAccount: second.id }),
      );

      expect(found.id).toBe(customer.id);
      expect(onPlatform.code).toBe('resource_missing');
      expect(onOther.code).toBe('resource_missing');
    });

    test('refuses an account the platform does not have (403 account_invalid)', async () => {
      const error = await rejectionOf(
        context.stripe.customers.list({}, { stripeAccount: 'acct_unknown' }),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripePermissionError);
      expect(error.code).toBe('account_invalid');
    });
  });

  describe('expand', () => {
    test('refuses a field that cannot be expanded', async () => {
      const customer = await context.stripe.customers.create({ email: 'a@example.test' });

      const error = await rejectionOf(
        context.stripe.customers.retrieve(customer.id, { expand: ['email'] }),
      );

      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('expand');
    });

    test('refuses more than four levels, counting `data` of a list as one', async () => {
      const error = await rejectionOf(
        context.stripe.invoicePayments.list({
          expand: ['data.payment.payment_intent.latest_charge.customer'],
        }),
      );

      expect(error.statusCode).toBe(400);
      expect(error.message).toContain('4 levels');
    });
  });
});
