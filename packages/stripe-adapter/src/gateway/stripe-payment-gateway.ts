import {
  type ClockPort,
  GatewayError,
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayRefund,
  type InvoiceSpec,
  type LoggerPort,
  type Money,
  noopLogger,
  type PaymentGatewayPort,
  type PayoutAccountFacts,
  systemClock,
  type WebhookError,
} from '@memberpay/core';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import Stripe from 'stripe';
import { retryAfterMs, toGatewayError } from './errors';
import { liftAsync } from './lift';
import {
  hasPaymentInFlight,
  INVOICE_EXPAND,
  METADATA_KEYS,
  toGatewayInvoice,
  toGatewayRefund,
  toPayoutAccountFacts,
  toUnixSeconds,
} from './mapping';
import { defaultRequestsPerSecond, modeOf, type StripePaymentGatewayOptions } from './options';
import { defaultSleep, RequestPacer } from './pacer';
import type { InvoiceFields } from './payloads';
import { DEFAULT_RETRY_POLICY, delayBeforeRetry, isRetriedByUs, type RetryPolicy } from './retry';
import { type EventLookups, ignoredEvent, translateEvent, verifySignedEvent } from './webhooks';

/** What a refund is made against: one payment of the invoice, and whether it moved money on. */
type RefundTarget = ({ readonly payment_intent: string } | { readonly charge: string }) & {
  readonly destination: boolean;
};

/**
 * core's payment gateway on Stripe, through stripe-node. Invoices are destination charges:
 * created on the platform, paid to the organization's connected account (`transfer_data`) and
 * shown with it as the merchant (`on_behalf_of`).
 *
 * Every call is paced under Stripe's rate limit, retried with backoff when Stripe asks us to
 * slow down, and answered as a `Result`: Stripe's errors become `GatewayError` kinds.
 */
export class StripePaymentGateway implements PaymentGatewayPort {
  private readonly stripe: Stripe;
  private readonly webhookSecrets: readonly string[];
  private readonly webhookTolerance: number;
  /** Events of the other mode are acknowledged and ignored. */
  private readonly mode: 'live' | 'test';
  private readonly pacer: RequestPacer | null;
  private readonly retryPolicy: RetryPolicy;
  private readonly logger: LoggerPort;
  private readonly clock: ClockPort;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly lookups: EventLookups;

  constructor(options: StripePaymentGatewayOptions) {
    this.mode = modeOf(options);
    this.stripe = options.stripe ?? createClient(options.secretKey, options);
    this.webhookSecrets =
      typeof options.webhookSecrets === 'string'
        ? [options.webhookSecrets]
        : [...(options.webhookSecrets ?? [])];
    this.webhookTolerance = options.webhookTolerance ?? 300;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.logger = options.logger ?? noopLogger;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;

    const rate =
      options.maxRequestsPerSecond === undefined
        ? defaultRequestsPerSecond(options)
        : options.maxRequestsPerSecond;
    this.pacer =
      rate === null ? null : new RequestPacer({ requestsPerSecond: rate, sleep: this.sleep });

    this.lookups = {
      invoice: (invoiceId, accountId) => this.retrieveInvoice(invoiceId, accountId),
      invoiceOfPaymentIntent: (intentId, accountId) =>
        this.invoiceOfPaymentIntent(intentId, accountId),
    };
  }

  createPayoutAccount(input: {
    readonly organizationId: string;
    readonly name: string;
    readonly email: string | null;
    readonly country: string;
    readonly idempotencyKey: string;
  }): ResultAsync<{ readonly accountId: string }, GatewayError> {
    return this.call('accounts.create', () =>
      this.stripe.accounts.create(
        {
          country: input.country,
          email: input.email ?? undefined,
          business_profile: { name: input.name },
          // An Express dashboard through controller properties, Stripe's replacement for
          // `type: 'express'`: Stripe collects requirements; the platform pays the fees and
          // bears refunds and disputes, as it does with destination charges anyway.
          controller: {
            stripe_dashboard: { type: 'express' },
            requirement_collection: 'stripe',
            fees: { payer: 'application' },
            losses: { payments: 'application' },
          },
          capabilities: {
            card_payments: { requested: true },
            transfers: { requested: true },
          },
          metadata: { [METADATA_KEYS.organizationId]: input.organizationId },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).map((account) => ({ accountId: account.id }));
  }

  createOnboardingLink(input: {
    readonly accountId: string;
    readonly refreshUrl: string;
    readonly returnUrl: string;
  }): ResultAsync<{ readonly url: string; readonly expiresAt: Date }, GatewayError> {
    // No idempotency key of ours: a replay would hand back a link that may already be used,
    // and a duplicate link costs nothing.
    return this.call('accountLinks.create', () =>
      this.stripe.accountLinks.create({
        account: input.accountId,
        type: 'account_onboarding',
        refresh_url: input.refreshUrl,
        return_url: input.returnUrl,
      }),
    ).map((link) => ({ url: link.url, expiresAt: new Date(link.expires_at * 1000) }));
  }

  getPayoutAccount(accountId: string): ResultAsync<PayoutAccountFacts, GatewayError> {
    return this.call('accounts.retrieve', () => this.stripe.accounts.retrieve(accountId)).map(
      toPayoutAccountFacts,
    );
  }

  createCustomer(input: {
    readonly organizationId: string;
    readonly memberId: string;
    readonly name: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly idempotencyKey: string;
  }): ResultAsync<{ readonly customerId: string }, GatewayError> {
    return this.call('customers.create', () =>
      this.stripe.customers.create(
        {
          name: input.name,
          email: input.email ?? undefined,
          phone: input.phone ?? undefined,
          metadata: {
            [METADATA_KEYS.organizationId]: input.organizationId,
            [METADATA_KEYS.memberId]: input.memberId,
          },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).map((customer) => ({ customerId: customer.id }));
  }

  updateCustomer(input: {
    readonly customerId: string;
    readonly name: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly idempotencyKey: string;
  }): ResultAsync<void, GatewayError> {
    // An empty string is how Stripe's API unsets a field.
    return this.call('customers.update', () =>
      this.stripe.customers.update(
        input.customerId,
        { name: input.name, email: input.email ?? '', phone: input.phone ?? '' },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).map(() => undefined);
  }

  /**
   * Two calls: the draft invoice, then its one line attached to it by id. Both keys derive
   * from the spec's key, so a run that stopped between them finishes the same invoice.
   */
  createInvoice(spec: InvoiceSpec): ResultAsync<GatewayInvoice, GatewayError> {
    const { currency } = spec.amount;
    const metadata = {
      [METADATA_KEYS.organizationId]: spec.organizationId,
      [METADATA_KEYS.requestId]: spec.requestId,
      [METADATA_KEYS.revision]: String(spec.revision),
      [METADATA_KEYS.claimId]: spec.claimId,
      [METADATA_KEYS.internalId]: spec.internalId,
    };

    const createDraft = this.call('invoices.create', () =>
      this.stripe.invoices.create(
        {
          customer: spec.customerId,
          currency,
          collection_method: 'send_invoice',
          due_date: toUnixSeconds(spec.dueAt),
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
          on_behalf_of: spec.payoutAccountId,
          transfer_data: { destination: spec.payoutAccountId },
          description: spec.description,
          custom_fields: [
            { name: 'Claim', value: spec.claimId },
            { name: 'Reference', value: spec.internalId },
          ],
          metadata,
        },
        { idempotencyKey: `${spec.idempotencyKey}:invoice` },
      ),
    );

    return createDraft.andThen((invoice) =>
      this.call('invoiceItems.create', () =>
        this.stripe.invoiceItems.create(
          {
            customer: spec.customerId,
            invoice: invoice.id,
            amount: spec.amount.minor,
            currency,
            description: spec.description,
            metadata,
          },
          { idempotencyKey: `${spec.idempotencyKey}:line` },
        ),
      ).andThen(() =>
        // The draft was read before its line existed. Its one line is the whole amount (no
        // pending items are pulled in, no tax, no discount), so the totals are known without
        // a third call.
        toGatewayInvoice(invoice, false).map(
          (draft): GatewayInvoice => ({
            ...draft,
            amountDue: spec.amount,
            amountRemaining: spec.amount,
          }),
        ),
      ),
    );
  }

  /** One call. `auto_advance: false` keeps Stripe from emailing the member on its own. */
  finalizeInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError> {
    return this.call('invoices.finalizeInvoice', () =>
      this.stripe.invoices.finalizeInvoice(
        input.invoiceId,
        { auto_advance: false, expand: INVOICE_EXPAND },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).andThen(mapInvoice);
  }

  /** One call: sending a draft finalizes it first. */
  sendInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError> {
    return this.call('invoices.sendInvoice', () =>
      this.stripe.invoices.sendInvoice(
        input.invoiceId,
        { expand: INVOICE_EXPAND },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).andThen(mapInvoice);
  }

  voidInvoice(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError> {
    return this.call('invoices.voidInvoice', () =>
      this.stripe.invoices.voidInvoice(
        input.invoiceId,
        { expand: INVOICE_EXPAND },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).andThen(mapInvoice);
  }

  markUncollectible(input: {
    readonly invoiceId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayInvoice, GatewayError> {
    return this.call('invoices.markUncollectible', () =>
      this.stripe.invoices.markUncollectible(
        input.invoiceId,
        { expand: INVOICE_EXPAND },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).andThen(mapInvoice);
  }

  /**
   * A draft already gone answers `not_found`, which a caller retrying a delete may treat as
   * done.
   */
  deleteDraftInvoice(invoiceId: string): ResultAsync<void, GatewayError> {
    return this.call('invoices.del', () => this.stripe.invoices.del(invoiceId)).map(
      () => undefined,
    );
  }

  getInvoice(invoiceId: string): ResultAsync<GatewayInvoice, GatewayError> {
    return this.retrieveInvoice(invoiceId, null);
  }

  /**
   * Lists the customer's invoices page by page and keeps those tagged with the request. Unlike
   * Stripe's search, a list sees an invoice created a moment ago, which is the point here.
   */
  findInvoices(input: {
    readonly customerId: string;
    readonly requestId: string;
  }): ResultAsync<readonly GatewayInvoice[], GatewayError> {
    const collect = (
      startingAfter: string | undefined,
      found: readonly Stripe.Invoice[],
    ): ResultAsync<readonly Stripe.Invoice[], GatewayError> =>
      this.call('invoices.list', () =>
        this.stripe.invoices.list({
          customer: input.customerId,
          limit: 100,
          starting_after: startingAfter,
        }),
      ).andThen((page) => {
        const tagged = page.data.filter(
          (invoice) => invoice.metadata?.[METADATA_KEYS.requestId] === input.requestId,
        );
        const last = page.data.at(-1);
        const all = [...found, ...tagged];
        return page.has_more && last ? collect(last.id, all) : okAsync(all);
      });

    return collect(undefined, []).andThen((invoices) =>
      ResultAsync.combine(
        invoices.map((invoice) =>
          // Only an invoice still collecting can have a bank payment in flight; reading it
          // again with its payments tells. Recovery is rare, so the extra read is cheap.
          invoice.status === 'open' || invoice.status === 'uncollectible'
            ? this.retrieveInvoice(invoice.id, null)
            : liftAsync(toGatewayInvoice(invoice, false)),
        ),
      ),
    );
  }

  /**
   * Refunds through the invoice's payments (the invoice no longer names its charge or payment
   * intent). Without an amount, Stripe refunds what is left of each payment, so a refund made
   * earlier in the Dashboard is taken into account; the transfer to the organization is
   * reversed in proportion. Replaying with the same key sends the same parameters and gets
   * the same refund back.
   */
  refundInvoice(input: {
    readonly invoiceId: string;
    readonly amount: Money | null;
    readonly organizationId: string;
    readonly requestId: string;
    readonly idempotencyKey: string;
  }): ResultAsync<GatewayRefund, GatewayError> {
    return this.call('invoicePayments.list', () =>
      this.stripe.invoicePayments.list({
        invoice: input.invoiceId,
        status: 'paid',
        limit: 100,
        expand: ['data.payment.payment_intent'],
      }),
    ).andThen((page) => {
      const targets = page.data.flatMap(refundTargetOf);
      const [newest] = targets;
      if (newest === undefined) {
        return errAsync(
          new GatewayError('invalid_request', 'The invoice has no payment that can be refunded', {
            code: 'no_refundable_payment',
          }),
        );
      }

      // TODO(#4): a partial amount is taken from the newest payment only, and a full refund of
      // an invoice paid in several payments reports only the first of its refunds.
      if (input.amount !== null || targets.length === 1) {
        return this.createRefund(newest, input, input.amount);
      }

      return this.refundEach(targets, input);
    });
  }

  getRefund(refundId: string): ResultAsync<GatewayRefund, GatewayError> {
    return this.call('refunds.retrieve', () => this.stripe.refunds.retrieve(refundId)).andThen(
      (refund) => liftAsync(toGatewayRefund(refund, null, null)),
    );
  }

  verifyWebhook(input: {
    readonly rawBody: string | Uint8Array;
    readonly signature: string;
  }): ResultAsync<GatewayEvent, WebhookError | GatewayError> {
    const verified = verifySignedEvent(
      this.stripe.webhooks,
      input,
      this.webhookSecrets,
      this.webhookTolerance,
      this.clock.now(),
    );

    return liftAsync(verified)
      .andThen((event): ResultAsync<GatewayEvent, WebhookError | GatewayError> => {
        if (event.livemode !== (this.mode === 'live')) {
          this.logger.warn('stripe webhook of the other mode ignored', {
            eventId: event.id,
            type: event.type,
            livemode: event.livemode,
          });
          return okAsync(ignoredEvent(event));
        }

        return translateEvent(event, this.lookups);
      })
      .orElse((error) => {
        this.logger.warn('stripe webhook refused', {
          kind: error.kind,
          code: 'code' in error ? error.code : null,
        });
        return errAsync(error);
      });
  }

  private createRefund(
    target: RefundTarget,
    input: {
      readonly invoiceId: string;
      readonly organizationId: string;
      readonly requestId: string;
      readonly idempotencyKey: string;
    },
    amount: Money | null,
  ): ResultAsync<GatewayRefund, GatewayError> {
    const paymentId = 'payment_intent' in target ? target.payment_intent : target.charge;
    const against =
      'payment_intent' in target ? { payment_intent: paymentId } : { charge: paymentId };
    return this.call('refunds.create', () =>
      this.stripe.refunds.create(
        {
          ...against,
          amount: amount?.minor,
          // Only a destination charge has a transfer to reverse; Stripe refuses the flag on
          // a payment staff attached without one.
          reverse_transfer: target.destination ? true : undefined,
          metadata: {
            [METADATA_KEYS.organizationId]: input.organizationId,
            [METADATA_KEYS.requestId]: input.requestId,
            [METADATA_KEYS.invoiceId]: input.invoiceId,
            [METADATA_KEYS.refundKey]: input.idempotencyKey,
          },
        },
        { idempotencyKey: `${input.idempotencyKey}:${paymentId}` },
      ),
    ).andThen((refund) => liftAsync(toGatewayRefund(refund, input.invoiceId, null)));
  }

  /** Refunds every payment in turn; payments already refunded in full are passed over. */
  private refundEach(
    targets: readonly RefundTarget[],
    input: Parameters<StripePaymentGateway['createRefund']>[1],
  ): ResultAsync<GatewayRefund, GatewayError> {
    const made = targets.reduce<ResultAsync<GatewayRefund[], GatewayError>>(
      (previous, target) =>
        previous.andThen((refunds) =>
          this.createRefund(target, input, null)
            .map((refund) => [...refunds, refund])
            .orElse((error) =>
              error.code === 'charge_already_refunded' ? okAsync(refunds) : errAsync(error),
            ),
        ),
      okAsync([]),
    );

    return made.andThen((refunds) => {
      const [first] = refunds;
      if (first === undefined) {
        return errAsync(
          new GatewayError('invalid_request', 'Every payment of the invoice is refunded', {
            code: 'charge_already_refunded',
          }),
        );
      }

      if (refunds.length > 1) {
        this.logger.warn('invoice refunded in several refunds; only the first is reported', {
          invoiceId: input.invoiceId,
          refunds: refunds.length,
        });
      }
      return okAsync(first);
    });
  }

  private retrieveInvoice(
    invoiceId: string,
    accountId: string | null,
  ): ResultAsync<GatewayInvoice, GatewayError> {
    return this.call('invoices.retrieve', () =>
      this.stripe.invoices.retrieve(
        invoiceId,
        { expand: INVOICE_EXPAND },
        accountId === null ? undefined : { stripeAccount: accountId },
      ),
    ).andThen(mapInvoice);
  }

  /** The invoice a payment intent pays, in one call; null when it pays none of ours. */
  private invoiceOfPaymentIntent(
    paymentIntentId: string,
    accountId: string | null,
  ): ResultAsync<InvoiceFields | null, GatewayError> {
    return this.call('invoicePayments.list', () =>
      this.stripe.invoicePayments.list(
        {
          payment: { type: 'payment_intent', payment_intent: paymentIntentId },
          expand: ['data.invoice'],
          limit: 1,
        },
        accountId === null ? undefined : { stripeAccount: accountId },
      ),
    ).andThen((page): ResultAsync<InvoiceFields | null, GatewayError> => {
      const invoice = page.data[0]?.invoice;
      if (invoice === undefined || (typeof invoice === 'object' && invoice.deleted === true)) {
        return okAsync(null);
      }

      if (typeof invoice === 'string') {
        return this.call('invoices.retrieve', () =>
          this.stripe.invoices.retrieve(
            invoice,
            undefined,
            accountId === null ? undefined : { stripeAccount: accountId },
          ),
        );
      }

      return okAsync(invoice);
    });
  }

  /**
   * Makes one Stripe call: waits for the pacer, sends, maps a failure to a `GatewayError`, and
   * retries rate limits and in-flight keys with backoff. The closure sends the same
   * idempotency key on every attempt.
   */
  private call<T>(operation: string, send: () => Promise<T>): ResultAsync<T, GatewayError> {
    const attempt = (number: number): ResultAsync<T, GatewayError> =>
      ResultAsync.fromPromise(
        (this.pacer?.take() ?? Promise.resolve()).then(send),
        toGatewayError,
      ).orElse((error) => {
        const delay = isRetriedByUs(error)
          ? delayBeforeRetry(
              this.retryPolicy,
              number,
              retryAfterMs(error, this.clock.now()),
              this.random,
            )
          : null;
        const fields = {
          operation,
          attempt: number,
          kind: error.kind,
          code: error.code,
          requestId: error.requestId,
        };
        if (delay === null) {
          this.logger.debug('stripe call failed', fields);
          return errAsync(error);
        }

        this.logger.debug('stripe call retried', { ...fields, delayMs: delay });
        return ResultAsync.fromSafePromise(this.sleep(delay)).andThen(() => attempt(number + 1));
      });

    return attempt(1);
  }
}

function createClient(secretKey: string, options: StripePaymentGatewayOptions): Stripe {
  return new Stripe(secretKey, {
    apiVersion: Stripe.API_VERSION,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 80_000,
    telemetry: false,
    appInfo: { name: 'memberpay' },
    ...options.api,
  });
}

function mapInvoice(invoice: Stripe.Invoice): ResultAsync<GatewayInvoice, GatewayError> {
  return liftAsync(toGatewayInvoice(invoice, hasPaymentInFlight(invoice)));
}

function refundTargetOf(payment: Stripe.InvoicePayment): RefundTarget[] {
  const { payment_intent: intent, charge, type } = payment.payment;
  if (type === 'payment_intent' && intent !== undefined) {
    return typeof intent === 'string'
      ? [{ payment_intent: intent, destination: true }]
      : [{ payment_intent: intent.id, destination: intent.transfer_data !== null }];
  }

  // A bare charge (one with no payment intent) predates this integration's invoices, which
  // are all destination charges.
  if (type === 'charge' && charge !== undefined) {
    return [{ charge: typeof charge === 'string' ? charge : charge.id, destination: true }];
  }

  // A payment recorded as made outside Stripe has nothing Stripe can refund.
  return [];
}
