import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { onboardedAccount, type SimulatorContext, startSim } from './support';

/**
 * The simulator against Stripe's own contract data in ../shared/stripe-openapi (a workspace
 * checkout has it; a user's clone does not, and these checks then skip).
 */
const CONTRACT_DIR = fileURLToPath(
  new URL('../../../../../shared/stripe-openapi/', import.meta.url),
);
const available = existsSync(CONTRACT_DIR);
if (!available) {
  console.info('contract checks skipped: ../shared/stripe-openapi is absent');
}

/** Fixture fields that objects of the pinned API version (stripe-node 23.2) no longer have. */
const FIELDS_NOT_ON_PINNED_OBJECTS: Readonly<Record<string, readonly string[]>> = {
  // Removed from invoices in 2025-03-31.basil; it now lives in parent.subscription_details.
  invoice: ['subscription'],
};

/**
 * Parameters of the 2023-08-16 spec that stripe-node 23.2's params types no longer list, so
 * the simulator refuses them as the pinned API does.
 */
const PARAMS_REMOVED_SINCE_2023: Readonly<Record<string, readonly string[]>> = {
  'POST /v1/accounts': ['bank_account'],
  'POST /v1/customers': ['coupon', 'promotion_code'],
  'POST /v1/customers/{customer}': [
    'bank_account',
    'card',
    'coupon',
    'default_alipay_account',
    'default_bank_account',
    'default_card',
    'promotion_code',
  ],
  'POST /v1/invoiceitems': ['price', 'unit_amount'],
  'POST /v1/invoiceitems/{invoiceitem}': ['price', 'unit_amount'],
  'POST /v1/invoices': ['rendering_options'],
  'POST /v1/invoices/{invoice}': ['rendering_options'],
  'POST /v1/payment_intents': ['payment_method_types'],
  'POST /v1/payment_intents/{intent}': ['payment_method_types'],
  'POST /v1/payment_intents/{intent}/confirm': ['client_secret', 'payment_method_types'],
};

/** Spec operations the simulator leaves out: none is on the SDK's path. */
const NOT_SIMULATED = new Set([
  'POST /v1/charges',
  'POST /v1/charges/{charge}/refunds',
  'POST /v1/payment_intents/{intent}/capture',
]);

interface SpecOperation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: {
    content: Record<string, { schema: { properties?: Record<string, unknown> } }>;
  };
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(`${CONTRACT_DIR}${name}`, 'utf8')) as T;
}

describe.skipIf(!available)('contract with ../shared/stripe-openapi', () => {
  let context: SimulatorContext;
  let objects: Record<string, object>;

  beforeAll(async () => {
    context = await startSim();
    objects = await oneOfEach(context);
  });

  afterAll(async () => {
    await context.sim.close();
  });

  describe("objects carry every field of Stripe's example objects", () => {
    test.each([
      'account',
      'account_link',
      'charge',
      'customer',
      'dispute',
      'event',
      'invoice',
      'invoice_payment',
      'invoiceitem',
      'line_item',
      'login_link',
      'payment_intent',
      'refund',
      'transfer',
      'transfer_reversal',
      'webhook_endpoint',
    ])('%s', (resource) => {
      const fixtures = readJson<{ resources: Record<string, object> }>(
        'fixtures3.api-2026-07-29.dahlia.json',
      ).resources;
      const expected = Object.keys(fixtures[resource] ?? {}).filter(
        (field) => !(FIELDS_NOT_ON_PINNED_OBJECTS[resource] ?? []).includes(field),
      );

      const missing = expected.filter((field) => !(field in (objects[resource] ?? {})));

      expect(expected.length).toBeGreaterThan(2);
      expect(missing).toEqual([]);
    });
  });

  test('every request parameter of the spec is accepted, except those removed since', async () => {
    const spec = readJson<{ paths: Record<string, Record<string, SpecOperation>> }>(
      'spec3.subset.api-2023-08-16.json',
    );
    const refused: Record<string, string[]> = {};
    let checked = 0;

    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (NOT_SIMULATED.has(name)) {
          continue;
        }
        for (const param of parameterNames(operation)) {
          checked += 1;
          if (await isRefusedAsUnknown(context, method, path, param)) {
            refused[name] = [...(refused[name] ?? []), param];
          }
        }
      }
    }

    expect(checked).toBeGreaterThan(250);
    expect(refused).toEqual(PARAMS_REMOVED_SINCE_2023);
  });

  test('the operations left out are really missing (404 unrecognized URL)', async () => {
    for (const operation of NOT_SIMULATED) {
      const [method = '', path = ''] = operation.split(' ');

      const body = await call(context, method, path, '');

      expect(body.error?.message).toMatch(/^No API route for/);
    }
  });
});

function parameterNames(operation: SpecOperation): string[] {
  const form = operation.requestBody?.content['application/x-www-form-urlencoded'];
  if (form !== undefined) {
    return Object.keys(form.schema.properties ?? {});
  }
  return (operation.parameters ?? [])
    .filter((param) => param.in === 'query')
    .map((param) => param.name);
}

async function call(
  context: SimulatorContext,
  method: string,
  specPath: string,
  encoded: string,
): Promise<{ error?: { code?: string; message?: string } }> {
  const path = specPath.replace(/\{[^}]+\}/g, 'obj_1');
  const isPost = method.toUpperCase() === 'POST';
  const response = await fetch(
    `${context.sim.url}${path}${isPost || encoded === '' ? '' : `?${encoded}`}`,
    {
      method: method.toUpperCase(),
      headers: {
        Authorization: `Bearer ${context.sim.apiKey}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      ...(isPost ? { body: encoded } : {}),
    },
  );
  return (await response.json()) as { error?: { code?: string; message?: string } };
}

async function isRefusedAsUnknown(
  context: SimulatorContext,
  method: string,
  path: string,
  param: string,
): Promise<boolean> {
  const body = await call(context, method, path, `${encodeURIComponent(param)}=1`);
  return body.error?.code === 'parameter_unknown';
}

/** One object of every resource, each as the API answers it. */
async function oneOfEach(context: SimulatorContext): Promise<Record<string, object>> {
  const { sim, stripe } = context;
  const account = await onboardedAccount(context);
  const accountLink = await stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
  });
  const loginLink = await stripe.accounts.createLoginLink(account.id);
  const customer = await stripe.customers.create({ email: 'member@example.test' });
  const draft = await stripe.invoices.create({
    customer: customer.id,
    collection_method: 'send_invoice',
    days_until_due: 30,
    on_behalf_of: account.id,
    transfer_data: { destination: account.id },
  });
  const item = await stripe.invoiceItems.create({
    invoice: draft.id,
    customer: customer.id,
    amount: 2500,
  });
  await stripe.invoices.sendInvoice(draft.id);
  const paid = await sim.testHelpers.payInvoiceWithCard(draft.id);
  const chargeId = paid.charge?.id ?? '';
  const refund = await stripe.refunds.create({
    charge: chargeId,
    amount: 500,
    reverse_transfer: true,
  });
  const charge = await stripe.charges.retrieve(chargeId, { expand: ['refunds'] });
  const transferId = String(charge.transfer);
  const endpoint = await stripe.webhookEndpoints.create({
    url: 'https://platform.example/webhooks',
    enabled_events: ['*'],
  });
  const invoice = await stripe.invoices.retrieve(draft.id);
  const [payment] = (await stripe.invoicePayments.list({ invoice: draft.id })).data;
  const [reversal] = (await stripe.transfers.listReversals(transferId)).data;
  const [event] = (await stripe.events.list()).data;

  return {
    account: await stripe.accounts.retrieve(account.id),
    account_link: accountLink,
    charge,
    customer: await stripe.customers.retrieve(customer.id),
    dispute: await sim.testHelpers.openDispute(chargeId),
    event: event as Stripe.Event,
    invoice,
    invoice_payment: payment as Stripe.InvoicePayment,
    invoiceitem: await stripe.invoiceItems.retrieve(item.id),
    line_item: invoice.lines.data[0] as Stripe.InvoiceLineItem,
    login_link: loginLink,
    payment_intent: await stripe.paymentIntents.retrieve(paid.paymentIntent.id),
    refund,
    transfer: await stripe.transfers.retrieve(transferId),
    transfer_reversal: reversal as Stripe.TransferReversal,
    webhook_endpoint: endpoint,
  };
}
