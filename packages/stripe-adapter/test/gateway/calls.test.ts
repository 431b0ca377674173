import { money } from '@memberpay/core';
import { http } from 'msw';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  API,
  aList,
  anInvoice,
  anInvoicePayment,
  aRefund,
  mswGateway,
  stripeError,
  stripeHttp,
  stripeJson,
} from './support/stripe-http';

const { server, recorded, forget } = stripeHttp();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  forget();
});
afterAll(() => server.close());

const EXPAND = {
  'expand[0]': 'payments',
  'expand[1]': 'payments.data.payment.payment_intent',
};

const spec = {
  organizationId: 'org_1',
  requestId: 'req_1',
  revision: 2,
  claimId: 'PCN-1001',
  internalId: 'INT-77',
  customerId: 'cus_1',
  payoutAccountId: 'acct_1',
  amount: money(5000),
  description: 'Co-pay for your visit on 2024-01-02',
  dueAt: new Date('2024-02-14T05:00:00Z'),
  merchantName: 'Sample Clinic',
  idempotencyKey: 'req_1:2',
};

describe('createInvoice', () => {
  test('makes exactly two calls: the draft and its one line, keyed from the spec', async () => {
    server.use(
      http.post(`${API}/v1/invoices`, () =>
        stripeJson(anInvoice({ id: 'in_new', on_behalf_of: 'acct_1' })),
      ),
      http.post(`${API}/v1/invoiceitems`, () => stripeJson({ id: 'ii_1', object: 'invoiceitem' })),
    );
    const { gateway } = mswGateway();

    const invoice = (await gateway.createInvoice(spec))._unsafeUnwrap();
    const [create, line, ...more] = await recorded();

    expect(more).toEqual([]);
    expect(create).toMatchObject({ path: '/v1/invoices', idempotencyKey: 'req_1:2:invoice' });
    expect(line).toMatchObject({ path: '/v1/invoiceitems', idempotencyKey: 'req_1:2:line' });
    expect(invoice).toMatchObject({
      id: 'in_new',
      status: 'draft',
      amountDue: money(5000),
      amountRemaining: money(5000),
      amountPaid: money(0),
      payoutAccountId: 'acct_1',
      tags: { organizationId: 'org_1', requestId: 'req_1', revision: 2 },
    });
  });

  test('sends only what billing needs: no clinical detail, no member contact data', async () => {
    server.use(
      http.post(`${API}/v1/invoices`, () => stripeJson(anInvoice({ id: 'in_new' }))),
      http.post(`${API}/v1/invoiceitems`, () => stripeJson({ id: 'ii_1', object: 'invoiceitem' })),
    );
    const { gateway } = mswGateway();
    const metadata = {
      'metadata[memberpay_organization_id]': 'org_1',
      'metadata[memberpay_request_id]': 'req_1',
      'metadata[memberpay_revision]': '2',
      'metadata[memberpay_claim_id]': 'PCN-1001',
      'metadata[memberpay_internal_id]': 'INT-77',
    };

    await gateway.createInvoice(spec);
    const [create, line] = await recorded();

    expect(create?.params).toEqual({
      customer: 'cus_1',
      currency: 'usd',
      collection_method: 'send_invoice',
      due_date: String(Date.parse('2024-02-14T05:00:00Z') / 1000),
      auto_advance: 'false',
      pending_invoice_items_behavior: 'exclude',
      'payment_settings[payment_method_types][0]': 'card',
      'payment_settings[payment_method_types][1]': 'us_bank_account',
      on_behalf_of: 'acct_1',
      'transfer_data[destination]': 'acct_1',
      description: 'Co-pay for your visit on 2024-01-02',
      'custom_fields[0][name]': 'Claim',
      'custom_fields[0][value]': 'PCN-1001',
      'custom_fields[1][name]': 'Reference',
      'custom_fields[1][value]': 'INT-77',
      ...metadata,
    });
    expect(line?.params).toEqual({
      customer: 'cus_1',
      invoice: 'in_new',
      amount: '5000',
      currency: 'usd',
      description: 'Co-pay for your visit on 2024-01-02',
      ...metadata,
    });
  });

  test('stops after the draft when it fails, with the mapped error', async () => {
    server.use(
      http.post(`${API}/v1/invoices`, () =>
        stripeError(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer' }),
      ),
    );
    const { gateway } = mswGateway();

    const error = (await gateway.createInvoice(spec))._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'invalid_request', code: 'parameter_invalid_integer' });
    expect(await recorded()).toHaveLength(1);
  });
});

describe('invoice transitions', () => {
  test.each([
    ['sendInvoice', '/v1/invoices/in_1/send', {}],
    ['finalizeInvoice', '/v1/invoices/in_1/finalize', { auto_advance: 'false' }],
    ['voidInvoice', '/v1/invoices/in_1/void', {}],
    ['markUncollectible', '/v1/invoices/in_1/mark_uncollectible', {}],
  ] as const)('%s is one call to %s with the caller key', async (method, path, extra) => {
    server.use(
      http.post(`${API}${path}`, () =>
        stripeJson(anInvoice({ id: 'in_1', status: 'open', amount_due: 5000 })),
      ),
    );
    const { gateway } = mswGateway();

    const invoice = (
      await gateway[method]({ invoiceId: 'in_1', idempotencyKey: 'req_1:2:step' })
    )._unsafeUnwrap();
    const requests = await recorded();

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      path,
      idempotencyKey: 'req_1:2:step',
      params: { ...EXPAND, ...extra },
    });
    expect(invoice).toMatchObject({ id: 'in_1', status: 'open', amountDue: money(5000) });
  });

  test('sending maps the hosted link, number and due date', async () => {
    server.use(
      http.post(`${API}/v1/invoices/in_1/send`, () =>
        stripeJson(
          anInvoice({
            id: 'in_1',
            status: 'open',
            hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1/test_1',
            number: 'MP-0001',
            due_date: 1_707_886_800,
          }),
        ),
      ),
    );
    const { gateway } = mswGateway();

    const invoice = (
      await gateway.sendInvoice({ invoiceId: 'in_1', idempotencyKey: 'k' })
    )._unsafeUnwrap();

    expect(invoice).toMatchObject({
      hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_1/test_1',
      number: 'MP-0001',
      dueDate: new Date(1_707_886_800_000),
    });
  });

  test('deleting a draft is a DELETE', async () => {
    server.use(
      http.delete(`${API}/v1/invoices/in_1`, () =>
        stripeJson({ id: 'in_1', object: 'invoice', deleted: true }),
      ),
    );
    const { gateway } = mswGateway();

    const result = await gateway.deleteDraftInvoice('in_1');

    expect(result.isOk()).toBe(true);
    expect(await recorded()).toMatchObject([{ method: 'DELETE', path: '/v1/invoices/in_1' }]);
  });
});

describe('getInvoice', () => {
  const withPayment = (intent: Partial<Stripe.PaymentIntent> | string) =>
    anInvoice({
      status: 'open',
      amount_due: 5000,
      amount_remaining: 5000,
      payments: aList([
        anInvoicePayment(
          {
            type: 'payment_intent',
            payment_intent:
              typeof intent === 'string'
                ? intent
                : ({ id: 'pi_1', object: 'payment_intent', ...intent } as Stripe.PaymentIntent),
          },
          { status: 'open', amount_paid: null },
        ),
      ]),
    });

  test.each([
    ['processing', true],
    ['requires_payment_method', false],
    ['succeeded', false],
  ])('a payment intent %s means a payment in flight: %s', async (status, inFlight) => {
    server.use(
      http.get(`${API}/v1/invoices/in_msw_1`, () =>
        stripeJson(withPayment({ status: status as Stripe.PaymentIntent.Status })),
      ),
    );
    const { gateway } = mswGateway();

    const invoice = (await gateway.getInvoice('in_msw_1'))._unsafeUnwrap();

    expect(invoice.paymentInFlight).toBe(inFlight);
    expect((await recorded())[0]?.params).toEqual(EXPAND);
  });

  test('a payment intent left unexpanded is not taken for one in flight', async () => {
    server.use(http.get(`${API}/v1/invoices/in_msw_1`, () => stripeJson(withPayment('pi_1'))));
    const { gateway } = mswGateway();

    const invoice = (await gateway.getInvoice('in_msw_1'))._unsafeUnwrap();

    expect(invoice.paymentInFlight).toBe(false);
  });

  test('an invoice status Stripe has not documented is refused, not guessed', async () => {
    server.use(
      http.get(`${API}/v1/invoices/in_msw_1`, () =>
        stripeJson(anInvoice({ status: 'archived' as Stripe.Invoice.Status })),
      ),
    );
    const { gateway } = mswGateway();

    const error = (await gateway.getInvoice('in_msw_1'))._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'invalid_request', code: 'unknown_value' });
  });

  test('a currency we do not bill in is refused', async () => {
    server.use(
      http.get(`${API}/v1/invoices/in_msw_1`, () => stripeJson(anInvoice({ currency: 'chf' }))),
    );
    const { gateway } = mswGateway();

    const error = (await gateway.getInvoice('in_msw_1'))._unsafeUnwrapErr();

    expect(error.code).toBe('unsupported_currency');
  });
});

describe('findInvoices', () => {
  test("pages through the customer's invoices and keeps the request's", async () => {
    const tagged = (id: string, requestId: string, status: Stripe.Invoice.Status) =>
      anInvoice({
        id,
        status,
        metadata: { memberpay_request_id: requestId, memberpay_revision: '1' },
      });
    server.use(
      http.get(`${API}/v1/invoices`, ({ request }) => {
        const after = new URL(request.url).searchParams.get('starting_after');
        return after === null
          ? stripeJson(
              aList([tagged('in_3', 'req_9', 'open'), tagged('in_2', 'req_1', 'void')], true),
            )
          : stripeJson(aList([tagged('in_1', 'req_1', 'open')]));
      }),
      http.get(`${API}/v1/invoices/in_1`, () => stripeJson(tagged('in_1', 'req_1', 'open'))),
    );
    const { gateway } = mswGateway();

    const found = (
      await gateway.findInvoices({ customerId: 'cus_1', requestId: 'req_1' })
    )._unsafeUnwrap();
    const requests = await recorded();

    expect(found.map((invoice) => [invoice.id, invoice.status])).toEqual([
      ['in_2', 'void'],
      ['in_1', 'open'],
    ]);
    expect(requests.map((request) => request.params)).toEqual([
      { customer: 'cus_1', limit: '100' },
      { customer: 'cus_1', limit: '100', starting_after: 'in_2' },
      EXPAND,
    ]);
  });
});

describe('refundInvoice (BR-27)', () => {
  const input = {
    invoiceId: 'in_1',
    amount: null,
    organizationId: 'org_1',
    requestId: 'req_1',
    idempotencyKey: 'req_1:refund:2',
  };
  const cardPayment = (intent: string, destination: string | null = 'acct_1') =>
    anInvoicePayment({
      type: 'payment_intent',
      payment_intent: {
        id: intent,
        object: 'payment_intent',
        transfer_data: destination === null ? null : { destination },
      } as Stripe.PaymentIntent,
    });

  test('refunds the payment intent via invoice payments, reversing the transfer', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () => stripeJson(aList([cardPayment('pi_1')]))),
      http.post(`${API}/v1/refunds`, () =>
        stripeJson(aRefund({ id: 're_1', amount: 4000, status: 'pending' })),
      ),
    );
    const { gateway } = mswGateway();

    const refund = (await gateway.refundInvoice(input))._unsafeUnwrap();
    const [list, create] = await recorded();

    expect(list?.params).toEqual({
      invoice: 'in_1',
      status: 'paid',
      limit: '100',
      'expand[0]': 'data.payment.payment_intent',
    });
    expect(create).toMatchObject({
      path: '/v1/refunds',
      idempotencyKey: 'req_1:refund:2:pi_1',
      params: {
        payment_intent: 'pi_1',
        reverse_transfer: 'true',
        'metadata[memberpay_organization_id]': 'org_1',
        'metadata[memberpay_request_id]': 'req_1',
        'metadata[memberpay_invoice_id]': 'in_1',
      },
    });
    // No amount: Stripe refunds what is left, after any refund made in the Dashboard.
    expect(create?.params).not.toHaveProperty('amount');
    expect(refund).toMatchObject({ id: 're_1', status: 'pending', amount: money(4000) });
    expect(refund.invoiceId).toBe('in_1');
  });

  test('a payment moving no money on (staff-attached) is refunded with no reversal', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(aList([cardPayment('pi_staff', null)])),
      ),
      http.post(`${API}/v1/refunds`, () => stripeJson(aRefund({ amount: 2000 }))),
    );
    const { gateway } = mswGateway();

    await gateway.refundInvoice(input);
    const [, create] = await recorded();

    expect(create?.params.payment_intent).toBe('pi_staff');
    expect(create?.params).not.toHaveProperty('reverse_transfer');
  });

  test('a given amount is sent as is', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () => stripeJson(aList([cardPayment('pi_1')]))),
      http.post(`${API}/v1/refunds`, () => stripeJson(aRefund({ amount: 1500 }))),
    );
    const { gateway } = mswGateway();

    await gateway.refundInvoice({ ...input, amount: money(1500) });
    const [, create] = await recorded();

    expect(create?.params.amount).toBe('1500');
  });

  test('a payment made by charge is refunded by charge', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(aList([anInvoicePayment({ type: 'charge', charge: 'ch_1' })])),
      ),
      http.post(`${API}/v1/refunds`, () => stripeJson(aRefund())),
    );
    const { gateway } = mswGateway();

    await gateway.refundInvoice(input);
    const [, create] = await recorded();

    expect(create?.params.charge).toBe('ch_1');
    expect(create?.params).not.toHaveProperty('payment_intent');
  });

  test('an invoice with no refundable payment is refused without a refund call', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(aList([anInvoicePayment({ type: 'payment_record', payment_record: 'pr_1' })])),
      ),
    );
    const { gateway } = mswGateway();

    const error = (await gateway.refundInvoice(input))._unsafeUnwrapErr();

    expect(error).toMatchObject({ kind: 'invalid_request', code: 'no_refundable_payment' });
    expect(await recorded()).toHaveLength(1);
  });

  test('several payments are each refunded; one already fully refunded is skipped', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(aList([cardPayment('pi_2'), cardPayment('pi_1')])),
      ),
      http.post(`${API}/v1/refunds`, async ({ request }) => {
        const intent = new URLSearchParams(await request.text()).get('payment_intent');
        return intent === 'pi_2'
          ? stripeError(400, { type: 'invalid_request_error', code: 'charge_already_refunded' })
          : stripeJson(aRefund({ id: 're_pi_1', payment_intent: 'pi_1', amount: 2000 }));
      }),
    );
    const { gateway } = mswGateway();

    const refund = (await gateway.refundInvoice(input))._unsafeUnwrap();
    const keys = (await recorded()).map((request) => request.idempotencyKey);

    expect(refund).toMatchObject({ id: 're_pi_1', amount: money(2000) });
    expect(keys).toEqual([null, 'req_1:refund:2:pi_2', 'req_1:refund:2:pi_1']);
  });

  test.each(['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const)(
    'a refund %s keeps its status',
    async (status) => {
      server.use(
        http.get(`${API}/v1/refunds/re_1`, () =>
          stripeJson(
            aRefund({
              id: 're_1',
              status,
              failure_reason: status === 'failed' ? 'insufficient_funds' : undefined,
              metadata: { memberpay_invoice_id: 'in_1', memberpay_request_id: 'req_1' },
            }),
          ),
        ),
      );
      const { gateway } = mswGateway();

      const refund = (await gateway.getRefund('re_1'))._unsafeUnwrap();

      expect(refund).toMatchObject({
        status,
        invoiceId: 'in_1',
        tags: { requestId: 'req_1', organizationId: null },
        failureReason: status === 'failed' ? 'insufficient_funds' : null,
      });
    },
  );
});

describe('customers', () => {
  test('a new customer carries the organization and member ids, keyed by the caller', async () => {
    server.use(http.post(`${API}/v1/customers`, () => stripeJson({ id: 'cus_1' })));
    const { gateway } = mswGateway();

    await gateway.createCustomer({
      organizationId: 'org_1',
      memberId: 'mem_1',
      name: 'Jane Doe',
      email: 'jane@example.test',
      phone: null,
      idempotencyKey: 'customer:mem_1',
    });
    const [create] = await recorded();

    expect(create?.params).toEqual({
      name: 'Jane Doe',
      email: 'jane@example.test',
      'metadata[memberpay_organization_id]': 'org_1',
      'metadata[memberpay_member_id]': 'mem_1',
    });
  });

  test('an update unsets contact details that are gone', async () => {
    server.use(http.post(`${API}/v1/customers/cus_1`, () => stripeJson({ id: 'cus_1' })));
    const { gateway } = mswGateway();

    await gateway.updateCustomer({
      customerId: 'cus_1',
      name: 'Jane Roe',
      email: null,
      phone: '+15555550100',
      idempotencyKey: 'customer:mem_1:v2',
    });
    const [update] = await recorded();

    expect(update).toMatchObject({
      idempotencyKey: 'customer:mem_1:v2',
      params: { name: 'Jane Roe', email: '', phone: '+15555550100' },
    });
  });
});

describe('payout accounts', () => {
  test('Express dashboard account via controller properties, with both capabilities', async () => {
    server.use(http.post(`${API}/v1/accounts`, () => stripeJson({ id: 'acct_new' })));
    const { gateway } = mswGateway();

    const created = await gateway.createPayoutAccount({
      organizationId: 'org_1',
      name: 'Sample Clinic',
      email: 'billing@clinic.example.test',
      country: 'US',
      idempotencyKey: 'org_1:payout-account',
    });
    const [create] = await recorded();

    expect(created._unsafeUnwrap()).toEqual({ accountId: 'acct_new' });
    expect(create).toMatchObject({
      idempotencyKey: 'org_1:payout-account',
      params: {
        country: 'US',
        email: 'billing@clinic.example.test',
        'business_profile[name]': 'Sample Clinic',
        'controller[stripe_dashboard][type]': 'express',
        'controller[requirement_collection]': 'stripe',
        'controller[fees][payer]': 'application',
        'controller[losses][payments]': 'application',
        'capabilities[card_payments][requested]': 'true',
        'capabilities[transfers][requested]': 'true',
        'metadata[memberpay_organization_id]': 'org_1',
      },
    });
  });

  test('each onboarding link is asked for anew, never replayed from a key of ours', async () => {
    server.use(
      http.post(`${API}/v1/account_links`, () =>
        stripeJson({
          object: 'account_link',
          url: 'https://connect.stripe.com/setup/e/acct_1/abc',
          created: 1_700_000_000,
          expires_at: 1_700_000_300,
        }),
      ),
    );
    const { gateway } = mswGateway();

    const link = (
      await gateway.createOnboardingLink({
        accountId: 'acct_1',
        refreshUrl: 'https://host.example.test/refresh',
        returnUrl: 'https://host.example.test/return',
      })
    )._unsafeUnwrap();
    const [create] = await recorded();

    expect(link).toEqual({
      url: 'https://connect.stripe.com/setup/e/acct_1/abc',
      expiresAt: new Date(1_700_000_300_000),
    });
    expect(create?.params).toEqual({
      account: 'acct_1',
      type: 'account_onboarding',
      refresh_url: 'https://host.example.test/refresh',
      return_url: 'https://host.example.test/return',
    });
    expect(create?.idempotencyKey).toMatch(/^stripe-node-retry-/);
  });

  test('reads the facts core judges the account by', async () => {
    server.use(
      http.get(`${API}/v1/accounts/acct_1`, () =>
        stripeJson({
          id: 'acct_1',
          object: 'account',
          charges_enabled: false,
          payouts_enabled: false,
          details_submitted: true,
          requirements: {
            currently_due: ['external_account'],
            disabled_reason: 'requirements.past_due',
          },
        }),
      ),
    );
    const { gateway } = mswGateway();

    const facts = (await gateway.getPayoutAccount('acct_1'))._unsafeUnwrap();

    expect(facts).toEqual({
      accountId: 'acct_1',
      chargesEnabled: false,
      payoutsEnabled: false,
      detailsSubmitted: true,
      currentlyDue: ['external_account'],
      disabledReason: 'requirements.past_due',
    });
  });
});
