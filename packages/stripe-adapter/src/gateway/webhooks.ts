import {
  type GatewayError,
  type GatewayEvent,
  type GatewayInvoice,
  type InvoiceEventType,
  WebhookError,
} from '@memberpay/core';
import { err, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import type Stripe from 'stripe';
import type { z } from 'zod';
import { liftAsync } from './lift';
import {
  invoiceTags,
  METADATA_KEYS,
  toGatewayInvoice,
  toGatewayRefund,
  toMoney,
  toPayoutAccountFacts,
} from './mapping';
import {
  accountFields,
  disputeFields,
  type EventEnvelope,
  eventEnvelope,
  type InvoiceFields,
  idOf,
  invoiceFields,
  invoicePaymentFields,
  paymentIntentFields,
  refundFields,
} from './payloads';

export interface WebhookInput {
  readonly rawBody: unknown;
  readonly signature: string;
}

/**
 * Checks the `Stripe-Signature` header against the exact bytes received, with each of the
 * endpoint secrets in turn (the platform endpoint and the Connect endpoint each have their
 * own), then the age of the signature. Only then is the body read.
 */
export function verifySignedEvent(
  webhooks: Stripe['webhooks'],
  input: WebhookInput,
  secrets: readonly string[],
  toleranceSeconds: number,
  receivedAt: Date,
): Result<EventEnvelope, WebhookError> {
  const { rawBody, signature } = input;
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    // Re-serialising a parsed body never reproduces the signed bytes, so we do not try.
    return err(
      new WebhookError(
        'raw_body_required',
        'The webhook body must be the raw bytes or string received, not a parsed object',
      ),
    );
  }

  const verifies = (secret: string, tolerance: number): boolean => {
    try {
      return (
        webhooks.signature?.verifyHeader(
          rawBody,
          signature,
          secret,
          tolerance,
          undefined,
          receivedAt.getTime(),
        ) ?? false
      );
    } catch {
      return false;
    }
  };

  // Tolerance 0 checks the signature alone, so that a stale event is told from a forged one.
  const secret = secrets.find((candidate) => verifies(candidate, 0));
  if (secret === undefined) {
    return err(
      new WebhookError(
        'signature_invalid',
        secrets.length === 0
          ? 'No webhook signing secret is configured'
          : 'The signature does not match the body with any configured signing secret',
      ),
    );
  }

  if (toleranceSeconds > 0 && !verifies(secret, toleranceSeconds)) {
    return err(
      new WebhookError(
        'timestamp_stale',
        `The signature is older than the tolerance of ${toleranceSeconds} s`,
      ),
    );
  }

  return parseEvent(rawBody);
}

function parseEvent(rawBody: string | Uint8Array): Result<EventEnvelope, WebhookError> {
  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8').decode(rawBody);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return err(new WebhookError('malformed', 'The webhook body is not JSON', cause));
  }

  const parsed = eventEnvelope.safeParse(json);
  return parsed.success
    ? ok(parsed.data)
    : err(new WebhookError('malformed', 'The webhook body is not a Stripe event', parsed.error));
}

/** The API reads a translation may need, made with the connected account when there is one. */
export interface EventLookups {
  invoice(invoiceId: string, accountId: string | null): ResultAsync<GatewayInvoice, GatewayError>;
  invoiceOfPaymentIntent(
    paymentIntentId: string,
    accountId: string | null,
  ): ResultAsync<InvoiceFields | null, GatewayError>;
}

const INVOICE_EVENTS: Readonly<Record<string, InvoiceEventType>> = {
  'invoice.sent': 'invoice.sent',
  'invoice.paid': 'invoice.paid',
  'invoice.payment_failed': 'invoice.payment_failed',
  'invoice.voided': 'invoice.voided',
  'invoice.marked_uncollectible': 'invoice.uncollectible',
  'invoice.updated': 'invoice.updated',
};

const REFUND_EVENTS: ReadonlySet<string> = new Set([
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
]);

function envelopeOf(event: EventEnvelope) {
  return {
    id: event.id,
    occurredAt: new Date(event.created * 1000),
    accountId: event.account ?? null,
    livemode: event.livemode,
  };
}

/** A verified event that is acknowledged and otherwise left alone. */
export function ignoredEvent(event: EventEnvelope): GatewayEvent {
  return { ...envelopeOf(event), type: 'ignored', gatewayType: event.type };
}

/**
 * Turns a verified Stripe event into core's words. Invoice events carry the invoice from the
 * payload; the few events that do not name an invoice (a payment intent, a dispute, a refund
 * made in the Dashboard) cost one read to find it. Everything else is acknowledged as ignored.
 */
export function translateEvent(
  event: EventEnvelope,
  lookups: EventLookups,
): ResultAsync<GatewayEvent, GatewayError | WebhookError> {
  const envelope = envelopeOf(event);
  const accountId = envelope.accountId;

  const invoiceType = INVOICE_EVENTS[event.type];
  if (invoiceType !== undefined) {
    return liftAsync(
      readObject(event, invoiceFields)
        .andThen((invoice) => asMalformed(toGatewayInvoice(invoice, false)))
        .map((invoice): GatewayEvent => ({ ...envelope, type: invoiceType, invoice })),
    );
  }

  if (event.type === 'invoice_payment.paid') {
    // The payment alone does not say whether the invoice is now paid in full: read it.
    return readObject(event, invoicePaymentFields)
      .asyncAndThen((payment) =>
        lookups.invoice(
          typeof payment.invoice === 'string' ? payment.invoice : payment.invoice.id,
          accountId,
        ),
      )
      .map(
        (invoice): GatewayEvent => ({
          ...envelope,
          type: invoice.status === 'paid' ? 'invoice.paid' : 'invoice.partially_paid',
          invoice,
        }),
      );
  }

  if (event.type === 'payment_intent.processing') {
    return readObject(event, paymentIntentFields)
      .asyncAndThen((intent) => lookups.invoiceOfPaymentIntent(intent.id, accountId))
      .andThen((found): Result<GatewayEvent, WebhookError> => {
        if (found === null) {
          return ok({ ...envelope, type: 'ignored', gatewayType: event.type });
        }

        return asMalformed(toGatewayInvoice(found, true)).map((invoice) => ({
          ...envelope,
          type: 'invoice.payment_processing',
          invoice,
        }));
      });
  }

  if (REFUND_EVENTS.has(event.type)) {
    return readObject(event, refundFields).asyncAndThen((refund) => {
      const intentId = idOf(refund.payment_intent);
      const known = refund.metadata?.[METADATA_KEYS.invoiceId];
      // A refund made in the Dashboard has no metadata of ours: find its invoice.
      const invoice =
        known !== undefined || intentId === null
          ? okAsync<InvoiceFields | null, GatewayError>(null)
          : lookups.invoiceOfPaymentIntent(intentId, accountId);

      return invoice.andThen((found) =>
        asMalformed(
          toGatewayRefund(refund, found?.id ?? null, found ? invoiceTags(found.metadata) : null),
        ).map((mapped): GatewayEvent => ({ ...envelope, type: 'refund.updated', refund: mapped })),
      );
    });
  }

  if (event.type === 'charge.dispute.created' || event.type === 'charge.dispute.closed') {
    const type = event.type === 'charge.dispute.created' ? 'dispute.opened' : 'dispute.closed';
    return readObject(event, disputeFields).asyncAndThen((dispute) => {
      const intentId = idOf(dispute.payment_intent);
      const invoice =
        intentId === null
          ? okAsync<InvoiceFields | null, GatewayError>(null)
          : lookups.invoiceOfPaymentIntent(intentId, accountId);

      return invoice.andThen((found) =>
        asMalformed(toMoney(dispute.amount, dispute.currency)).map(
          (amount): GatewayEvent => ({
            ...envelope,
            type,
            dispute: {
              id: dispute.id,
              invoiceId: found?.id ?? null,
              tags: invoiceTags(found?.metadata ?? null),
              amount,
              outcome: type === 'dispute.closed' ? disputeOutcome(dispute.status) : null,
            },
          }),
        ),
      );
    });
  }

  if (event.type === 'account.updated') {
    return liftAsync(
      readObject(event, accountFields).map(
        (account): GatewayEvent => ({
          ...envelope,
          type: 'payout_account.updated',
          account: toPayoutAccountFacts(account),
        }),
      ),
    );
  }

  return okAsync({ ...envelope, type: 'ignored', gatewayType: event.type });
}

/**
 * A closed dispute either took the money back or left it with the organization. An inquiry
 * that closed without becoming a dispute, or one prevented before it started, leaves it.
 */
function disputeOutcome(status: string): 'won' | 'lost' | null {
  if (status === 'won' || status === 'warning_closed' || status === 'prevented') {
    return 'won';
  }

  return status === 'lost' ? 'lost' : null;
}

function readObject<T>(event: EventEnvelope, schema: z.ZodType<T>): Result<T, WebhookError> {
  const parsed = schema.safeParse(event.data.object);
  return parsed.success
    ? ok(parsed.data)
    : err(
        new WebhookError('malformed', `The ${event.type} event has an unexpected shape`, {
          eventId: event.id,
          issues: parsed.error.issues,
        }),
      );
}

function asMalformed<T>(result: Result<T, GatewayError>): Result<T, WebhookError> {
  return result.mapErr((error) => new WebhookError('malformed', error.message, error));
}
