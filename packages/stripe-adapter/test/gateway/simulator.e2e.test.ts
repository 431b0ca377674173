import { type GatewayEvent, type InvoiceSpec, money } from '@memberpay/core';
import type { ResultAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StripeSimulatorOptions } from '../../src/simulator/index';
import { type SimulatorHarness, simulatorHarness } from './support/simulator-harness';

/** The gateway end to end on the simulator: stripe-node's real HTTP stack, real webhooks. */

async function ok<T, E>(result: ResultAsync<T, E>): Promise<T> {
  const settled = await result;
  if (settled.isErr()) {
    throw new Error(`expected success, got ${String(settled.error)}`);
  }
  return settled.value;
}

async function failure<T, E>(result: ResultAsync<T, E>): Promise<E> {
  const settled = await result;
  if (settled.isOk()) {
    throw new Error('expected a failure, got success');
  }
  return settled.error;
}

let sequence = 0;
const unique = (prefix: string) => {
  sequence += 1;
  return `${prefix}_${sequence}`;
};

/** One harness per describe block, with an onboarded payout account. */
function onSimulator(simulator: StripeSimulatorOptions = {}) {
  const context = {} as { harness: SimulatorHarness; accountId: string };

  beforeAll(async () => {
    context.harness = await simulatorHarness({ simulator });
    const { accountId } = await ok(
      context.harness.gateway.createPayoutAccount({
        organizationId: 'org_1',
        name: 'Sample Clinic',
        email: null,
        country: 'US',
        idempotencyKey: unique('account'),
      }),
    );
    await context.harness.completeOnboarding(accountId);
    await context.harness.takeWebhooks();
    context.accountId = accountId;
  });

  afterAll(async () => {
    await context.harness?.close();
  });

  return context;
}

async function newCustomer(harness: SimulatorHarness, email: string | null = 'm@example.test') {
  const { customerId } = await ok(
    harness.gateway.createCustomer({
      organizationId: 'org_1',
      memberId: unique('mem'),
      name: 'Jane Doe',
      email,
      phone: null,
      idempotencyKey: unique('customer'),
    }),
  );
  return customerId;
}

function specFor(
  context: { harness: SimulatorHarness; accountId: string },
  customerId: string,
  overrides: Partial<InvoiceSpec> = {},
): InvoiceSpec {
  const requestId = overrides.requestId ?? unique('req');
  return {
    organizationId: 'org_1',
    requestId,
    revision: 1,
    claimId: 'PCN-1001',
    internalId: 'INT-1001',
    customerId,
    payoutAccountId: context.accountId,
    amount: money(5000),
    description: 'Co-pay for your visit on 2024-01-02',
    dueAt: new Date(context.harness.now().getTime() + 30 * 86_400_000),
    idempotencyKey: `${requestId}:${overrides.revision ?? 1}`,
    ...overrides,
  };
}

async function eventsOf(harness: SimulatorHarness): Promise<GatewayEvent[]> {
  const events: GatewayEvent[] = [];
  for (const webhook of await harness.takeWebhooks()) {
    events.push(await ok(harness.gateway.verifyWebhook(webhook)));
  }
  return events;
}

describe('calls per request', () => {
  const context = onSimulator();

  test('a new member costs 4 calls, a member with a customer 3', async () => {
    const { harness } = context;
    const calls = () => harness.sim.calls.count();

    const before = calls();
    const customerId = await newCustomer(harness);
    const first = await ok(harness.gateway.createInvoice(specFor(context, customerId)));
    await ok(harness.gateway.sendInvoice({ invoiceId: first.id, idempotencyKey: unique('send') }));
    const afterNewMember = calls();
    const second = await ok(harness.gateway.createInvoice(specFor(context, customerId)));
    await ok(harness.gateway.sendInvoice({ invoiceId: second.id, idempotencyKey: unique('send') }));

    expect(afterNewMember - before).toBe(4);
    expect(calls() - afterNewMember).toBe(3);
  });
});

describe('a run cut short after Stripe did part of the work (BR-17)', () => {
  const context = onSimulator();

  test('failure between the draft and its line: a re-run finishes the same invoice', async () => {
    const { harness } = context;
    const spec = specFor(context, await newCustomer(harness));
    harness.sim.faults.failNext({
      method: 'POST',
      path: '/v1/invoiceitems',
      fault: 'server_error',
    });

    const lost = await failure(harness.gateway.createInvoice(spec));
    const again = await ok(harness.gateway.createInvoice(spec));
    const found = await ok(
      harness.gateway.findInvoices({ customerId: spec.customerId, requestId: spec.requestId }),
    );

    expect(lost.kind).toBe('unavailable');
    expect(found.map((invoice) => invoice.id)).toEqual([again.id]);
    expect(found[0]?.amountDue).toEqual(money(5000));
  });

  test("stripe-node's own retry replays the stored answer under the same key", async () => {
    const { harness } = context;
    const gateway = harness.gatewayWith({ maxNetworkRetries: 1 });
    const spec = specFor(context, await newCustomer(harness));
    harness.sim.faults.failNext({ method: 'POST', path: '/v1/invoices', fault: 'response_lost' });

    const invoice = await ok(gateway.createInvoice(spec));
    const creations = harness.sim.calls
      .list()
      .filter((call) => call.idempotencyKey === `${spec.idempotencyKey}:invoice`);

    expect(invoice.amountDue).toEqual(money(5000));
    expect(creations.map((call) => [call.status, call.replayed])).toEqual([
      [null, false],
      [200, true],
    ]);
  });
});

describe('idempotency keys (BR-22)', () => {
  const context = onSimulator();

  test('key reused with other parameters: idempotency_mismatch, no second invoice', async () => {
    const { harness } = context;
    const spec = specFor(context, await newCustomer(harness));
    const first = await ok(harness.gateway.createInvoice(spec));

    const error = await failure(harness.gateway.createInvoice({ ...spec, amount: money(4500) }));
    const found = await ok(
      harness.gateway.findInvoices({ customerId: spec.customerId, requestId: spec.requestId }),
    );

    expect(error).toMatchObject({ kind: 'idempotency_mismatch', retryable: false });
    expect(found.map((invoice) => [invoice.id, invoice.amountDue.minor])).toEqual([
      [first.id, 5000],
    ]);
  });

  test('an edited request bills under its new revision: new draft, old one deleted', async () => {
    const { harness } = context;
    const customerId = await newCustomer(harness);
    const original = specFor(context, customerId);
    const old = await ok(harness.gateway.createInvoice(original));

    const edited = await ok(
      harness.gateway.createInvoice(
        specFor(context, customerId, {
          requestId: original.requestId,
          revision: 2,
          amount: money(4500),
        }),
      ),
    );
    await ok(harness.gateway.deleteDraftInvoice(old.id));
    const found = await ok(
      harness.gateway.findInvoices({ customerId, requestId: original.requestId }),
    );

    expect(
      found.map((invoice) => [invoice.id, invoice.amountDue.minor, invoice.tags.revision]),
    ).toEqual([[edited.id, 4500, 2]]);
  });

  test('a 409 for a key still in flight is waited out and retried', async () => {
    const { harness } = context;
    const spec = specFor(context, await newCustomer(harness));
    harness.sim.faults.failNext({ method: 'POST', path: '/v1/invoices', fault: 'conflict' });

    const invoice = await ok(harness.gateway.createInvoice(spec));

    expect(invoice.status).toBe('draft');
    expect(harness.sim.faults.pending()).toBe(0);
  });
});

describe('rate limits (BR-26)', () => {
  const context = onSimulator();

  test('429s are retried with the same key until they pass: one invoice', async () => {
    const { harness } = context;
    const spec = specFor(context, await newCustomer(harness));
    harness.sim.faults.failNext({
      method: 'POST',
      path: '/v1/invoices',
      fault: 'rate_limit',
      times: 3,
    });

    const invoice = await ok(harness.gateway.createInvoice(spec));
    const attempts = harness.sim.calls
      .list()
      .filter((call) => call.idempotencyKey === `${spec.idempotencyKey}:invoice`);

    expect(attempts.map((call) => call.status)).toEqual([429, 429, 429, 200]);
    const found = await ok(
      harness.gateway.findInvoices({ customerId: spec.customerId, requestId: spec.requestId }),
    );
    expect(found.map((found) => found.id)).toEqual([invoice.id]);
  });

  test('past the retry budget: rate_limited and retryable, nothing half-made', async () => {
    const { harness } = context;
    const gateway = harness.gatewayWith({ retry: { maxAttempts: 2 } });
    const spec = specFor(context, await newCustomer(harness));
    harness.sim.faults.failNext({
      method: 'POST',
      path: '/v1/invoices',
      fault: 'rate_limit',
      times: 2,
    });

    const error = await failure(gateway.createInvoice(spec));
    const found = await ok(
      harness.gateway.findInvoices({ customerId: spec.customerId, requestId: spec.requestId }),
    );

    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(found).toEqual([]);
  });

  test('the pacer keeps a burst of calls under the test-mode cap of 25 per second', async () => {
    const { harness } = context;
    harness.sim.faults.setRateLimit(25);
    const paced = harness.gatewayWith({
      maxRequestsPerSecond: undefined,
      retry: { maxAttempts: 1 },
      sleep: undefined,
    });
    harness.sim.calls.reset();

    const results = await Promise.all(
      Array.from({ length: 40 }, () => paced.getPayoutAccount(context.accountId)),
    );
    harness.sim.faults.setRateLimit(null);

    expect(results.filter((result) => result.isErr())).toEqual([]);
    expect(harness.sim.calls.list().filter((call) => call.status === 429)).toEqual([]);
  });

  test('without the pacer the same burst runs into the cap', async () => {
    const { harness } = context;
    harness.sim.faults.setRateLimit(25);
    const unpaced = harness.gatewayWith({ retry: { maxAttempts: 1 } });

    const results = await Promise.all(
      Array.from({ length: 40 }, () => unpaced.getPayoutAccount(context.accountId)),
    );
    harness.sim.faults.setRateLimit(null);

    const limited = results.filter((result) => result.isErr());
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?._unsafeUnwrapErr().kind).toBe('rate_limited');
  });
});

describe('cancelling a paid request: refund, never void (BR-27)', () => {
  const context = onSimulator({ refunds: { startPending: true, settleAfterMs: null } });

  const paidInvoice = async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness))),
    );
    await ok(harness.gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }));
    await harness.payByCard(draft.id);
    await harness.takeWebhooks();
    return draft;
  };

  const refundOf = (invoice: { id: string; tags: { requestId: string | null } }, key: string) => ({
    invoiceId: invoice.id,
    amount: null,
    organizationId: 'org_1',
    requestId: invoice.tags.requestId ?? '',
    idempotencyKey: key,
  });

  test('voiding a paid invoice is refused and changes nothing', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();

    const error = await failure(
      harness.gateway.voidInvoice({ invoiceId: invoice.id, idempotencyKey: unique('void') }),
    );

    expect(error.kind).toBe('invalid_request');
    expect((await ok(harness.gateway.getInvoice(invoice.id))).status).toBe('paid');
  });

  test('a pending refund is reported pending, then succeeded when Stripe says so', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();

    const refund = await ok(harness.gateway.refundInvoice(refundOf(invoice, unique('refund'))));
    const created = await eventsOf(harness);
    await harness.sim.testHelpers.succeedRefund(refund.id);
    const settled = await eventsOf(harness);

    expect(refund).toMatchObject({ status: 'pending', amount: money(5000), invoiceId: invoice.id });
    const statuses = (events: GatewayEvent[]) =>
      events.flatMap((event) =>
        event.type === 'refund.updated' && event.refund.id === refund.id
          ? [event.refund.status]
          : [],
      );
    expect(statuses(created)).toEqual(['pending']);
    expect(statuses(settled)).toContain('succeeded');
    expect((await ok(harness.gateway.getRefund(refund.id))).status).toBe('succeeded');
  });

  test('a failed refund says so with its reason, and a new attempt refunds again', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();
    const first = await ok(harness.gateway.refundInvoice(refundOf(invoice, unique('refund'))));
    await harness.takeWebhooks();

    await harness.sim.testHelpers.failRefund(first.id, { failureReason: 'insufficient_funds' });
    const events = await eventsOf(harness);
    const retry = await ok(harness.gateway.refundInvoice(refundOf(invoice, unique('refund'))));

    const failed = events.find(
      (event) => event.type === 'refund.updated' && event.refund.id === first.id,
    );
    expect(failed).toMatchObject({
      refund: { status: 'failed', failureReason: 'insufficient_funds', invoiceId: invoice.id },
    });
    expect(retry.id).not.toBe(first.id);
    expect(retry.amount).toEqual(money(5000));
  });

  test('cancelling twice at once with the same key refunds once', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();
    const key = unique('refund');

    const [one, two] = await Promise.all([
      ok(harness.gateway.refundInvoice(refundOf(invoice, key))),
      ok(harness.gateway.refundInvoice(refundOf(invoice, key))),
    ]);
    const refunds = await harness.stripe.refunds.list({ limit: 100 });

    expect(two.id).toBe(one.id);
    expect(
      refunds.data.filter((refund) => refund.metadata?.memberpay_invoice_id === invoice.id),
    ).toHaveLength(1);
  });

  test('after a 1000-cent Dashboard refund, 4000 refunded and the transfer reversed', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();
    await harness.refundOutside(invoice.id, money(1000));

    const refund = await ok(harness.gateway.refundInvoice(refundOf(invoice, unique('refund'))));
    const atStripe = await harness.stripe.refunds.retrieve(refund.id);

    expect(refund.amount).toEqual(money(4000));
    expect(atStripe.transfer_reversal).not.toBeNull();
  });

  test('the Dashboard refund reaches core tied to its invoice and request', async () => {
    const { harness } = context;
    const invoice = await paidInvoice();

    await harness.refundOutside(invoice.id, money(1000));
    const events = await eventsOf(harness);

    const outside = events.find((event) => event.type === 'refund.updated');
    expect(outside).toMatchObject({
      refund: {
        amount: money(1000),
        invoiceId: invoice.id,
        tags: { organizationId: 'org_1', requestId: invoice.tags.requestId },
      },
    });
  });
});

describe('sent means sent (BR-30)', () => {
  const context = onSimulator();

  test('a member with an email gets one send call; the invoice is open with its link', async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness))),
    );

    const sent = await ok(
      harness.gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }),
    );
    const events = await eventsOf(harness);

    expect(sent.status).toBe('open');
    expect(sent.hostedInvoiceUrl).toContain(harness.sim.url);
    expect(harness.sim.calls.count({ method: 'POST', path: `/v1/invoices/${draft.id}/send` })).toBe(
      1,
    );
    expect(
      events.some((event) => event.type === 'invoice.sent' && event.invoice.id === draft.id),
    ).toBe(true);
  });

  test('a member with no email: finalizing gives the link to text, sends nothing', async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness, null))),
    );

    const finalized = await ok(
      harness.gateway.finalizeInvoice({ invoiceId: draft.id, idempotencyKey: unique('finalize') }),
    );
    const events = await eventsOf(harness);

    expect(finalized.status).toBe('open');
    expect(finalized.hostedInvoiceUrl).toContain(harness.sim.url);
    expect(events.some((event) => event.type === 'invoice.sent')).toBe(false);
  });
});

describe('webhook delivery as Stripe does it (BR-19, BR-20, BR-21)', () => {
  const context = onSimulator();

  const sentInvoice = async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness))),
    );
    return ok(harness.gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }));
  };

  test('duplicate deliveries translate to the same event ids, for core to apply once', async () => {
    const { harness } = context;
    harness.sim.webhooks.configure({ duplicates: true });
    const invoice = await sentInvoice();
    await harness.payByCard(invoice.id);
    const events = await eventsOf(harness);
    harness.sim.webhooks.configure({ duplicates: false });

    const paid = events.filter(
      (event) => event.type === 'invoice.paid' && event.invoice.id === invoice.id,
    );
    const ids = [...new Set(paid.map((event) => event.id))];
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const copies = paid.filter((event) => event.id === id);
      expect(copies).toHaveLength(2);
      expect(copies[1]).toEqual(copies[0]);
    }
  });

  test('deliveries in reverse order still read as paid, and reading back agrees', async () => {
    const { harness } = context;
    harness.sim.webhooks.configure({ outOfOrder: true });
    const invoice = await sentInvoice();
    await harness.payByCard(invoice.id);
    const events = await eventsOf(harness);
    harness.sim.webhooks.configure({ outOfOrder: false });

    const paid = events.find(
      (event) => event.type === 'invoice.paid' && event.invoice.id === invoice.id,
    );
    expect(paid).toMatchObject({ invoice: { status: 'paid', amountRemaining: money(0) } });
    expect((await ok(harness.gateway.getInvoice(invoice.id))).status).toBe('paid');
  });

  test('a delivery signed ten minutes ago is refused as stale', async () => {
    const { harness } = context;
    harness.sim.webhooks.configure({ timestampSkewSeconds: -600 });
    await sentInvoice();
    const webhooks = await harness.takeWebhooks();
    harness.sim.webhooks.configure({ timestampSkewSeconds: 0 });

    const results = await Promise.all(
      webhooks.map((webhook) => harness.gateway.verifyWebhook(webhook)),
    );

    expect(results.length).toBeGreaterThan(0);
    expect(results.map((result) => result._unsafeUnwrapErr().kind)).toEqual(
      results.map(() => 'timestamp_stale'),
    );
  });
});

describe('bank payments, disputes and payout accounts', () => {
  const context = onSimulator();

  const sentInvoice = async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness))),
    );
    return ok(harness.gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }));
  };

  test('a failed bank debit leaves the invoice open and collectable', async () => {
    const { harness } = context;
    const invoice = await sentInvoice();
    const outcome = await harness.sim.testHelpers.payInvoiceWithBankAccount(invoice.id);
    await harness.takeWebhooks();

    await harness.sim.testHelpers.failBankPayment(outcome.paymentIntent.id);
    const events = await eventsOf(harness);
    const after = await ok(harness.gateway.getInvoice(invoice.id));

    expect(events.map((event) => event.type)).toContain('invoice.payment_failed');
    expect(after).toMatchObject({ status: 'open', paymentInFlight: false });
  });

  test('a dispute opens and closes against its invoice', async () => {
    const { harness } = context;
    const invoice = await sentInvoice();
    const { charge } = await harness.sim.testHelpers.payInvoiceWithCard(invoice.id);
    await harness.takeWebhooks();

    const dispute = await harness.sim.testHelpers.openDispute(charge?.id ?? '');
    const opened = await eventsOf(harness);
    await harness.sim.testHelpers.closeDispute(dispute.id, 'lost');
    const closed = await eventsOf(harness);

    expect(opened.find((event) => event.type === 'dispute.opened')).toMatchObject({
      dispute: { id: dispute.id, invoiceId: invoice.id, amount: money(5000), outcome: null },
    });
    expect(closed.find((event) => event.type === 'dispute.closed')).toMatchObject({
      dispute: { id: dispute.id, invoiceId: invoice.id, outcome: 'lost' },
    });
  });

  test('restricted account reaches core via the Connect endpoint with its account', async () => {
    const { harness } = context;

    await harness.sim.testHelpers.restrictAccount(context.accountId, {
      currentlyDue: ['external_account'],
    });
    const events = await eventsOf(harness);
    await harness.completeOnboarding(context.accountId);
    await harness.takeWebhooks();

    expect(events.find((event) => event.type === 'payout_account.updated')).toMatchObject({
      accountId: context.accountId,
      account: { chargesEnabled: false, currentlyDue: ['external_account'] },
    });
  });
});

describe('partial payments', () => {
  const context = onSimulator();

  /** Staff attach a 2000-cent card payment to a sent 5000-cent invoice, through Stripe. */
  const partlyPaid = async () => {
    const { harness } = context;
    const draft = await ok(
      harness.gateway.createInvoice(specFor(context, await newCustomer(harness))),
    );
    await ok(harness.gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }));
    const intent = await harness.stripe.paymentIntents.create({
      customer: draft.customerId,
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await harness.stripe.invoices.attachPayment(draft.id, { payment_intent: intent.id });
    return draft;
  };

  test('a payment of part of the invoice reads as partially paid, with what remains', async () => {
    const { harness } = context;
    const invoice = await partlyPaid();

    const events = await eventsOf(harness);
    const read = await ok(harness.gateway.getInvoice(invoice.id));

    expect(events.find((event) => event.type === 'invoice.partially_paid')).toMatchObject({
      invoice: { id: invoice.id, amountPaid: money(2000), amountRemaining: money(3000) },
    });
    expect(read).toMatchObject({ status: 'open', amountPaid: money(2000) });
  });

  test('refunding a partly paid invoice refunds what was paid', async () => {
    const { harness } = context;
    const invoice = await partlyPaid();

    const refund = await ok(
      harness.gateway.refundInvoice({
        invoiceId: invoice.id,
        amount: null,
        organizationId: 'org_1',
        requestId: invoice.tags.requestId ?? '',
        idempotencyKey: unique('refund'),
      }),
    );

    expect(refund.amount).toEqual(money(2000));
  });

  test('an invoice paid in two payments is refunded in full, one refund per payment', async () => {
    const { harness } = context;
    const invoice = await partlyPaid();
    await harness.payByCard(invoice.id);

    const refund = await ok(
      harness.gateway.refundInvoice({
        invoiceId: invoice.id,
        amount: null,
        organizationId: 'org_1',
        requestId: invoice.tags.requestId ?? '',
        idempotencyKey: unique('refund'),
      }),
    );
    const all = await harness.stripe.refunds.list({ limit: 100 });
    const ofInvoice = all.data.filter((made) => made.metadata?.memberpay_invoice_id === invoice.id);

    expect(ofInvoice.map((made) => made.amount).sort()).toEqual([2000, 3000]);
    expect(ofInvoice.map((made) => made.id)).toContain(refund.id);
  });
});
