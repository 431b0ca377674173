import type { ResultAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Money, money } from '../domain/money';
import type {
  GatewayEvent,
  GatewayInvoice,
  InvoiceSpec,
  PaymentGatewayPort,
} from '../ports/payment-gateway.port';

/** A webhook as it reached the host: the exact body and its signature header. */
export interface SignedWebhook {
  readonly rawBody: string;
  readonly signature: string;
}

/**
 * A gateway under test, and the outside world around it: the member paying, the bank
 * settling, staff working in the gateway's own dashboard, the webhooks the gateway sends.
 * Nothing in it is specific to one vendor.
 */
export interface PaymentGatewayHarness {
  readonly gateway: PaymentGatewayPort;
  /** The instant the gateway ages webhook signatures against. */
  now(): Date;
  /** The organization's owner finishes onboarding: the payout account may charge. */
  completeOnboarding(accountId: string): Promise<void>;
  /** The member pays a sent invoice in full by card. */
  payByCard(invoiceId: string): Promise<void>;
  /** The member pays a sent invoice in full by bank debit, which stays in flight. */
  payByBank(invoiceId: string): Promise<void>;
  /** The bank debit made with `payByBank` settles. */
  settleBankPayment(invoiceId: string): Promise<void>;
  /** Staff refund part of a paid invoice in the gateway's dashboard, outside the SDK. */
  refundOutside(invoiceId: string, amount: Money): Promise<void>;
  /** Webhooks the gateway has delivered since the last call, oldest first. */
  takeWebhooks(): Promise<readonly SignedWebhook[]>;
  /** A signature header for `rawBody`, as the gateway would sign it at `signedAt`. */
  sign(rawBody: string, signedAt: Date): string;
  close(): Promise<void>;
}

const AMOUNT = money(5000);
const DAY_MS = 24 * 60 * 60 * 1000;

async function ok<T, E>(result: ResultAsync<T, E>): Promise<T> {
  const settled = await result;
  if (settled.isErr()) {
    throw new Error(`expected success, got ${String(settled.error)}`, { cause: settled.error });
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

/**
 * The behaviour every `PaymentGatewayPort` must show, run against a real adapter (with its
 * vendor's simulator) or a fake. One harness serves the whole suite; each test makes its own
 * customer, requests and keys, so tests do not depend on each other's order.
 */
export function describePaymentGatewayContract(
  name: string,
  makeHarness: () => Promise<PaymentGatewayHarness>,
): void {
  describe(`PaymentGatewayPort contract: ${name}`, () => {
    let harness: PaymentGatewayHarness;
    let gateway: PaymentGatewayPort;
    let payoutAccountId: string;
    const run = crypto.randomUUID().slice(0, 8);
    let sequence = 0;

    const unique = (prefix: string): string => {
      sequence += 1;
      return `${prefix}_${run}_${sequence}`;
    };

    const newCustomer = async (email: string | null = 'member@example.test') =>
      (
        await ok(
          gateway.createCustomer({
            organizationId: 'org_contract',
            memberId: unique('mem'),
            name: 'Jane Doe',
            email,
            phone: '+15555550100',
            idempotencyKey: unique('customer'),
          }),
        )
      ).customerId;

    const specFor = (customerId: string, overrides: Partial<InvoiceSpec> = {}): InvoiceSpec => {
      const requestId = overrides.requestId ?? unique('req');
      const dueAt = new Date(Math.floor((harness.now().getTime() + 30 * DAY_MS) / 1000) * 1000);
      return {
        organizationId: 'org_contract',
        requestId,
        revision: 1,
        claimId: 'PCN-1001',
        internalId: 'INT-1001',
        customerId,
        payoutAccountId,
        amount: AMOUNT,
        description: 'Co-pay for your visit on 2024-01-02',
        dueAt,
        idempotencyKey: `${requestId}:1`,
        ...overrides,
      };
    };

    const sentInvoice = async (): Promise<GatewayInvoice> => {
      const draft = await ok(gateway.createInvoice(specFor(await newCustomer())));
      return ok(gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: unique('send') }));
    };

    /** Every delivered webhook must verify; answers the events in core's words. */
    const deliveredEvents = async (): Promise<GatewayEvent[]> => {
      const events: GatewayEvent[] = [];
      for (const webhook of await harness.takeWebhooks()) {
        events.push(await ok(gateway.verifyWebhook(webhook)));
      }
      return events;
    };

    const invoiceEvents = (events: readonly GatewayEvent[], invoiceId: string): string[] =>
      events.flatMap((event) =>
        'invoice' in event && event.invoice.id === invoiceId ? [event.type] : [],
      );

    beforeAll(async () => {
      harness = await makeHarness();
      gateway = harness.gateway;

      const account = await ok(
        gateway.createPayoutAccount({
          organizationId: 'org_contract',
          name: 'Sample Clinic',
          email: 'billing@clinic.example.test',
          country: 'US',
          idempotencyKey: unique('account'),
        }),
      );
      payoutAccountId = account.accountId;
      await harness.completeOnboarding(payoutAccountId);
      await harness.takeWebhooks();
    });

    afterAll(async () => {
      await harness?.close();
    });

    describe('payout account', () => {
      test('a new account cannot charge until onboarding completes, then reports it', async () => {
        const created = await ok(
          gateway.createPayoutAccount({
            organizationId: 'org_contract_2',
            name: 'Second Clinic',
            email: null,
            country: 'US',
            idempotencyKey: unique('account'),
          }),
        );

        const before = await ok(gateway.getPayoutAccount(created.accountId));
        await harness.completeOnboarding(created.accountId);
        const after = await ok(gateway.getPayoutAccount(created.accountId));
        const events = await deliveredEvents();

        expect(before.chargesEnabled).toBe(false);
        expect(after).toMatchObject({
          accountId: created.accountId,
          chargesEnabled: true,
          currentlyDue: [],
          disabledReason: null,
        });
        const update = events.find(
          (event) =>
            event.type === 'payout_account.updated' &&
            event.account.accountId === created.accountId,
        );
        expect(update).toMatchObject({ account: { chargesEnabled: true } });
      });

      test('the same key creates the account once', async () => {
        const input = {
          organizationId: 'org_contract_3',
          name: 'Third Clinic',
          email: null,
          country: 'US',
          idempotencyKey: unique('account'),
        };

        const first = await ok(gateway.createPayoutAccount(input));
        const again = await ok(gateway.createPayoutAccount(input));

        expect(again.accountId).toBe(first.accountId);
      });

      test('each onboarding link is a fresh one that expires later', async () => {
        const input = {
          accountId: payoutAccountId,
          refreshUrl: 'https://host.example.test/refresh',
          returnUrl: 'https://host.example.test/return',
        };

        const first = await ok(gateway.createOnboardingLink(input));
        const second = await ok(gateway.createOnboardingLink(input));

        expect(second.url).not.toBe(first.url);
        expect(first.expiresAt.getTime()).toBeGreaterThan(harness.now().getTime());
      });
    });

    describe('customers', () => {
      test('the same key creates the customer once; another key makes another', async () => {
        const input = {
          organizationId: 'org_contract',
          memberId: unique('mem'),
          name: 'Jane Doe',
          email: 'jane@example.test',
          phone: null,
          idempotencyKey: unique('customer'),
        };

        const first = await ok(gateway.createCustomer(input));
        const replay = await ok(gateway.createCustomer(input));
        const other = await ok(gateway.createCustomer({ ...input, idempotencyKey: unique('c') }));

        expect(replay.customerId).toBe(first.customerId);
        expect(other.customerId).not.toBe(first.customerId);
      });

      test('updates contact details, including removing them', async () => {
        const customerId = await newCustomer();

        const updated = await gateway.updateCustomer({
          customerId,
          name: 'Jane Roe',
          email: null,
          phone: null,
          idempotencyKey: unique('update'),
        });

        expect(updated.isOk()).toBe(true);
      });
    });

    describe('invoices', () => {
      test('new invoice: a draft of one amount line, tagged with the request', async () => {
        const customerId = await newCustomer();
        const spec = specFor(customerId, { revision: 3 });

        const created = await ok(gateway.createInvoice(spec));
        const read = await ok(gateway.getInvoice(created.id));

        for (const invoice of [created, read]) {
          expect(invoice).toMatchObject({
            id: created.id,
            status: 'draft',
            customerId,
            payoutAccountId,
            amountDue: AMOUNT,
            amountPaid: money(0),
            amountRemaining: AMOUNT,
            paymentInFlight: false,
            tags: { organizationId: 'org_contract', requestId: spec.requestId, revision: 3 },
          });
        }
      });

      test('a replayed creation (same key) gives the same invoice, not a second', async () => {
        const customerId = await newCustomer();
        const spec = specFor(customerId);

        const first = await ok(gateway.createInvoice(spec));
        const replay = await ok(gateway.createInvoice(spec));
        const found = await ok(gateway.findInvoices({ customerId, requestId: spec.requestId }));

        expect(replay.id).toBe(first.id);
        expect(found.map((invoice) => invoice.id)).toEqual([first.id]);
        expect(found[0]?.amountDue).toEqual(AMOUNT);
      });

      test('findInvoices finds a request by its tag and nothing of other requests', async () => {
        const customerId = await newCustomer();
        const mine = await ok(gateway.createInvoice(specFor(customerId)));
        const other = await ok(gateway.createInvoice(specFor(customerId)));

        const found = await ok(
          gateway.findInvoices({ customerId, requestId: mine.tags.requestId ?? '' }),
        );
        const none = await ok(gateway.findInvoices({ customerId, requestId: unique('req') }));

        expect(found.map((invoice) => invoice.id)).toEqual([mine.id]);
        expect(found.map((invoice) => invoice.id)).not.toContain(other.id);
        expect(none).toEqual([]);
      });

      test('sending makes it open with a number, a hosted link and the due date', async () => {
        const customerId = await newCustomer();
        const spec = specFor(customerId);
        const draft = await ok(gateway.createInvoice(spec));
        const key = unique('send');

        const sent = await ok(gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: key }));
        const replay = await ok(gateway.sendInvoice({ invoiceId: draft.id, idempotencyKey: key }));
        const events = await deliveredEvents();

        expect(sent).toMatchObject({ id: draft.id, status: 'open', amountRemaining: AMOUNT });
        expect(sent.hostedInvoiceUrl).toMatch(/^https?:\/\//);
        expect(sent.number).not.toBeNull();
        expect(sent.dueDate?.getTime()).toBe(spec.dueAt.getTime());
        expect(replay).toMatchObject({ id: draft.id, status: 'open' });
        expect(invoiceEvents(events, draft.id)).toContain('invoice.sent');
      });

      test('finalizing without sending gives the hosted link for delivery by text', async () => {
        const draft = await ok(gateway.createInvoice(specFor(await newCustomer(null))));

        const finalized = await ok(
          gateway.finalizeInvoice({ invoiceId: draft.id, idempotencyKey: unique('finalize') }),
        );
        const events = await deliveredEvents();

        expect(finalized.status).toBe('open');
        expect(finalized.hostedInvoiceUrl).toMatch(/^https?:\/\//);
        expect(invoiceEvents(events, draft.id)).not.toContain('invoice.sent');
      });

      test('a draft can be deleted and is then gone', async () => {
        const draft = await ok(gateway.createInvoice(specFor(await newCustomer())));

        await ok(gateway.deleteDraftInvoice(draft.id));
        const error = await failure(gateway.getInvoice(draft.id));

        expect(error.kind).toBe('not_found');
      });

      test('an open invoice can be voided', async () => {
        const sent = await sentInvoice();

        const voided = await ok(
          gateway.voidInvoice({ invoiceId: sent.id, idempotencyKey: unique('void') }),
        );
        const events = await deliveredEvents();

        expect(voided.status).toBe('void');
        expect(invoiceEvents(events, sent.id)).toContain('invoice.voided');
      });

      test('an open invoice can be marked uncollectible', async () => {
        const sent = await sentInvoice();

        const marked = await ok(
          gateway.markUncollectible({ invoiceId: sent.id, idempotencyKey: unique('mark') }),
        );

        expect(marked.status).toBe('uncollectible');
      });

      test('an unknown invoice is not_found', async () => {
        const error = await failure(gateway.getInvoice('in_does_not_exist'));

        expect(error.kind).toBe('not_found');
      });
    });

    describe('payments', () => {
      test('a card payment makes the invoice paid, and says so by webhook', async () => {
        const sent = await sentInvoice();

        await harness.payByCard(sent.id);
        const paid = await ok(gateway.getInvoice(sent.id));
        const events = await deliveredEvents();

        expect(paid).toMatchObject({
          status: 'paid',
          amountPaid: AMOUNT,
          amountRemaining: money(0),
          paymentInFlight: false,
        });
        expect(invoiceEvents(events, sent.id)).toContain('invoice.paid');
      });

      test('a bank payment is in flight until it settles', async () => {
        const sent = await sentInvoice();

        await harness.payByBank(sent.id);
        const inFlight = await ok(gateway.getInvoice(sent.id));
        const whileProcessing = await deliveredEvents();
        await harness.settleBankPayment(sent.id);
        const settled = await ok(gateway.getInvoice(sent.id));
        const afterSettling = await deliveredEvents();

        expect(inFlight).toMatchObject({ status: 'open', paymentInFlight: true });
        expect(invoiceEvents(whileProcessing, sent.id)).toContain('invoice.payment_processing');
        expect(settled).toMatchObject({ status: 'paid', paymentInFlight: false });
        expect(invoiceEvents(afterSettling, sent.id)).toContain('invoice.paid');
      });

      test('a paid invoice cannot be voided', async () => {
        const sent = await sentInvoice();
        await harness.payByCard(sent.id);

        const error = await failure(
          gateway.voidInvoice({ invoiceId: sent.id, idempotencyKey: unique('void') }),
        );
        const after = await ok(gateway.getInvoice(sent.id));

        expect(error.kind).toBe('invalid_request');
        expect(after.status).toBe('paid');
      });
    });

    describe('refunds', () => {
      const refundInput = (invoice: GatewayInvoice, key: string) => ({
        invoiceId: invoice.id,
        amount: null,
        organizationId: 'org_contract',
        requestId: invoice.tags.requestId ?? '',
        idempotencyKey: key,
      });

      test('refunds what was paid, once for one key, and reports its progress', async () => {
        const sent = await sentInvoice();
        await harness.payByCard(sent.id);
        await harness.takeWebhooks();
        const key = unique('refund');

        const refund = await ok(gateway.refundInvoice(refundInput(sent, key)));
        const replay = await ok(gateway.refundInvoice(refundInput(sent, key)));
        const read = await ok(gateway.getRefund(refund.id));
        const events = await deliveredEvents();

        expect(refund).toMatchObject({
          amount: AMOUNT,
          invoiceId: sent.id,
          tags: { organizationId: 'org_contract', requestId: sent.tags.requestId },
        });
        expect(['pending', 'succeeded']).toContain(refund.status);
        expect(replay.id).toBe(refund.id);
        expect(read).toMatchObject({ id: refund.id, amount: AMOUNT, invoiceId: sent.id });
        const updates = events.filter(
          (event) => event.type === 'refund.updated' && event.refund.id === refund.id,
        );
        expect(updates.length).toBeGreaterThan(0);
      });

      test('refunds only what a refund made outside the SDK left', async () => {
        const sent = await sentInvoice();
        await harness.payByCard(sent.id);
        await harness.refundOutside(sent.id, money(1000));

        const refund = await ok(gateway.refundInvoice(refundInput(sent, unique('refund'))));

        expect(refund.amount).toEqual(money(4000));
      });

      test('refunds a given part of the payment', async () => {
        const sent = await sentInvoice();
        await harness.payByCard(sent.id);

        const refund = await ok(
          gateway.refundInvoice({
            ...refundInput(sent, unique('refund')),
            amount: money(1500),
          }),
        );

        expect(refund.amount).toEqual(money(1500));
      });

      test('an invoice with no payment has nothing to refund', async () => {
        const sent = await sentInvoice();

        const error = await failure(gateway.refundInvoice(refundInput(sent, unique('refund'))));

        expect(error.kind).toBe('invalid_request');
      });
    });

    describe('webhooks', () => {
      const aWebhook = async (): Promise<SignedWebhook> => {
        const sent = await sentInvoice();
        const [webhook] = (await harness.takeWebhooks()).slice(-1);
        if (!webhook) {
          throw new Error(`no webhook delivered after sending ${sent.id}`);
        }
        return webhook;
      };

      test('accepts the raw body as a string or as bytes', async () => {
        const webhook = await aWebhook();

        const fromString = await ok(gateway.verifyWebhook(webhook));
        const fromBytes = await ok(
          gateway.verifyWebhook({
            rawBody: new TextEncoder().encode(webhook.rawBody),
            signature: webhook.signature,
          }),
        );

        expect(fromBytes.id).toBe(fromString.id);
      });

      test('refuses a parsed body, asking for the raw one', async () => {
        const webhook = await aWebhook();

        const error = await failure(
          gateway.verifyWebhook({
            rawBody: JSON.parse(webhook.rawBody) as unknown as string,
            signature: webhook.signature,
          }),
        );

        expect(error.kind).toBe('raw_body_required');
      });

      test('refuses a body with one byte changed', async () => {
        const webhook = await aWebhook();
        const bytes = new TextEncoder().encode(webhook.rawBody);
        const index = bytes.indexOf('"'.charCodeAt(0));
        bytes[index] = "'".charCodeAt(0);

        const error = await failure(
          gateway.verifyWebhook({ rawBody: bytes, signature: webhook.signature }),
        );

        expect(error.kind).toBe('signature_invalid');
      });

      test('refuses a signature older than the tolerance, accepts a fresh one', async () => {
        const webhook = await aWebhook();
        const tenMinutesAgo = new Date(harness.now().getTime() - 10 * 60 * 1000);

        const stale = await failure(
          gateway.verifyWebhook({
            rawBody: webhook.rawBody,
            signature: harness.sign(webhook.rawBody, tenMinutesAgo),
          }),
        );
        const fresh = await gateway.verifyWebhook({
          rawBody: webhook.rawBody,
          signature: harness.sign(webhook.rawBody, harness.now()),
        });

        expect(stale.kind).toBe('timestamp_stale');
        expect(fresh.isOk()).toBe(true);
      });

      // An empty body is refused too, as unsigned or malformed depending on the gateway.
      test.each(['hello', '{}', '[]', 'null'])(
        'refuses %j, correctly signed but no event, as malformed',
        async (rawBody) => {
          const error = await failure(
            gateway.verifyWebhook({ rawBody, signature: harness.sign(rawBody, harness.now()) }),
          );

          expect(error.kind).toBe('malformed');
        },
      );

      test('refuses a missing signature', async () => {
        const webhook = await aWebhook();

        const error = await failure(
          gateway.verifyWebhook({ rawBody: webhook.rawBody, signature: '' }),
        );

        expect(error.kind).toBe('signature_invalid');
      });
    });
  });
}
