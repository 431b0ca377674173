import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import { isCurrency } from '../domain/money';
import type { Organization } from '../domain/organization';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import { auditEntry, canMove, transition } from '../domain/status-machine';
import {
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayInvoiceStatus,
  type GatewayRefundStatus,
  type InvoiceEventType,
  WebhookError,
} from '../ports/payment-gateway.port';
import type { UnitOfWork } from '../ports/storage.port';
import { cancelLoaded, discardUnpaidInvoice } from './cancel-and-refund';
import { announce, type Context, transitionContext, validate } from './context';
import { applyInvoice, findRequestForInvoice } from './invoice-state';
import { applyPayoutAccountFacts, gatewayFailure } from './organizations';
import {
  recordRefundOutcome,
  refundFacts,
  sendRequestedRefunds,
  withConflictRetries,
} from './refunds';

export interface WebhookOutcome {
  /**
   * - `applied`: the event changed something (or was recorded as seen).
   * - `duplicate`: this event id was applied before; nothing changed.
   * - `ignored`: an event type the flow does not need.
   * - `unknown`: it names an account, invoice or organization we do not know; logged.
   */
  readonly status: 'applied' | 'duplicate' | 'ignored' | 'unknown';
  readonly eventId: string;
  readonly type: string;
  readonly requestId: string | null;
}

/**
 * The one entry point for gateway webhooks: the raw body exactly as received and the signature
 * header. Anything that is not a verified event is refused with `WEBHOOK.INVALID` (answer 400);
 * a storage or gateway failure is an error too (answer 500, and the gateway delivers again);
 * everything else is acknowledged.
 */
export function handleWebhook(
  context: Context,
  input: { readonly rawBody: string | Uint8Array; readonly signature: string },
): ResultAsync<WebhookOutcome, DomainError> {
  const refused = webhookInputProblem(input);
  if (refused) {
    return errAsync(refused);
  }

  return context.gateway
    .verifyWebhook(input)
    .mapErr((error) =>
      error instanceof WebhookError
        ? new DomainError('WEBHOOK.INVALID', error.message, { kind: error.kind }, error)
        : gatewayFailure(error),
    )
    .andThen((event) =>
      checkGatewayEvent(event).mapErr(
        (problem) =>
          new DomainError(
            'WEBHOOK.INVALID',
            `The gateway verified the webhook but its event is malformed: ${problem.message}`,
            { kind: 'malformed', fields: problem.details.fields },
          ),
      ),
    )
    .andThen((event) => applyVerifiedEvent(context, event));
}

/** Hosts call `handle` from untyped request handlers: a missing part is an answer, not a crash. */
function webhookInputProblem(input: unknown): DomainError | null {
  if (typeof input !== 'object' || input === null) {
    return new DomainError(
      'WEBHOOK.INVALID',
      'Pass the webhook as { rawBody, signature }: the raw request body exactly as received ' +
        'and the signature header',
      { kind: 'raw_body_required' },
    );
  }

  const { signature } = input as { signature?: unknown };
  if (typeof signature !== 'string') {
    return new DomainError(
      'WEBHOOK.INVALID',
      `signature: must be the signature header as a string, got ${kindOf(signature)}`,
      { kind: 'signature_invalid' },
    );
  }

  return null;
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Applies a verified event once; applying it again, or in another order, changes nothing more.
 * An event without what core reads of it is refused with `INPUT.INVALID`, naming the field.
 */
export function applyGatewayEvent(
  context: Context,
  event: GatewayEvent,
): ResultAsync<WebhookOutcome, DomainError> {
  const checked = checkGatewayEvent(event);
  if (checked.isErr()) {
    return errAsync(checked.error);
  }

  return applyVerifiedEvent(context, checked.value);
}

function applyVerifiedEvent(
  context: Context,
  event: GatewayEvent,
): ResultAsync<WebhookOutcome, DomainError> {
  if (event.type === 'ignored') {
    return ResultAsync.fromSafePromise(Promise.resolve(outcome(event, 'ignored', null)));
  }

  return context.storage
    .transaction(async (tx) => ok(await tx.gatewayEvents.has(event.id)))
    .andThen((seen) =>
      seen
        ? ResultAsync.fromSafePromise(Promise.resolve(outcome(event, 'duplicate', null)))
        : new ResultAsync(withConflictRetries(context, () => applyOnce(context, event))),
    );
}

const INVOICE_EVENT_TYPES: Record<InvoiceEventType, true> = {
  'invoice.sent': true,
  'invoice.paid': true,
  'invoice.payment_failed': true,
  'invoice.payment_processing': true,
  'invoice.partially_paid': true,
  'invoice.voided': true,
  'invoice.uncollectible': true,
  'invoice.updated': true,
};

const INVOICE_STATUSES: Record<GatewayInvoiceStatus, true> = {
  draft: true,
  open: true,
  paid: true,
  void: true,
  uncollectible: true,
};

const REFUND_STATUSES: Record<GatewayRefundStatus, true> = {
  pending: true,
  requires_action: true,
  succeeded: true,
  failed: true,
  canceled: true,
};

const moneySchema = z.object({
  minor: z.number().int().refine(Number.isSafeInteger, { message: 'must be a safe integer' }),
  currency: z.string().refine(isCurrency, { message: 'must be a currency the SDK bills in' }),
});

const tagsSchema = z.object({
  organizationId: z.string().nullable(),
  requestId: z.string().nullable(),
  revision: z.number().int().nullable(),
});

const invoiceSchema = z.object({
  id: z.string().min(1),
  status: z.enum(Object.keys(INVOICE_STATUSES) as [GatewayInvoiceStatus]),
  customerId: z.string(),
  payoutAccountId: z.string().nullable(),
  amountPaid: moneySchema,
  paymentInFlight: z.boolean(),
  hostedInvoiceUrl: z.string().nullable(),
  number: z.string().nullable(),
  tags: tagsSchema,
});

/** The envelope every event has; checked first, so that its own problems are named. */
const envelopeSchema = z.object({ id: z.string().min(1), type: z.string().min(1) });

/**
 * What core reads of each kind of event. Fields it never reads are not checked, and extra
 * fields are let through: adapters may carry more than core needs.
 */
const eventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.enum(Object.keys(INVOICE_EVENT_TYPES) as [InvoiceEventType]),
    invoice: invoiceSchema,
  }),
  z.object({
    type: z.literal('refund.updated'),
    refund: z.object({
      id: z.string().min(1),
      status: z.enum(Object.keys(REFUND_STATUSES) as [GatewayRefundStatus]),
      amount: moneySchema,
      invoiceId: z.string().nullable(),
      failureReason: z.string().nullable(),
      tags: z.object({
        organizationId: z.string().nullable(),
        requestId: z.string().nullable(),
        refundKey: z.string().nullable(),
      }),
    }),
  }),
  z.object({
    type: z.enum(['dispute.opened', 'dispute.closed']),
    dispute: z.object({
      id: z.string().min(1),
      invoiceId: z.string().nullable(),
      tags: tagsSchema,
      amount: moneySchema,
      outcome: z.enum(['won', 'lost']).nullable(),
    }),
  }),
  z.object({
    type: z.literal('payout_account.updated'),
    account: z.object({ accountId: z.string().min(1) }),
  }),
  z.object({ type: z.literal('ignored'), gatewayType: z.string() }),
]);

/**
 * Checks that an event has what core reads of it (`INPUT.INVALID` naming what is missing or
 * wrong), so that a malformed one is refused instead of failing halfway through.
 */
export function checkGatewayEvent(event: unknown): Result<GatewayEvent, DomainError> {
  return validate(envelopeSchema, event, 'gateway event')
    .andThen(() => validate(eventSchema, event, 'gateway event'))
    .map(() => event as GatewayEvent);
}

function outcome(
  event: GatewayEvent,
  status: WebhookOutcome['status'],
  requestId: string | null,
): WebhookOutcome {
  return { status, eventId: event.id, type: event.type, requestId };
}

async function applyOnce(
  context: Context,
  event: GatewayEvent,
): Promise<Result<WebhookOutcome, DomainError>> {
  switch (event.type) {
    case 'payout_account.updated':
      return applyAccountEvent(context, event);
    case 'refund.updated':
      return applyRefundEvent(context, event);
    case 'dispute.opened':
    case 'dispute.closed':
      return applyDisputeEvent(context, event);
    case 'ignored':
      return ok(outcome(event, 'ignored', null));
    default:
      return applyInvoiceEvent(context, event);
  }
}

type InvoiceEvent = Extract<GatewayEvent, { invoice: GatewayInvoice }>;
type RefundEvent = Extract<GatewayEvent, { type: 'refund.updated' }>;
type DisputeEvent = Extract<GatewayEvent, { type: 'dispute.opened' | 'dispute.closed' }>;
type AccountEvent = Extract<GatewayEvent, { type: 'payout_account.updated' }>;

function eventActor(event: GatewayEvent): Actor {
  const gatewayType = event.type === 'ignored' ? event.gatewayType : event.type;
  return { kind: 'gateway_event', eventId: event.id, eventType: gatewayType };
}

function unknown(
  context: Context,
  event: GatewayEvent,
  why: string,
): Result<WebhookOutcome, DomainError> {
  context.logger.warn('gateway event for something we do not know', {
    eventId: event.id,
    type: event.type,
    why,
  });
  return ok(outcome(event, 'unknown', null));
}

/** Records the event as applied; a duplicate means another delivery won the race. */
async function recordEvent(
  tx: UnitOfWork,
  event: GatewayEvent,
  organizationId: OrganizationId | null,
  at: Date,
) {
  await tx.gatewayEvents.record({
    eventId: event.id,
    organizationId,
    type: event.type,
    appliedAt: at,
  });
}

function duplicateIsSeen(event: GatewayEvent, result: Result<WebhookOutcome, DomainError>) {
  return result.isErr() && result.error.code === 'STORAGE.DUPLICATE'
    ? ok(outcome(event, 'duplicate', null))
    : result;
}

async function applyAccountEvent(
  context: Context,
  event: AccountEvent,
): Promise<Result<WebhookOutcome, DomainError>> {
  const organization = await context.storage.transaction(async (tx) =>
    ok(await tx.organizations.findByPayoutAccount(event.account.accountId)),
  );
  if (organization.isErr()) {
    return err(organization.error);
  }

  if (!organization.value) {
    return unknown(context, event, `payout account ${event.account.accountId}`);
  }

  // Account events arrive in any order; the account as the gateway has it now is the truth.
  const facts = await context.gateway.getPayoutAccount(event.account.accountId);
  if (facts.isErr()) {
    return err(gatewayFailure(facts.error));
  }

  const applied = await applyPayoutAccountFacts(context, organization.value.id, facts.value);
  if (applied.isErr()) {
    return err(applied.error);
  }

  const recorded = await context.storage.transaction(async (tx) => {
    await recordEvent(tx, event, organization.value?.id ?? null, context.clock.now());
    return ok(outcome(event, 'applied', null));
  });
  return duplicateIsSeen(event, recorded);
}

/**
 * The organization an event claims to belong to, if it exists and owns the payout account the
 * event names. Metadata can be forged or copied: the payout account must agree before anything
 * is touched.
 */
async function owningOrganization(
  tx: UnitOfWork,
  organizationId: string | null,
  payoutAccountId: string | null,
): Promise<Organization | null> {
  const organization = organizationId ? await tx.organizations.get(asId(organizationId)) : null;
  const owns =
    organization !== null &&
    (payoutAccountId === null || organization.payoutAccount.accountId === payoutAccountId);
  return owns ? organization : null;
}

async function applyInvoiceEvent(
  context: Context,
  event: InvoiceEvent,
): Promise<Result<WebhookOutcome, DomainError>> {
  const { tags, payoutAccountId } = event.invoice;
  if (!tags.organizationId) {
    return unknown(context, event, `invoice ${event.invoice.id} carries no organization`);
  }

  // Paid and void are final at the gateway, so the snapshot can be trusted; any other event may
  // be stale by the time it arrives, so the invoice is read back.
  const final = event.invoice.status === 'paid' || event.invoice.status === 'void';
  const invoice = final ? ok(event.invoice) : await context.gateway.getInvoice(event.invoice.id);
  if (invoice.isErr()) {
    return err(gatewayFailure(invoice.error));
  }

  const actor = eventActor(event);
  const applied = await context.storage.transaction(async (tx) => {
    const organization = await owningOrganization(tx, tags.organizationId, payoutAccountId);
    const match = organization
      ? await findRequestForInvoice(tx, organization.id, invoice.value)
      : null;
    if (!organization || !match) {
      return ok(null);
    }

    // The event is recorded with the change it causes: one commits only with the other.
    await recordEvent(tx, event, organization.id, context.clock.now());
    const result = await applyInvoice(context, tx, match, invoice.value, actor);
    return result.map((outcome) => ({ before: match.request, ...outcome }));
  });
  if (applied.isErr()) {
    return duplicateIsSeen(
      event,
      applied.map(() => outcome(event, 'applied', null)),
    );
  }

  if (applied.value === null) {
    return unknown(context, event, `invoice ${event.invoice.id} matches no payment request`);
  }

  const { before, after, discard } = applied.value;
  announce(context, before, after, actor);
  await followUp(context, after, discard, actor);
  return ok(outcome(event, 'applied', after.id));
}

/**
 * The gateway calls an applied event leaves to make. Their intents are already stored, so a
 * call that fails now is made again by the scheduler's tick; the event stays applied.
 */
async function followUp(
  context: Context,
  request: PaymentRequest,
  discard: string | null,
  actor: Actor,
): Promise<void> {
  if (discard) {
    await discardUnpaidInvoice(context, discard, request.id);
  }

  const settled = request.refunds.some((refund) => refund.status === 'requested')
    ? await sendRequestedRefunds(context, request, actor)
    : request.cancelRequestedAt && (request.status === 'sent' || request.status === 'failed')
      ? await cancelLoaded(context, request, actor)
      : ok(request);
  if (settled.isErr()) {
    context.logger.warn('a follow-up of a gateway event failed; the scheduler will retry', {
      requestId: request.id,
      code: settled.error.code,
    });
  }
}

async function applyRefundEvent(
  context: Context,
  event: RefundEvent,
): Promise<Result<WebhookOutcome, DomainError>> {
  const { refund } = event;
  const { organizationId, requestId } = refund.tags;
  if (!organizationId || !requestId) {
    return unknown(context, event, `refund ${refund.id}`);
  }

  // Read within the organization the refund names: another one's request is not found. The
  // event is recorded in the same unit of work as the refund's news.
  const applied = await recordRefundOutcome(
    context,
    organizationId,
    requestId,
    refundFacts(refund),
    eventActor(event),
    event,
  );
  if (applied.isErr() && applied.error.code === 'REQUEST.NOT_FOUND') {
    return unknown(context, event, `refund ${refund.id} names request ${requestId}`);
  }

  return duplicateIsSeen(
    event,
    applied.map(() => outcome(event, 'applied', requestId)),
  );
}

async function applyDisputeEvent(
  context: Context,
  event: DisputeEvent,
): Promise<Result<WebhookOutcome, DomainError>> {
  const { dispute } = event;
  const invoiceId = dispute.invoiceId;
  if (!invoiceId) {
    return unknown(context, event, `dispute ${dispute.id}`);
  }

  const actor = eventActor(event);
  const applied = await context.storage.transaction(async (tx) => {
    const organization = await owningOrganization(tx, dispute.tags.organizationId, null);
    const match = organization
      ? await findRequestForInvoice(tx, organization.id, { id: invoiceId, tags: dispute.tags })
      : null;
    if (!organization || !match) {
      return ok(null);
    }

    const request = match.request;
    await recordEvent(tx, event, organization.id, context.clock.now());
    const to = disputeTarget(request, event);
    if (to === null || to === request.status || !canMove(request.status, to)) {
      await tx.audit.append(
        auditEntry(request, request.status, {
          ...transitionContext(
            context,
            actor,
            `dispute ${event.type === 'dispute.opened' ? 'opened' : 'closed'}`,
          ),
          action: 'note',
          details: { disputeId: dispute.id, outcome: dispute.outcome },
        }),
      );
      return ok({ before: request, after: request });
    }

    const moved = transition(
      request,
      to,
      transitionContext(context, actor, disputeReason(event), {
        details: { disputeId: dispute.id },
      }),
    );
    if (moved.isErr()) {
      return err(moved.error);
    }

    const saved = await tx.requests.update(moved.value.request);
    await tx.audit.append(moved.value.audit);
    return ok({ before: request, after: saved });
  });
  if (applied.isErr()) {
    return duplicateIsSeen(
      event,
      applied.map(() => outcome(event, 'applied', null)),
    );
  }

  if (!applied.value) {
    return unknown(context, event, `dispute ${dispute.id} matches no payment request`);
  }

  announce(context, applied.value.before, applied.value.after, actor);
  return ok(outcome(event, 'applied', applied.value.after.id));
}

function disputeTarget(request: PaymentRequest, event: DisputeEvent): PaymentRequestStatus | null {
  if (event.type === 'dispute.opened') {
    return 'disputed';
  }

  if (request.status !== 'disputed') {
    return null;
  }

  if (event.dispute.outcome === 'lost') {
    return 'charged_back';
  }

  return request.amountPaid.minor >= request.amount.minor ? 'paid' : 'partially_paid';
}

function disputeReason(event: DisputeEvent): string {
  if (event.type === 'dispute.opened') {
    return 'the member disputed the payment with their bank';
  }

  return event.dispute.outcome === 'lost'
    ? 'the dispute was lost; the bank took the money back'
    : 'the dispute was won; the payment stands';
}
