import { createHmac, timingSafeEqual } from 'node:crypto';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { add, isCurrency, type Money, money, subtract, zero } from '../domain/money';
import type { PayoutAccountFacts } from '../domain/organization';
import {
  GatewayError,
  type GatewayErrorKind,
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayRefund,
  type InvoiceSpec,
  type PaymentGatewayPort,
  WebhookError,
} from '../ports/payment-gateway.port';
import { checkGatewayEvent } from '../use-cases/gateway-events';

type Method = Exclude<keyof PaymentGatewayPort, 'verifyWebhook'>;

interface FakeInvoice {
  id: string;
  status: GatewayInvoice['status'];
  customerId: string;
  payoutAccountId: string;
  lines: Money[];
  amountPaid: Money;
  refunded: Money;
  inFlight: Money | null;
  number: string | null;
  hostedInvoiceUrl: string | null;
  dueDate: Date;
  tags: GatewayInvoice['tags'];
  sent: number;
}

interface Failure {
  readonly kind: GatewayErrorKind;
  /** Do the work, then fail as if the answer was lost on the way back. */
  readonly afterWork: boolean;
}

const SECRET = 'whsec_fake';

/**
 * An in-memory gateway that behaves like Stripe where core can tell: invoices move draft ->
 * open -> paid | void | uncollectible, idempotency keys replay the first answer, refunds can
 * stay pending, bank payments sit in flight. Tests drive "the outside world" through its
 * methods (a member paying, a refund settling) and read the events it would have sent.
 */
export class FakePaymentGateway implements PaymentGatewayPort {
  readonly calls: Record<string, number> = {};
  readonly events: GatewayEvent[] = [];
  /** How refunds start out; `succeeded` settles them at once. */
  refundsStartAs: 'pending' | 'succeeded' = 'pending';

  readonly #accounts = new Map<string, PayoutAccountFacts>();
  readonly #customers = new Map<string, { email: string | null; phone: string | null }>();
  readonly #invoices = new Map<string, FakeInvoice>();
  readonly #refunds = new Map<string, GatewayRefund>();
  readonly #replies = new Map<string, unknown>();
  readonly #failures = new Map<Method, Failure[]>();
  #sequence = 0;
  #eventSequence = 0;
  readonly #now: () => Date;

  constructor(options: { readonly now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** The next `count` calls of `method` fail with `kind`. */
  failNext(
    method: Method,
    kind: GatewayErrorKind,
    count = 1,
    options: { afterWork?: boolean } = {},
  ): void {
    const queue = this.#failures.get(method) ?? [];
    for (let index = 0; index < count; index += 1) {
      queue.push({ kind, afterWork: options.afterWork ?? false });
    }
    this.#failures.set(method, queue);
  }

  invoice(invoiceId: string): GatewayInvoice | undefined {
    const invoice = this.#invoices.get(invoiceId);
    return invoice ? this.#view(invoice) : undefined;
  }

  invoices(): GatewayInvoice[] {
    return [...this.#invoices.values()].map((invoice) => this.#view(invoice));
  }

  refunds(): GatewayRefund[] {
    return [...this.#refunds.values()];
  }

  customerCount(): number {
    return this.#customers.size;
  }

  /** Onboarding completed at the gateway: the account can charge. */
  completeOnboarding(accountId: string): GatewayEvent {
    const facts: PayoutAccountFacts = {
      accountId,
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      currentlyDue: [],
      disabledReason: null,
    };
    this.#accounts.set(accountId, facts);
    return this.#emit({ type: 'payout_account.updated', account: facts, accountId });
  }

  /** The member pays by card: the invoice is paid at once. `amount` pays part of it. */
  payByCard(invoiceId: string, amount?: Money): GatewayEvent[] {
    const invoice = this.#require(invoiceId);
    const paying = amount ?? this.#remaining(invoice);
    invoice.amountPaid = add(invoice.amountPaid, paying);
    return this.#afterPayment(invoice);
  }

  /** The member pays by bank account: the payment is in flight until settled or failed. */
  payByBank(invoiceId: string): GatewayEvent {
    const invoice = this.#require(invoiceId);
    invoice.inFlight = this.#remaining(invoice);
    return this.#emitInvoice('invoice.payment_processing', invoice);
  }

  settleBankPayment(
    invoiceId: string,
    outcome: 'succeeded' | 'failed' = 'succeeded',
  ): GatewayEvent[] {
    const invoice = this.#require(invoiceId);
    const amount = invoice.inFlight ?? zero();
    invoice.inFlight = null;
    if (outcome === 'failed') {
      return [this.#emitInvoice('invoice.payment_failed', invoice)];
    }

    invoice.amountPaid = add(invoice.amountPaid, amount);
    return this.#afterPayment(invoice);
  }

  settleRefund(refundId: string, status: 'succeeded' | 'failed'): GatewayEvent {
    const refund = this.#refunds.get(refundId) as GatewayRefund;
    const settled: GatewayRefund = {
      ...refund,
      status,
      failureReason: status === 'failed' ? 'declined by the bank' : null,
    };
    this.#refunds.set(refundId, settled);
    if (status === 'failed' && refund.invoiceId) {
      const invoice = this.#require(refund.invoiceId);
      invoice.refunded = subtract(invoice.refunded, refund.amount);
    }

    return this.#emit({ type: 'refund.updated', refund: settled, accountId: null });
  }

  /** A refund made in the Dashboard, outside the SDK. */
  refundOutside(invoiceId: string, amount: Money): GatewayEvent {
    const invoice = this.#require(invoiceId);
    invoice.refunded = add(invoice.refunded, amount);
    const refund: GatewayRefund = {
      id: this.#id('re'),
      status: 'succeeded',
      amount,
      invoiceId,
      failureReason: null,
      tags: {
        organizationId: invoice.tags.organizationId,
        requestId: invoice.tags.requestId,
        refundKey: null,
      },
    };
    this.#refunds.set(refund.id, refund);
    return this.#emit({ type: 'refund.updated', refund, accountId: null });
  }

  dispute(invoiceId: string, outcome: 'won' | 'lost' | null): GatewayEvent {
    const invoice = this.#require(invoiceId);
    const dispute = {
      id: `dp_${invoiceId}`,
      invoiceId,
      tags: invoice.tags,
      amount: invoice.amountPaid,
      outcome,
    };
    return this.#emit({
      type: outcome === null ? 'dispute.opened' : 'dispute.closed',
      dispute,
      accountId: null,
    });
  }

  /** A signed delivery of an event, as the host's webhook endpoint would receive it. */
  signedDelivery(
    event: GatewayEvent,
    at: Date = this.#now(),
  ): { rawBody: string; signature: string } {
    const rawBody = JSON.stringify(event);
    return { rawBody, signature: this.signature(rawBody, at) };
  }

  /** The signature header the fake sends with `rawBody` at `at`. */
  signature(rawBody: string, at: Date = this.#now()): string {
    const timestamp = Math.floor(at.getTime() / 1000);
    return `t=${timestamp},v1=${sign(timestamp, rawBody)}`;
  }

  createPayoutAccount(input: Parameters<PaymentGatewayPort['createPayoutAccount']>[0]) {
    return this.#call('createPayoutAccount', input.idempotencyKey, () => {
      const accountId = this.#id('acct');
      this.#accounts.set(accountId, {
        accountId,
        chargesEnabled: false,
        payoutsEnabled: false,
        detailsSubmitted: false,
        currentlyDue: ['external_account', 'business_profile.url'],
        disabledReason: null,
      });
      return { accountId };
    });
  }

  createOnboardingLink(input: Parameters<PaymentGatewayPort['createOnboardingLink']>[0]) {
    return this.#call('createOnboardingLink', null, () => ({
      url: `https://fake.gateway/onboarding/${input.accountId}/${this.#id('link')}`,
      expiresAt: new Date(this.#now().getTime() + 300_000),
    }));
  }

  getPayoutAccount(accountId: string) {
    return this.#call(
      'getPayoutAccount',
      null,
      () => this.#accounts.get(accountId) ?? notFound(accountId),
    );
  }

  createCustomer(input: Parameters<PaymentGatewayPort['createCustomer']>[0]) {
    return this.#call('createCustomer', input.idempotencyKey, () => {
      const customerId = this.#id('cus');
      this.#customers.set(customerId, { email: input.email, phone: input.phone });
      return { customerId };
    });
  }

  updateCustomer(input: Parameters<PaymentGatewayPort['updateCustomer']>[0]) {
    return this.#call('updateCustomer', input.idempotencyKey, () => {
      if (!this.#customers.has(input.customerId)) {
        notFound(input.customerId);
      }
      this.#customers.set(input.customerId, { email: input.email, phone: input.phone });
      return undefined;
    });
  }

  createInvoice(spec: InvoiceSpec) {
    return this.#call('createInvoice', spec.idempotencyKey, () => {
      const invoice: FakeInvoice = {
        id: this.#id('in'),
        status: 'draft',
        customerId: spec.customerId,
        payoutAccountId: spec.payoutAccountId,
        lines: [spec.amount],
        amountPaid: zero(spec.amount.currency),
        refunded: zero(spec.amount.currency),
        inFlight: null,
        number: null,
        hostedInvoiceUrl: null,
        dueDate: spec.dueAt,
        tags: {
          organizationId: spec.organizationId,
          requestId: spec.requestId,
          revision: spec.revision,
        },
        sent: 0,
      };
      this.#invoices.set(invoice.id, invoice);
      return this.#view(invoice);
    });
  }

  finalizeInvoice(input: { readonly invoiceId: string; readonly idempotencyKey: string }) {
    return this.#call('finalizeInvoice', input.idempotencyKey, () => {
      const invoice = this.#require(input.invoiceId);
      this.#finalize(invoice);
      return this.#view(invoice);
    });
  }

  sendInvoice(input: { readonly invoiceId: string; readonly idempotencyKey: string }) {
    return this.#call('sendInvoice', input.idempotencyKey, () => {
      const invoice = this.#require(input.invoiceId);
      this.#finalize(invoice);
      if (invoice.status !== 'open') {
        invalid(`invoice ${invoice.id} is ${invoice.status}`);
      }

      invoice.sent += 1;
      this.#emitInvoice('invoice.sent', invoice);
      return this.#view(invoice);
    });
  }

  voidInvoice(input: { readonly invoiceId: string; readonly idempotencyKey: string }) {
    return this.#call('voidInvoice', input.idempotencyKey, () => {
      const invoice = this.#require(input.invoiceId);
      const voidable = invoice.status === 'open' || invoice.status === 'uncollectible';
      if (!voidable || invoice.amountPaid.minor > 0 || invoice.inFlight) {
        invalid(`invoice ${invoice.id} is ${invoice.status}; it cannot be voided`);
      }

      invoice.status = 'void';
      this.#emitInvoice('invoice.voided', invoice);
      return this.#view(invoice);
    });
  }

  markUncollectible(input: { readonly invoiceId: string; readonly idempotencyKey: string }) {
    return this.#call('markUncollectible', input.idempotencyKey, () => {
      const invoice = this.#require(input.invoiceId);
      if (invoice.status !== 'open' || invoice.inFlight) {
        invalid(`invoice ${invoice.id} is ${invoice.status}; it cannot be marked uncollectible`);
      }

      invoice.status = 'uncollectible';
      this.#emitInvoice('invoice.uncollectible', invoice);
      return this.#view(invoice);
    });
  }

  deleteDraftInvoice(invoiceId: string) {
    return this.#call('deleteDraftInvoice', null, () => {
      const invoice = this.#require(invoiceId);
      if (invoice.status !== 'draft') {
        invalid(`invoice ${invoiceId} is ${invoice.status}; only drafts can be deleted`);
      }

      this.#invoices.delete(invoiceId);
      return undefined;
    });
  }

  getInvoice(invoiceId: string) {
    return this.#call('getInvoice', null, () => this.#view(this.#require(invoiceId)));
  }

  findInvoices(input: { readonly customerId: string; readonly requestId: string }) {
    return this.#call('findInvoices', null, () =>
      [...this.#invoices.values()]
        .filter(
          (invoice) =>
            invoice.customerId === input.customerId && invoice.tags.requestId === input.requestId,
        )
        .reverse()
        .map((invoice) => this.#view(invoice)),
    );
  }

  refundInvoice(input: Parameters<PaymentGatewayPort['refundInvoice']>[0]) {
    return this.#call('refundInvoice', input.idempotencyKey, () => {
      const invoice = this.#require(input.invoiceId);
      const unrefunded = subtract(invoice.amountPaid, invoice.refunded);
      const amount = input.amount ?? unrefunded;
      if (unrefunded.minor <= 0) {
        invalid(
          `the payment of invoice ${invoice.id} is already refunded`,
          'charge_already_refunded',
        );
      }

      if (amount.minor > unrefunded.minor) {
        invalid(`refund of ${amount.minor} exceeds ${unrefunded.minor}`, 'amount_too_large');
      }

      invoice.refunded = add(invoice.refunded, amount);
      const refund: GatewayRefund = {
        id: this.#id('re'),
        status: this.refundsStartAs,
        amount,
        invoiceId: invoice.id,
        failureReason: null,
        tags: {
          organizationId: input.organizationId,
          requestId: input.requestId,
          refundKey: input.idempotencyKey,
        },
      };
      this.#refunds.set(refund.id, refund);
      this.#emit({ type: 'refund.updated', refund, accountId: null });
      return refund;
    });
  }

  getRefund(refundId: string) {
    return this.#call('getRefund', null, () => this.#refunds.get(refundId) ?? notFound(refundId));
  }

  verifyWebhook(input: {
    readonly rawBody: string | Uint8Array;
    readonly signature: string;
  }): ResultAsync<GatewayEvent, WebhookError | GatewayError> {
    const raw: unknown = input.rawBody;
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
      return errAsync(
        new WebhookError(
          'raw_body_required',
          'Pass the raw request body (string or bytes), not a parsed object',
        ),
      );
    }

    const body = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    const match = /^t=(\d+),v1=([0-9a-f]+)$/.exec(input.signature);
    const timestamp = Number(match?.[1]);
    const expected = match ? sign(timestamp, body) : '';
    const given = match?.[2] ?? '';
    if (
      !match ||
      given.length !== expected.length ||
      !timingSafeEqual(Buffer.from(given), Buffer.from(expected))
    ) {
      return errAsync(new WebhookError('signature_invalid', 'No signature matches the payload'));
    }

    if (this.#now().getTime() / 1000 - timestamp > 300) {
      return errAsync(
        new WebhookError('timestamp_stale', 'The signature timestamp is older than 300 s'),
      );
    }

    let parsed: unknown;
    try {
      parsed = revive(body);
    } catch (cause) {
      return errAsync(new WebhookError('malformed', 'The webhook body is not JSON', cause));
    }

    const event = checkGatewayEvent(parsed);
    return event.isOk()
      ? okAsync(event.value)
      : errAsync(
          new WebhookError(
            'malformed',
            `The webhook body is not an event: ${event.error.message}`,
            event.error,
          ),
        );
  }

  #call<T>(method: Method, key: string | null, work: () => T): ResultAsync<T, GatewayError> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const failure = this.#failures.get(method)?.shift();
    if (failure && !failure.afterWork) {
      return errAsync(new GatewayError(failure.kind, `injected ${failure.kind} on ${method}`));
    }

    const replayKey = key === null ? null : `${method}:${key}`;
    if (replayKey !== null && this.#replies.has(replayKey)) {
      return okAsync(this.#replies.get(replayKey) as T);
    }

    try {
      const value = work();
      if (replayKey !== null) {
        this.#replies.set(replayKey, value);
      }

      return failure
        ? errAsync(
            new GatewayError(failure.kind, `injected ${failure.kind} after ${method} did its work`),
          )
        : okAsync(value);
    } catch (error) {
      return errAsync(error as GatewayError);
    }
  }

  #id(prefix: string): string {
    this.#sequence += 1;
    return `${prefix}_fake_${String(this.#sequence).padStart(6, '0')}`;
  }

  #require(invoiceId: string): FakeInvoice {
    return this.#invoices.get(invoiceId) ?? notFound(invoiceId);
  }

  #total(invoice: FakeInvoice): Money {
    return invoice.lines.reduce(
      (total, line) => add(total, line),
      zero(invoice.amountPaid.currency),
    );
  }

  #remaining(invoice: FakeInvoice): Money {
    return subtract(this.#total(invoice), invoice.amountPaid);
  }

  #finalize(invoice: FakeInvoice): void {
    if (invoice.status !== 'draft') {
      return;
    }

    invoice.status = 'open';
    invoice.number = `FAKE-${invoice.id.slice(-6)}`;
    invoice.hostedInvoiceUrl = `https://fake.gateway/invoices/${invoice.id}`;
  }

  #afterPayment(invoice: FakeInvoice): GatewayEvent[] {
    if (this.#remaining(invoice).minor <= 0) {
      invoice.status = 'paid';
      return [this.#emitInvoice('invoice.paid', invoice)];
    }

    return [this.#emitInvoice('invoice.partially_paid', invoice)];
  }

  #view(invoice: FakeInvoice): GatewayInvoice {
    const total = this.#total(invoice);
    return {
      id: invoice.id,
      status: invoice.status,
      customerId: invoice.customerId,
      payoutAccountId: invoice.payoutAccountId,
      amountDue: total,
      amountPaid: invoice.amountPaid,
      amountRemaining: money(Math.max(0, total.minor - invoice.amountPaid.minor), total.currency),
      paymentInFlight: invoice.inFlight !== null,
      hostedInvoiceUrl: invoice.hostedInvoiceUrl,
      number: invoice.number,
      dueDate: invoice.dueDate,
      tags: invoice.tags,
    };
  }

  #emitInvoice(
    type: Extract<GatewayEvent, { invoice: GatewayInvoice }>['type'],
    invoice: FakeInvoice,
  ): GatewayEvent {
    return this.#emit({ type, invoice: this.#view(invoice), accountId: null });
  }

  #emit(partial: DistributiveOmit<GatewayEvent, 'id' | 'occurredAt' | 'livemode'>): GatewayEvent {
    this.#eventSequence += 1;
    const event = {
      ...partial,
      id: `evt_fake_${String(this.#eventSequence).padStart(6, '0')}`,
      occurredAt: this.#now(),
      livemode: false,
    } as GatewayEvent;
    this.events.push(event);
    return event;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sign(timestamp: number, body: string): string {
  return createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
}

function notFound(id: string): never {
  throw new GatewayError('not_found', `No such object: ${id}`, {
    code: 'resource_missing',
    statusCode: 404,
  });
}

function invalid(message: string, code: string | null = null): never {
  throw new GatewayError('invalid_request', message, { code, statusCode: 400 });
}

/**
 * Parses the JSON of an event: dates and money come back as what they were. Whether it is an
 * event at all is for the caller to check; money that is not money stays as it was, for that
 * check to name.
 */
function revive(body: string): unknown {
  return JSON.parse(body, (key, value) => {
    if (
      typeof value === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) &&
      key !== 'id'
    ) {
      return new Date(value);
    }

    const isMoney =
      value &&
      typeof value === 'object' &&
      Number.isSafeInteger(value.minor) &&
      typeof value.currency === 'string' &&
      isCurrency(value.currency);
    if (isMoney) {
      return money(value.minor, value.currency);
    }

    return value;
  });
}
