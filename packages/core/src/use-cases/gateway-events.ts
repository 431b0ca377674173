import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import type { Organization } from '../domain/organization';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import { auditEntry, canMove, transition } from '../domain/status-machine';
import {
  type GatewayEvent,
  type GatewayInvoice,
  WebhookError,
} from '../ports/payment-gateway.port';
import type { UnitOfWork } from '../ports/storage.port';
import { cancelLoaded, discardUnpaidInvoice } from './cancel-and-refund';
import { announce, type Context, transitionContext } from './context';
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
  return context.gateway
    .verifyWebhook(input)
    .mapErr((error) =>
      error instanceof WebhookError
        ? new DomainError('WEBHOOK.INVALID', error.message, { kind: error.kind }, error)
        : gatewayFailure(error),
    )
    .andThen((event) => applyGatewayEvent(context, event));
}

/** Applies a verified event once; applying it again, or in another order, changes nothing more. */
export function applyGatewayEvent(
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
