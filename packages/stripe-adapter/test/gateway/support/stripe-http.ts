import { HttpResponse, type JsonBodyType } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';
import type Stripe from 'stripe';
import { StripePaymentGateway, type StripePaymentGatewayOptions } from '../../../src/index';

/** Stripe's API as stripe-node addresses it by default; msw intercepts it in these tests. */
export const API = 'https://api.stripe.com';

export const WEBHOOK_SECRET = 'whsec_test_platform';
export const CONNECT_WEBHOOK_SECRET = 'whsec_test_connect';

/** One request stripe-node sent, with its form body flattened (`metadata[x]` keys kept). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly idempotencyKey: string | null;
  readonly account: string | null;
  readonly stripeVersion: string | null;
}

export interface StripeHttp {
  readonly server: SetupServer;
  /** Every request so far, in the order sent. */
  recorded(): Promise<RecordedRequest[]>;
  /** Forgets the requests recorded so far. */
  forget(): void;
}

/** An msw server that records every request; handlers are added per test with `server.use`. */
export function stripeHttp(): StripeHttp {
  const server = setupServer();
  let requests: Promise<RecordedRequest>[] = [];

  server.events.on('request:start', ({ request }) => {
    const url = new URL(request.url);
    const body =
      request.method === 'GET' ? Promise.resolve(url.search.slice(1)) : request.clone().text();
    requests.push(
      body.then((text) => ({
        method: request.method,
        path: url.pathname,
        params: Object.fromEntries(new URLSearchParams(text)),
        idempotencyKey: request.headers.get('idempotency-key'),
        account: request.headers.get('stripe-account'),
        stripeVersion: request.headers.get('stripe-version'),
      })),
    );
  });

  return {
    server,
    recorded: () => Promise.all(requests),
    forget: () => {
      requests = [];
    },
  };
}

let requestCounter = 0;

/** A Stripe answer with the headers stripe-node reads. */
export function stripeJson(
  body: JsonBodyType,
  init: { status?: number; headers?: Record<string, string> } = {},
): HttpResponse<JsonBodyType> {
  requestCounter += 1;
  return HttpResponse.json(body, {
    status: init.status ?? 200,
    headers: { 'request-id': `req_msw_${requestCounter}`, ...init.headers },
  });
}

export function stripeError(
  status: number,
  error: { type: string; code?: string; message?: string; param?: string },
  headers: Record<string, string> = {},
): HttpResponse<JsonBodyType> {
  return stripeJson(
    { error: { message: `${error.type} ${error.code ?? ''}`.trim(), ...error } },
    { status, headers },
  );
}

/** A gateway that talks to msw, never waits, and draws the middle of every jitter range. */
export function mswGateway(options: Partial<StripePaymentGatewayOptions> = {}): {
  gateway: StripePaymentGateway;
  sleeps: number[];
} {
  const sleeps: number[] = [];
  const gateway = new StripePaymentGateway({
    secretKey: 'sk_test_msw',
    maxNetworkRetries: 0,
    maxRequestsPerSecond: null,
    webhookSecrets: [WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET],
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  } as StripePaymentGatewayOptions);
  return { gateway, sleeps };
}

export function anInvoice(overrides: Partial<Stripe.Invoice> = {}): Stripe.Invoice {
  return {
    id: 'in_msw_1',
    object: 'invoice',
    status: 'draft',
    customer: 'cus_msw_1',
    on_behalf_of: 'acct_msw_1',
    currency: 'usd',
    amount_due: 0,
    amount_paid: 0,
    amount_remaining: 0,
    hosted_invoice_url: null,
    number: null,
    due_date: 1_706_745_600,
    metadata: {
      memberpay_organization_id: 'org_1',
      memberpay_request_id: 'req_1',
      memberpay_revision: '2',
    },
    ...overrides,
  } as Stripe.Invoice;
}

export function aRefund(overrides: Partial<Stripe.Refund> = {}): Stripe.Refund {
  return {
    id: 're_msw_1',
    object: 'refund',
    amount: 5000,
    currency: 'usd',
    status: 'pending',
    payment_intent: 'pi_msw_1',
    charge: 'ch_msw_1',
    metadata: {},
    ...overrides,
  } as Stripe.Refund;
}

export function anInvoicePayment(
  payment: Stripe.InvoicePayment.Payment,
  overrides: Partial<Stripe.InvoicePayment> = {},
): Stripe.InvoicePayment {
  return {
    id: 'inpay_msw_1',
    object: 'invoice_payment',
    amount_paid: 5000,
    amount_requested: 5000,
    currency: 'usd',
    invoice: 'in_msw_1',
    is_default: true,
    status: 'paid',
    payment,
    ...overrides,
  } as Stripe.InvoicePayment;
}

export function aList<T>(data: readonly T[], hasMore = false): Stripe.ApiList<T> {
  return { object: 'list', data: [...data], has_more: hasMore, url: '/v1/list' };
}
