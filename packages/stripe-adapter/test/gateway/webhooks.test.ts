import { type GatewayEvent, money } from '@memberpay/core';
import { http } from 'msw';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  API,
  aList,
  anInvoice,
  anInvoicePayment,
  aRefund,
  CONNECT_WEBHOOK_SECRET,
  mswGateway,
  stripeError,
  stripeHttp,
  stripeJson,
  WEBHOOK_SECRET,
} from './support/stripe-http';

const { server, recorded, forget } = stripeHttp();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  forget();
});
afterAll(() => server.close());

const NOW = new Date('2024-01-10T15:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const clock = { now: () => NOW };

interface EventShape {
  id?: string;
  type: string;
  object: unknown;
  account?: string;
  created?: number;
  livemode?: boolean;
}

function anEvent({
  id = 'evt_1',
  type,
  object,
  account,
  created = NOW_SECONDS,
  livemode = false,
}: EventShape) {
  return {
    id,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created,
    livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...(account === undefined ? {} : { account }),
    data: { object },
  };
}

function sign(
  rawBody: string,
  { secret = WEBHOOK_SECRET, at = NOW_SECONDS }: { secret?: string; at?: number } = {},
) {
  return Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret, timestamp: at });
}

function signed(event: EventShape, options: { secret?: string; at?: number } = {}) {
  const rawBody = JSON.stringify(anEvent(event));
  return { rawBody, signature: sign(rawBody, options) };
}

async function translate(event: EventShape, options: { secret?: string } = {}) {
  const { gateway } = mswGateway({ clock });
  return (await gateway.verifyWebhook(signed(event, options)))._unsafeUnwrap();
}

describe('BR-19: the signature is checked against the raw body', () => {
  const secret = 'whsec_test_fake';
  const rawBody = `${JSON.stringify(
    anEvent({
      id: 'evt_TEST019',
      type: 'invoice.paid',
      object: anInvoice({
        id: 'in_TEST001',
        status: 'paid',
        amount_due: 5000,
        amount_paid: 5000,
        description: 'Copago – José',
      }),
    }),
    null,
    2,
  )}\n`;
  const signature = sign(rawBody, { secret });
  const { gateway } = mswGateway({ clock, webhookSecrets: secret });

  test('(1) the raw Buffer verifies and reads as paid', async () => {
    const event = (
      await gateway.verifyWebhook({ rawBody: Buffer.from(rawBody, 'utf8'), signature })
    )._unsafeUnwrap();

    expect(event).toMatchObject({ id: 'evt_TEST019', type: 'invoice.paid' });
    expect(event.type === 'invoice.paid' && event.invoice.id).toBe('in_TEST001');
  });

  test('(2) the raw string verifies', async () => {
    const event = (await gateway.verifyWebhook({ rawBody, signature }))._unsafeUnwrap();

    expect(event.id).toBe('evt_TEST019');
  });

  test('(3) a parsed object fails fast, asking for the raw body', async () => {
    const parsed = JSON.parse(rawBody) as unknown as string;

    const error = (await gateway.verifyWebhook({ rawBody: parsed, signature }))._unsafeUnwrapErr();

    expect(error.kind).toBe('raw_body_required');
  });

  test('(4) the bytes with one byte changed are refused', async () => {
    const bytes = Buffer.from(rawBody, 'utf8');
    bytes[bytes.indexOf('5000')] = '6'.charCodeAt(0);

    const error = (await gateway.verifyWebhook({ rawBody: bytes, signature }))._unsafeUnwrapErr();

    expect(error.kind).toBe('signature_invalid');
  });

  test('(5) a signature 10 minutes old is refused as stale', async () => {
    const old = sign(rawBody, { secret, at: NOW_SECONDS - 600 });

    const error = (await gateway.verifyWebhook({ rawBody, signature: old }))._unsafeUnwrapErr();

    expect(error.kind).toBe('timestamp_stale');
  });

  test('re-serialising the parsed body does not verify either', async () => {
    const reserialised = JSON.stringify(JSON.parse(rawBody));

    const error = (
      await gateway.verifyWebhook({ rawBody: reserialised, signature })
    )._unsafeUnwrapErr();

    expect(error.kind).toBe('signature_invalid');
  });

  test('a body signed with another secret (endpoint id, other account) is refused', async () => {
    const forged = sign(rawBody, { secret: 'we_1PretendEndpointId' });

    const error = (await gateway.verifyWebhook({ rawBody, signature: forged }))._unsafeUnwrapErr();

    expect(error.kind).toBe('signature_invalid');
  });
});

describe('verification', () => {
  const invoiceSent = { type: 'invoice.sent', object: anInvoice({ status: 'open' }) };

  test('a Connect delivery verifies with the Connect secret and carries its account', async () => {
    const event = await translate(
      { ...invoiceSent, account: 'acct_connected' },
      { secret: CONNECT_WEBHOOK_SECRET },
    );

    expect(event.accountId).toBe('acct_connected');
  });

  test('the tolerance is configurable, and 0 turns the age check off', async () => {
    const twoMinutesOld = signed(invoiceSent, { at: NOW_SECONDS - 120 });
    const strict = mswGateway({ clock, webhookTolerance: 60 }).gateway;
    const lax = mswGateway({ clock, webhookTolerance: 0 }).gateway;

    const refused = (await strict.verifyWebhook(twoMinutesOld))._unsafeUnwrapErr();
    const accepted = await lax.verifyWebhook(twoMinutesOld);

    expect(refused.kind).toBe('timestamp_stale');
    expect(accepted.isOk()).toBe(true);
  });

  test.each([
    ['a test key', { secretKey: 'sk_test_msw' }, true, 'ignored'],
    ['a live key', { secretKey: 'sk_live_msw' }, false, 'ignored'],
    ['a live restricted key', { secretKey: 'rk_live_msw' }, true, 'invoice.paid'],
    [
      'a test key told it is live',
      { secretKey: 'sk_test_msw', mode: 'live' },
      true,
      'invoice.paid',
    ],
  ] as const)(
    'with %s, an event of livemode %s reads as %s',
    async (_, options, livemode, type) => {
      const { gateway } = mswGateway({ clock, ...options });
      const paid = { type: 'invoice.paid', object: anInvoice({ status: 'paid' }), livemode };

      const event = (await gateway.verifyWebhook(signed(paid)))._unsafeUnwrap();

      expect(event.type).toBe(type);
      expect(event.livemode).toBe(livemode);
      if (event.type === 'ignored') {
        expect(event.gatewayType).toBe('invoice.paid');
      }
    },
  );

  test('with a client of the host, its mode is required and decides', async () => {
    const stripe = new Stripe('sk_live_msw', { host: new URL(API).hostname });
    const { gateway } = mswGateway({ clock, stripe, secretKey: undefined, mode: 'live' });
    const paid = { type: 'invoice.paid', object: anInvoice({ status: 'paid' }) };

    const live = await gateway.verifyWebhook(signed({ ...paid, livemode: true }));
    const test = await gateway.verifyWebhook(signed({ ...paid, livemode: false }));

    expect(live._unsafeUnwrap().type).toBe('invoice.paid');
    expect(test._unsafeUnwrap().type).toBe('ignored');
    expect(() => mswGateway({ stripe, secretKey: undefined, mode: undefined })).toThrow(
      "pass mode ('live' or 'test') with a stripe client of yours",
    );
  });

  test.each(['LIVE', 'production', ''])(
    'a mode of %j is refused when the gateway is built',
    (mode) => {
      expect(() => mswGateway({ mode: mode as 'live' })).toThrow("mode must be 'live' or 'test'");
    },
  );

  test('no configured secret verifies nothing', async () => {
    const { gateway } = mswGateway({ clock, webhookSecrets: [] });

    const error = (await gateway.verifyWebhook(signed(invoiceSent)))._unsafeUnwrapErr();

    expect(error.kind).toBe('signature_invalid');
  });

  test.each([
    ['a body that is not JSON', 'not json'],
    ['JSON that is not an event', '{"object":"invoice"}'],
    [
      'an event whose invoice lacks its amounts',
      JSON.stringify(anEvent({ type: 'invoice.paid', object: { id: 'in_1', status: 'paid' } })),
    ],
  ])('%s is malformed even when correctly signed', async (_, rawBody) => {
    const { gateway } = mswGateway({ clock });

    const error = (
      await gateway.verifyWebhook({ rawBody, signature: sign(rawBody) })
    )._unsafeUnwrapErr();

    expect(error.kind).toBe('malformed');
  });
});

describe('translation', () => {
  test.each([
    ['invoice.sent', 'invoice.sent', 'open'],
    ['invoice.paid', 'invoice.paid', 'paid'],
    ['invoice.payment_failed', 'invoice.payment_failed', 'open'],
    ['invoice.voided', 'invoice.voided', 'void'],
    ['invoice.marked_uncollectible', 'invoice.uncollectible', 'uncollectible'],
    ['invoice.updated', 'invoice.updated', 'open'],
  ] as const)('%s becomes %s with the invoice it carries', async (stripeType, type, status) => {
    const event = await translate({
      id: 'evt_invoice',
      type: stripeType,
      created: 1_700_000_100,
      object: anInvoice({ id: 'in_1', status, amount_due: 5000, amount_remaining: 5000 }),
    });

    expect(event).toEqual({
      id: 'evt_invoice',
      type,
      occurredAt: new Date(1_700_000_100_000),
      accountId: null,
      livemode: false,
      invoice: expect.objectContaining({
        id: 'in_1',
        status,
        amountDue: money(5000),
        tags: { organizationId: 'org_1', requestId: 'req_1', revision: 2 },
      }),
    });
    expect(await recorded()).toEqual([]);
  });

  test.each([
    ['paid', 0, 'invoice.paid'],
    ['open', 3000, 'invoice.partially_paid'],
  ] as const)(
    'invoice_payment.paid on an invoice now %s is %s',
    async (status, remaining, type) => {
      server.use(
        http.get(`${API}/v1/invoices/in_1`, () =>
          stripeJson(
            anInvoice({
              id: 'in_1',
              status,
              amount_due: 5000,
              amount_paid: 5000 - remaining,
              amount_remaining: remaining,
            }),
          ),
        ),
      );

      const event = await translate({
        type: 'invoice_payment.paid',
        object: anInvoicePayment(
          { type: 'payment_intent', payment_intent: 'pi_1' },
          { invoice: 'in_1' },
        ),
      });

      expect(event.type).toBe(type);
      expect(event.type === type && 'invoice' in event && event.invoice.amountRemaining).toEqual(
        money(remaining),
      );
    },
  );

  test('lookups for a connected account event are made as that account', async () => {
    server.use(http.get(`${API}/v1/invoices/in_1`, () => stripeJson(anInvoice({ id: 'in_1' }))));

    await translate(
      {
        type: 'invoice_payment.paid',
        account: 'acct_connected',
        object: anInvoicePayment({ type: 'payment_intent' }, { invoice: 'in_1' }),
      },
      { secret: CONNECT_WEBHOOK_SECRET },
    );

    expect((await recorded())[0]?.account).toBe('acct_connected');
  });

  test('payment_intent.processing: its invoice in one call; bank payment in flight', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(
          aList([
            anInvoicePayment(
              { type: 'payment_intent', payment_intent: 'pi_1' },
              { invoice: anInvoice({ id: 'in_1', status: 'open', amount_remaining: 5000 }) },
            ),
          ]),
        ),
      ),
    );

    const event = await translate({
      type: 'payment_intent.processing',
      object: { id: 'pi_1', object: 'payment_intent', status: 'processing' },
    });
    const requests = await recorded();

    expect(event).toMatchObject({
      type: 'invoice.payment_processing',
      invoice: { id: 'in_1', status: 'open', paymentInFlight: true },
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.params).toEqual({
      'payment[type]': 'payment_intent',
      'payment[payment_intent]': 'pi_1',
      'expand[0]': 'data.invoice',
      limit: '1',
    });
  });

  test('payment_intent.processing for a payment of no invoice is ignored', async () => {
    server.use(http.get(`${API}/v1/invoice_payments`, () => stripeJson(aList([]))));

    const event = await translate({
      type: 'payment_intent.processing',
      object: { id: 'pi_other', object: 'payment_intent', status: 'processing' },
    });

    expect(event).toMatchObject({ type: 'ignored', gatewayType: 'payment_intent.processing' });
  });

  test.each([
    ['refund.created', 'pending'],
    ['refund.updated', 'succeeded'],
    ['refund.failed', 'failed'],
    ['charge.refund.updated', 'succeeded'],
  ] as const)('%s is refund.updated with the refund as it now is (%s)', async (type, status) => {
    const event = await translate({
      type,
      object: aRefund({
        id: 're_1',
        status,
        failure_reason: status === 'failed' ? 'expired_or_canceled_card' : undefined,
        metadata: {
          memberpay_organization_id: 'org_1',
          memberpay_request_id: 'req_1',
          memberpay_invoice_id: 'in_1',
        },
      }),
    });

    expect(event).toMatchObject({
      type: 'refund.updated',
      refund: {
        id: 're_1',
        status,
        amount: money(5000),
        invoiceId: 'in_1',
        failureReason: status === 'failed' ? 'expired_or_canceled_card' : null,
        tags: { organizationId: 'org_1', requestId: 'req_1' },
      },
    });
    expect(await recorded()).toEqual([]);
  });

  test('a refund made in the Dashboard is tied to its invoice through the payment', async () => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(
          aList([
            anInvoicePayment({ type: 'payment_intent' }, { invoice: anInvoice({ id: 'in_7' }) }),
          ]),
        ),
      ),
    );

    const event = await translate({
      type: 'refund.created',
      object: aRefund({ amount: 1000, payment_intent: 'pi_7', metadata: {} }),
    });

    expect(event).toMatchObject({
      type: 'refund.updated',
      refund: {
        amount: money(1000),
        invoiceId: 'in_7',
        tags: { organizationId: 'org_1', requestId: 'req_1' },
      },
    });
  });

  test.each([
    ['charge.dispute.created', 'needs_response', 'dispute.opened', null],
    ['charge.dispute.closed', 'lost', 'dispute.closed', 'lost'],
    ['charge.dispute.closed', 'won', 'dispute.closed', 'won'],
    ['charge.dispute.closed', 'warning_closed', 'dispute.closed', 'won'],
  ] as const)('%s (%s) is %s, outcome %s', async (stripeType, status, type, outcome) => {
    server.use(
      http.get(`${API}/v1/invoice_payments`, () =>
        stripeJson(
          aList([
            anInvoicePayment({ type: 'payment_intent' }, { invoice: anInvoice({ id: 'in_9' }) }),
          ]),
        ),
      ),
    );

    const event = await translate({
      type: stripeType,
      object: {
        id: 'dp_1',
        object: 'dispute',
        amount: 5000,
        currency: 'usd',
        status,
        charge: 'ch_1',
        payment_intent: 'pi_9',
      },
    });

    expect(event).toMatchObject({
      type,
      dispute: {
        id: 'dp_1',
        invoiceId: 'in_9',
        tags: { organizationId: 'org_1', requestId: 'req_1', revision: 2 },
        amount: money(5000),
        outcome,
      },
    });
  });

  test('a dispute on a payment of no invoice of ours has no invoice and empty tags', async () => {
    const event = await translate({
      type: 'charge.dispute.created',
      object: {
        id: 'dp_2',
        object: 'dispute',
        amount: 700,
        currency: 'usd',
        status: 'needs_response',
        charge: 'ch_2',
        payment_intent: null,
      },
    });

    expect(event).toMatchObject({
      type: 'dispute.opened',
      dispute: {
        invoiceId: null,
        tags: { organizationId: null, requestId: null, revision: null },
      },
    });
    expect(await recorded()).toEqual([]);
  });

  test('account.updated is payout_account.updated with the facts', async () => {
    const event = await translate(
      {
        type: 'account.updated',
        account: 'acct_1',
        object: {
          id: 'acct_1',
          object: 'account',
          charges_enabled: true,
          payouts_enabled: true,
          details_submitted: true,
          requirements: { currently_due: [], disabled_reason: null },
        },
      },
      { secret: CONNECT_WEBHOOK_SECRET },
    );

    expect(event).toMatchObject({
      type: 'payout_account.updated',
      accountId: 'acct_1',
      account: {
        accountId: 'acct_1',
        chargesEnabled: true,
        payoutsEnabled: true,
        detailsSubmitted: true,
        currentlyDue: [],
        disabledReason: null,
      },
    });
  });

  test.each(['customer.created', 'invoice.finalized', 'charge.succeeded', 'v1.unheard.of'])(
    '%s is acknowledged and ignored',
    async (type) => {
      const event = await translate({ type, object: { id: 'x_1' } });

      expect(event).toMatchObject({ type: 'ignored', gatewayType: type });
    },
  );

  test('a failed lookup is a gateway error, so Stripe gets non-2xx and redelivers', async () => {
    server.use(http.get(`${API}/v1/invoices/in_1`, () => stripeError(500, { type: 'api_error' })));
    const { gateway } = mswGateway({ clock });

    const error = (
      await gateway.verifyWebhook(
        signed({
          type: 'invoice_payment.paid',
          object: anInvoicePayment({ type: 'payment_intent' }, { invoice: 'in_1' }),
        }),
      )
    )._unsafeUnwrapErr();

    expect(error.kind).toBe('unavailable');
  });
});

describe('BR-20: the same event delivered twice', () => {
  test('translates to the same event, in a row or at once, for core to apply once', async () => {
    const { gateway } = mswGateway({ clock });
    const delivery = signed({
      id: 'evt_TEST100',
      type: 'invoice.paid',
      object: anInvoice({ id: 'in_TEST001', status: 'paid' }),
    });

    const first = (await gateway.verifyWebhook(delivery))._unsafeUnwrap();
    const second = (await gateway.verifyWebhook(delivery))._unsafeUnwrap();
    const concurrent = await Promise.all([
      gateway.verifyWebhook(delivery),
      gateway.verifyWebhook(delivery),
    ]);

    expect(second).toEqual(first);
    expect(concurrent.map((result) => result._unsafeUnwrap())).toEqual([first, first]);
    expect(first.id).toBe('evt_TEST100');
  });
});

describe('BR-21: events out of order each carry their own snapshot and time', () => {
  const deliver = async (event: EventShape): Promise<GatewayEvent> => translate(event);

  test('(a) paid, then a late finalized and sent: nothing reads as newer than paid', async () => {
    const paid = await deliver({
      type: 'invoice.paid',
      created: 1_700_000_100,
      object: anInvoice({ id: 'in_TEST002', status: 'paid' }),
    });
    const finalized = await deliver({
      type: 'invoice.finalized',
      created: 1_700_000_099,
      object: anInvoice({ id: 'in_TEST002', status: 'open' }),
    });
    const sent = await deliver({
      type: 'invoice.sent',
      created: 1_700_000_099,
      object: anInvoice({ id: 'in_TEST002', status: 'open' }),
    });

    expect(paid).toMatchObject({ type: 'invoice.paid', invoice: { status: 'paid' } });
    expect(finalized.type).toBe('ignored');
    expect(sent).toMatchObject({ type: 'invoice.sent', invoice: { status: 'open' } });
    expect(sent.occurredAt.getTime()).toBeLessThan(paid.occurredAt.getTime());
  });

  test('(b) an "open" update in the same second as paid says updated, not paid', async () => {
    const updated = await deliver({
      type: 'invoice.updated',
      created: 1_700_000_200,
      object: anInvoice({ id: 'in_TEST003', status: 'open' }),
    });

    expect(updated).toMatchObject({ type: 'invoice.updated', invoice: { status: 'open' } });
  });

  test('(c) paid outside Stripe raises invoice.paid, which reads as paid', async () => {
    const paid = await deliver({
      type: 'invoice.paid',
      object: { ...anInvoice({ id: 'in_TEST004', status: 'paid' }), paid_out_of_band: true },
    });

    expect(paid).toMatchObject({ type: 'invoice.paid', invoice: { id: 'in_TEST004' } });
  });
});
