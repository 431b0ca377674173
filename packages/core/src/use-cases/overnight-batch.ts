import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import { DomainError } from '../domain/errors';
import type { BatchRunId, OrganizationId } from '../domain/ids';
import { addLocalDays, type LocalDate, localDateAt, zonedInstant } from '../domain/local-date';
import {
  canReceiveText,
  customerIsStale,
  type GatewayCustomer,
  type Member,
} from '../domain/member';
import { checkChargeable } from '../domain/money';
import { canCharge, type Organization } from '../domain/organization';
import type { HoldCode, PaymentRequest, SendAttempt } from '../domain/payment-request';
import { auditEntry, transition } from '../domain/status-machine';
import type {
  GatewayError,
  GatewayInvoice,
  InvoiceSpec,
  PaymentGatewayPort,
} from '../ports/payment-gateway.port';
import type { UnitOfWork } from '../ports/storage.port';
import { discardUnpaidInvoice, syncWithInvoice } from './cancel-and-refund';
import { announce, type Context, isConflict, transitionContext, validate } from './context';
import { hasMoney } from './invoice-state';
import { loadOrganization } from './organizations';
import { withConflictRetries } from './refunds';
import { deliverText, planText, sendDueTexts, type TextSender } from './text-delivery';

/** How many held or failed requests a report lists by id; the counts are always complete. */
const REPORT_LIST_LIMIT = 1000;

export interface BatchReport {
  readonly organizationId: OrganizationId;
  readonly runId: BatchRunId | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly sent: number;
  readonly heldCount: number;
  readonly held: ReadonlyArray<{
    readonly requestId: string;
    readonly hold: HoldCode;
    readonly message: string;
  }>;
  readonly failedCount: number;
  readonly failed: ReadonlyArray<{
    readonly requestId: string;
    readonly kind: string;
    readonly message: string;
    /** Still a draft and goes out on a later run; false when the request moved to `failed`. */
    readonly willRetry: boolean;
  }>;
  readonly textsSent: number;
  readonly gatewayCalls: number;
}

/** Progress reported while a run sends, for progress bars. */
export interface BatchProgress {
  readonly organizationId: OrganizationId;
  readonly processed: number;
  readonly sent: number;
}

interface Run {
  readonly context: Context;
  readonly gateway: PaymentGatewayPort;
  readonly organization: Organization;
  readonly runId: BatchRunId | null;
  readonly worker: string;
  readonly actor: Actor;
  readonly startedAt: Date;
  readonly calls: { count: number };
  readonly report: MutableReport;
  readonly onProgress: ((progress: BatchProgress) => void) | undefined;
}

interface MutableReport {
  sent: number;
  heldCount: number;
  held: Array<BatchReport['held'][number]>;
  failedCount: number;
  failed: Array<BatchReport['failed'][number]>;
  textsSent: number;
  processed: number;
}

export interface RunBatchOptions {
  /** Drafts created before this instant go out; defaults to now (a run by hand). */
  readonly cutoff?: Date;
  /** Drafts tried since this instant wait for a later run; defaults to the start of this call. */
  readonly notAttemptedSince?: Date;
  readonly runId?: BatchRunId | null;
  readonly onProgress?: (progress: BatchProgress) => void;
  /** Only send the texts whose time has come; leave drafts alone. */
  readonly textsOnly?: boolean;
}

const instantSchema = z.date({ error: 'must be a valid Date' });

/** A host's progress callback; checked to be a function, called as it is. */
export const progressCallbackSchema = z.custom<(progress: BatchProgress) => void>(
  (value) => typeof value === 'function',
  { message: 'must be a function' },
);

const runBatchOptionsSchema = z
  .object({
    cutoff: instantSchema.optional(),
    notAttemptedSince: instantSchema.optional(),
    runId: z.string().min(1).nullable().optional(),
    onProgress: progressCallbackSchema.optional(),
    textsOnly: z.boolean().optional(),
  })
  .strict();

/**
 * Sends an organization's drafts as invoices. Safe to run from several workers at once and to
 * run again after a crash: every request is claimed with a lease, every gateway write carries a
 * key derived from the request id, its revision and the step, and each step is stored before
 * the next, so a request never gets two invoices and is never lost.
 */
export function runBatch(
  context: Context,
  organizationId: OrganizationId,
  options?: RunBatchOptions | null,
): ResultAsync<BatchReport, DomainError> {
  const given = options ?? {};
  const valid = validate(runBatchOptionsSchema, given, 'batch options');
  if (valid.isErr()) {
    return errAsync(valid.error);
  }

  return new ResultAsync(runBatchNow(context, organizationId, given));
}

async function runBatchNow(
  context: Context,
  organizationId: OrganizationId,
  options: RunBatchOptions,
): Promise<Result<BatchReport, DomainError>> {
  const startedAt = context.clock.now();
  const organization = await context.storage.transaction(async (tx) => {
    const found = await loadOrganization(tx, organizationId);
    return found instanceof DomainError ? err(found) : ok(found);
  });
  if (organization.isErr()) {
    return err(organization.error);
  }

  const calls = { count: 0 };
  const runId = options.runId ?? null;
  const run: Run = {
    context,
    gateway: countCalls(context.gateway, calls),
    organization: organization.value,
    runId,
    worker: context.ids.next('worker'),
    actor: { kind: 'batch', runId },
    startedAt,
    calls,
    report: {
      sent: 0,
      heldCount: 0,
      held: [],
      failedCount: 0,
      failed: [],
      textsSent: 0,
      processed: 0,
    },
    onProgress: options.onProgress,
  };
  // By hand, everything created up to this instant goes out.
  const cutoff = options.cutoff ?? new Date(startedAt.getTime() + 1);

  const organizationHold = holdForOrganization(run.organization);
  const worked = options.textsOnly
    ? ok(undefined)
    : organizationHold
      ? await holdAllDrafts(run, organizationHold, cutoff)
      : await sendDrafts(run, cutoff, options.notAttemptedSince ?? startedAt);
  if (worked.isErr()) {
    return err(worked.error);
  }

  if (!organizationHold) {
    const texts = await sendDueTexts(textSender(run));
    if (texts.isErr()) {
      return err(texts.error);
    }
  }

  const { processed: _processed, ...counts } = run.report;
  return ok({
    organizationId,
    runId,
    startedAt,
    finishedAt: context.clock.now(),
    ...counts,
    gatewayCalls: calls.count,
  });
}

/** Counts every call made through the port, for the run's report. */
function countCalls(gateway: PaymentGatewayPort, calls: { count: number }): PaymentGatewayPort {
  return new Proxy(gateway, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'verifyWebhook') {
        return value;
      }

      return (...args: unknown[]) => {
        calls.count += 1;
        return value.apply(target, args);
      };
    },
  });
}

function holdForOrganization(
  organization: Organization,
): { code: HoldCode; message: string } | null {
  if (!organization.settings.memberPaymentsEnabled) {
    return {
      code: 'member_payments_off',
      message: 'Member payments are turned off for the organization',
    };
  }

  if (!canCharge(organization)) {
    return {
      code: 'payout_account_not_ready',
      message:
        `The payout account is ${organization.payoutAccount.state}; ` +
        'it must be active to charge',
    };
  }

  return null;
}

function holdForRequest(
  organization: Organization,
  member: Member,
  request: PaymentRequest,
): { code: HoldCode; message: string } | null {
  const canText = organization.settings.textDeliveryEnabled && canReceiveText(member);
  if (member.email === null && !canText) {
    return {
      code: 'no_delivery_channel',
      message: organization.settings.textDeliveryEnabled
        ? 'The member has no email address and cannot receive texts'
        : 'The member has no email address (text delivery is off)',
    };
  }

  // Above the largest charge, staff must look (the amount is likely a keying or payer error);
  // below the smallest, the request waits for an edit or a write-off.
  const chargeable = checkChargeable(request.amount);
  if (chargeable.isErr()) {
    const code =
      chargeable.error.code === 'MONEY.ABOVE_MAXIMUM_CHARGE'
        ? 'needs_review'
        : 'below_minimum_charge';
    return { code, message: chargeable.error.message };
  }

  return null;
}

/** Marks every waiting draft with the organization-wide reason it cannot go out. */
async function holdAllDrafts(
  run: Run,
  hold: { code: HoldCode; message: string },
  cutoff: Date,
): Promise<Result<void, DomainError>> {
  const { context, organization } = run;
  let after: string | null = null;

  for (;;) {
    const page = await context.storage.transaction(async (tx) => {
      const drafts = await tx.requests.list(
        organization.id,
        { statuses: ['draft'] },
        { limit: context.options.pageSize, after },
      );
      for (const draft of drafts) {
        if (draft.createdAt.getTime() >= cutoff.getTime() || isStaffHold(draft.hold?.code)) {
          continue;
        }

        noteHeld(run, draft.id, hold);
        if (draft.hold?.code !== hold.code) {
          await storeHold(run, tx, draft, hold);
        }
      }
      return ok(drafts.at(-1)?.id ?? null);
    });
    if (page.isErr()) {
      return err(page.error);
    }

    if (page.value === null) {
      return ok(undefined);
    }

    after = page.value;
  }
}

function isStaffHold(code: HoldCode | undefined): boolean {
  return code === 'needs_review' || code === 'below_minimum_charge';
}

async function storeHold(
  run: Run,
  tx: UnitOfWork,
  draft: PaymentRequest,
  hold: { code: HoldCode; message: string },
): Promise<void> {
  const at = run.context.clock.now();
  const stored = await tx.requests.update({
    ...draft,
    hold: { ...hold, since: at },
    updatedAt: at,
  });
  await tx.audit.append(
    auditEntry(stored, draft.status, {
      ...transitionContext(run.context, run.actor, hold.message),
      action: 'held',
      details: { hold: hold.code },
    }),
  );
}

function noteHeld(run: Run, requestId: string, hold: { code: HoldCode; message: string }): void {
  run.report.heldCount += 1;
  if (run.report.held.length < REPORT_LIST_LIMIT) {
    run.report.held.push({ requestId, hold: hold.code, message: hold.message });
  }
}

function noteFailed(
  run: Run,
  requestId: string,
  error: { kind: string; message: string },
  willRetry: boolean,
): void {
  run.report.failedCount += 1;
  if (run.report.failed.length < REPORT_LIST_LIMIT) {
    run.report.failed.push({ requestId, kind: error.kind, message: error.message, willRetry });
  }
}

/** Claims drafts page by page and sends each page with bounded concurrency. */
async function sendDrafts(
  run: Run,
  cutoff: Date,
  notAttemptedSince: Date,
): Promise<Result<void, DomainError>> {
  for (;;) {
    const claimed = await claimPage(run, cutoff, notAttemptedSince);
    if (claimed.isErr()) {
      return err(claimed.error);
    }

    if (claimed.value.length === 0) {
      return ok(undefined);
    }

    // One member's requests go one after another, so the second finds the customer the first
    // created instead of asking the gateway again.
    const byMember = new Map<string, PaymentRequest[]>();
    for (const request of claimed.value) {
      byMember.set(request.memberId, [...(byMember.get(request.memberId) ?? []), request]);
    }

    const failure = await inParallel(
      [...byMember.values()],
      run.context.options.concurrency,
      async (requests) => {
        for (const request of requests) {
          const outcome = await sendOne(run, request);
          run.report.processed += 1;
          reportProgress(run);
          if (outcome.isErr()) {
            return outcome;
          }
        }
        return ok(undefined);
      },
    );
    if (failure) {
      return err(failure);
    }
  }
}

/** Tells the host how far the run is; a throwing callback is logged and never stops the run. */
function reportProgress(run: Run): void {
  if (!run.onProgress) {
    return;
  }

  try {
    run.onProgress({
      organizationId: run.organization.id,
      processed: run.report.processed,
      sent: run.report.sent,
    });
  } catch (error) {
    run.context.logger.warn('progress callback threw', {
      organizationId: run.organization.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Runs `work` over `items`, at most `limit` at a time; stops at the first storage failure. */
async function inParallel<Item>(
  items: readonly Item[],
  limit: number,
  work: (item: Item) => Promise<Result<unknown, DomainError>>,
): Promise<DomainError | null> {
  let next = 0;
  let failure: DomainError | null = null;
  const lane = async () => {
    while (failure === null && next < items.length) {
      const item = items[next] as Item;
      next += 1;
      const result = await work(item);
      if (result.isErr()) {
        failure = result.error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return failure;
}

function claimPage(
  run: Run,
  cutoff: Date,
  notAttemptedSince: Date,
): ResultAsync<PaymentRequest[], DomainError> {
  const { context, organization } = run;
  return context.storage.transaction(async (tx) => {
    const now = context.clock.now();
    const candidates = await tx.requests.findClaimable(organization.id, {
      now,
      cutoff,
      notAttemptedSince,
      limit: context.options.pageSize,
    });

    const claimed: PaymentRequest[] = [];
    for (const candidate of candidates) {
      const attempt = nextAttempt(run, candidate, now);
      if (candidate.status === 'sending') {
        // A worker died holding this request: take it over where it stopped.
        const stored = await tx.requests.update({
          ...candidate,
          sendAttempt: attempt,
          updatedAt: now,
        });
        await tx.audit.append(
          auditEntry(stored, candidate.status, {
            ...transitionContext(
              context,
              run.actor,
              'taken over after the previous worker’s lease expired',
            ),
            action: 'note',
            details: { previousWorker: candidate.sendAttempt?.leaseOwner ?? null },
          }),
        );
        claimed.push(stored);
        continue;
      }

      const moved = transition(
        candidate,
        'sending',
        transitionContext(context, run.actor, 'claimed by the batch'),
        {
          sendAttempt: attempt,
          hold: null,
        },
      );
      if (moved.isErr()) {
        return err(moved.error);
      }

      claimed.push(await tx.requests.update(moved.value.request));
      await tx.audit.append(moved.value.audit);
    }
    return ok(claimed);
  });
}

function nextAttempt(run: Run, request: PaymentRequest, now: Date): SendAttempt {
  const previous = request.sendAttempt;
  const sameRevision = previous?.revision === request.revision;
  const hasInvoice =
    request.gateway.invoiceId !== null && request.gateway.invoiceRevision === request.revision;
  return {
    revision: request.revision,
    attempts: sameRevision ? previous.attempts + 1 : 1,
    leaseOwner: run.worker,
    leaseExpiresAt: new Date(now.getTime() + run.context.options.leaseMs),
    lastAttemptAt: now,
    // Stored with the claim, before this attempt asks for an invoice: a later attempt that
    // finds it older than its own start looks for what this one may have made unrecorded.
    invoiceRequestedAt: previous?.invoiceRequestedAt ?? (hasInvoice ? null : now),
    lastError: null,
  };
}

type Step<T> = Result<T, GatewayError | DomainError | Lost>;

/** The request is no longer ours: canceled, edited or taken over while we worked on it. */
class Lost {
  readonly current: PaymentRequest | null;

  constructor(current: PaymentRequest | null) {
    this.current = current;
  }
}

/**
 * What one attempt learned that must be stored with however it ends: the gateway customer it
 * created or brought up to date (an idempotency key only replays for a day, so an unstored
 * customer could be made twice by a retry the next night).
 */
interface Attempt {
  readonly claimed: PaymentRequest;
  customer: GatewayCustomer | null;
  /** The invoice this attempt made or found, recorded however the attempt ends. */
  invoice: { readonly id: string; readonly customerId: string } | null;
}

async function sendOne(run: Run, claimed: PaymentRequest): Promise<Result<void, DomainError>> {
  const attempt: Attempt = { claimed, customer: null, invoice: null };
  const outcome = await sendSteps(run, attempt);
  if (outcome.isOk()) {
    return ok(undefined);
  }

  const failure = outcome.error;
  if (failure instanceof Lost) {
    run.context.logger.debug('request changed hands while sending', { requestId: claimed.id });
    return attempt.customer
      ? withConflictRetries(run.context, () =>
          run.context.storage.transaction(async (tx) => {
            await storeCustomer(tx, claimed, attempt);
            return ok(undefined);
          }),
        )
      : ok(undefined);
  }

  if (
    failure instanceof DomainError &&
    failure.code.startsWith('STORAGE.') &&
    !isConflict(failure)
  ) {
    return err(failure);
  }

  return giveUp(run, attempt, failure);
}

async function sendSteps(run: Run, attempt: Attempt): Promise<Step<void>> {
  const { context, organization } = run;
  const { claimed } = attempt;
  const member = await context.storage.transaction(async (tx) => {
    const found = await tx.members.get(organization.id, claimed.memberId);
    return found
      ? ok(found)
      : err(new DomainError('MEMBER.NOT_FOUND', `Member ${claimed.memberId} not found`));
  });
  if (member.isErr()) {
    return err(member.error);
  }

  const hold = holdForRequest(organization, member.value, claimed);
  if (hold) {
    return release(run, claimed, hold);
  }

  const customerId = await ensureCustomer(run, member.value, attempt);
  if (customerId.isErr()) {
    return err(customerId.error);
  }

  const invoice = await ensureInvoice(run, claimed, customerId.value);
  if (invoice.isErr()) {
    return err(invoice.error);
  }

  attempt.invoice = { id: invoice.value, customerId: customerId.value };

  // Keyed by the invoice: whichever attempt sends it, it is sent once.
  const key = `mp:${claimed.id}:${invoice.value}`;
  const delivered = member.value.email
    ? await run.gateway.sendInvoice({ invoiceId: invoice.value, idempotencyKey: `${key}:send` })
    : await run.gateway.finalizeInvoice({
        invoiceId: invoice.value,
        idempotencyKey: `${key}:finalize`,
      });
  if (delivered.isErr()) {
    return err(delivered.error);
  }

  return markSent(run, attempt, member.value, delivered.value);
}

/** Stores the customer an attempt made, unless the member changed meanwhile. */
async function storeCustomer(
  tx: UnitOfWork,
  request: PaymentRequest,
  attempt: Attempt,
): Promise<void> {
  if (!attempt.customer) {
    return;
  }

  const member = await tx.members.get(request.organizationId, request.memberId);
  if (member && member.gatewayCustomer?.customerId !== attempt.customer.customerId) {
    await tx.members.update({ ...member, gatewayCustomer: attempt.customer });
  } else if (member && customerIsStale(member)) {
    await tx.members.update({ ...member, gatewayCustomer: attempt.customer });
  }
}

/**
 * One gateway customer per member, created once; brought up to date when contact details
 * change.
 */
async function ensureCustomer(run: Run, member: Member, attempt: Attempt): Promise<Step<string>> {
  if (member.gatewayCustomer && !customerIsStale(member)) {
    return ok(member.gatewayCustomer.customerId);
  }

  let customerId = member.gatewayCustomer?.customerId ?? null;
  if (customerId === null) {
    const created = await run.gateway.createCustomer({
      organizationId: member.organizationId,
      memberId: member.id,
      name: member.name,
      email: member.email,
      phone: member.phone,
      idempotencyKey: `mp:${member.organizationId}:${member.id}:customer`,
    });
    if (created.isErr()) {
      return err(created.error);
    }

    customerId = created.value.customerId;
  } else {
    const updated = await run.gateway.updateCustomer({
      customerId,
      name: member.name,
      email: member.email,
      phone: member.phone,
      idempotencyKey: `mp:${member.id}:customer:v${member.version}`,
    });
    if (updated.isErr()) {
      return err(updated.error);
    }
  }

  attempt.customer = { customerId, email: member.email, phone: member.phone, name: member.name };
  return ok(customerId);
}

/**
 * Makes sure the request has an invoice for its current revision: the one it already has, one
 * an earlier attempt created without recording it, or a new one. Invoices made for an older
 * revision (the draft was edited since) or left half-built are deleted or voided so that they
 * never reach anyone. An earlier invoice the member has paid stops everything: the request is
 * brought up to date with that payment instead, and nothing more is sent.
 */
async function ensureInvoice(
  run: Run,
  request: PaymentRequest,
  customerId: string,
): Promise<Step<string>> {
  const link = request.gateway;
  if (link.invoiceId && link.invoiceRevision === request.revision) {
    return ok(link.invoiceId);
  }

  const earlier = await earlierInvoices(run, request, customerId);
  if (earlier.isErr()) {
    return err(earlier.error);
  }

  let invoice: GatewayInvoice | null = null;
  for (const candidate of earlier.value) {
    if (hasMoney(candidate)) {
      return settle(run, request, candidate);
    }

    const reusable =
      invoice === null &&
      (candidate.status === 'draft' || candidate.status === 'open') &&
      candidate.tags.revision === request.revision &&
      candidate.amountDue.minor === request.amount.minor;
    if (reusable) {
      invoice = candidate;
      continue;
    }

    const discarded = await discardInvoice(run, candidate, request.id);
    if (discarded.isErr()) {
      return err(discarded.error);
    }
  }

  if (invoice === null) {
    const created = await run.gateway.createInvoice(invoiceSpec(run, request, customerId));
    if (created.isErr()) {
      return err(created.error);
    }

    invoice = created.value;
  }

  // Not stored yet: a crash from here is found by the next attempt through the invoice's tags,
  // and a payment event through them too. `markSent` stores it with the move to `sent`.
  return ok(invoice.id);
}

/**
 * Invoices the request may already have: its recorded one (of an older revision), and, when an
 * earlier attempt asked for one it never recorded, every invoice tagged with the request.
 */
async function earlierInvoices(
  run: Run,
  request: PaymentRequest,
  customerId: string,
): Promise<Step<readonly GatewayInvoice[]>> {
  const attempt = request.sendAttempt;
  const askedBefore =
    attempt?.invoiceRequestedAt != null &&
    attempt.invoiceRequestedAt.getTime() < attempt.lastAttemptAt.getTime();
  if (askedBefore) {
    const found = await run.gateway.findInvoices({ customerId, requestId: request.id });
    run.context.logger.info('looked for invoices an earlier attempt created', {
      requestId: request.id,
      found: found.isOk() ? found.value.length : null,
    });
    return found.isErr() ? err(found.error) : ok(found.value);
  }

  if (!request.gateway.invoiceId) {
    return ok([]);
  }

  const linked = await run.gateway.getInvoice(request.gateway.invoiceId);
  if (linked.isErr()) {
    return linked.error.kind === 'not_found' ? ok([]) : err(linked.error);
  }

  return ok([linked.value]);
}

/** Deletes a draft, voids an open or uncollectible invoice: it must never be paid. */
async function discardInvoice(
  run: Run,
  invoice: GatewayInvoice,
  requestId: string,
): Promise<Step<void>> {
  if (invoice.status === 'draft') {
    const deleted = await run.gateway.deleteDraftInvoice(invoice.id);
    return deleted.isErr() && deleted.error.kind !== 'not_found'
      ? err(deleted.error)
      : ok(undefined);
  }

  if (invoice.status === 'open' || invoice.status === 'uncollectible') {
    const voided = await run.gateway.voidInvoice({
      invoiceId: invoice.id,
      idempotencyKey: `mp:${requestId}:void:${invoice.id}`,
    });
    return voided.isErr() ? err(voided.error) : ok(undefined);
  }

  return ok(undefined);
}

/** The member paid an earlier invoice of this request: record it, and send nothing more. */
async function settle(
  run: Run,
  request: PaymentRequest,
  invoice: GatewayInvoice,
): Promise<Step<never>> {
  run.context.logger.warn('an earlier invoice of the request was paid; nothing more is sent', {
    requestId: request.id,
    invoiceId: invoice.id,
  });
  const synced = await syncWithInvoice(run.context, request, invoice, run.actor);
  return synced.isErr() ? err(synced.error) : err(new Lost(synced.value));
}

/**
 * We made (or sent) an invoice, then found the request no longer ours to send: canceled while
 * we worked, or taken over. Unless the request now owns that invoice, nobody may pay it.
 */
async function compensateLostInvoice(run: Run, invoiceId: string, lost: Lost): Promise<void> {
  const current = lost.current;
  if (current?.gateway.invoiceId === invoiceId && current.status !== 'canceled') {
    return;
  }

  if (current && current.status === 'sending') {
    // Another worker took the request over; it finds this invoice by its tags.
    return;
  }

  await discardUnpaidInvoice(run.context, invoiceId, current?.id ?? 'unknown');
}

function invoiceSpec(run: Run, request: PaymentRequest, customerId: string): InvoiceSpec {
  const { organization } = run;
  const due = dueDateFor(request, organization, run.context.clock.now());
  return {
    organizationId: organization.id,
    requestId: request.id,
    revision: request.revision,
    claimId: request.claimId,
    internalId: request.internalId,
    customerId,
    payoutAccountId: organization.payoutAccount.accountId as string,
    amount: request.amount,
    description:
      request.description ?? `Amount you owe to ${organization.name} (${request.internalId})`,
    // Noon on the due day in the organization's zone reads as that same day in every US zone.
    dueAt: zonedInstant(due, 12, 0, organization.timeZone),
    // A later attempt (of the same revision) first looks for what this one made, and makes a
    // new invoice only after discarding a broken one; its own key keeps Stripe from handing
    // the discarded one back.
    idempotencyKey: `mp:${request.id}:r${request.revision}:a${request.sendAttempt?.attempts ?? 1}`,
  };
}

/**
 * The due date: the organization's days until due, counted in its own calendar from the day the
 * request was created. A request that waited so long that this day has passed gets the full
 * term from the day it goes out.
 */
export function dueDateFor(
  request: PaymentRequest,
  organization: Organization,
  now: Date,
): LocalDate {
  const { timeZone, settings } = organization;
  const fromCreation = addLocalDays(
    localDateAt(request.createdAt, timeZone),
    settings.daysUntilDue,
  );
  const today = localDateAt(now, timeZone);
  return fromCreation > today ? fromCreation : addLocalDays(today, settings.daysUntilDue);
}

/** Stores a step's result if the request is still ours; otherwise reports it lost. */
async function _saveProgress(
  run: Run,
  request: PaymentRequest,
  changes: Partial<PaymentRequest>,
): Promise<Step<PaymentRequest>> {
  const saved = await run.context.storage.transaction(
    async (tx): Promise<Result<PaymentRequest | Lost, DomainError>> => {
      const current = await tx.requests.get(run.organization.id, request.id);
      if (!isOurs(run, current) || current.revision !== request.revision) {
        return ok(new Lost(current));
      }

      return ok(
        await tx.requests.update({ ...current, ...changes, updatedAt: run.context.clock.now() }),
      );
    },
  );
  if (saved.isErr()) {
    return err(saved.error);
  }

  return saved.value instanceof Lost ? err(saved.value) : ok(saved.value);
}

function isOurs(run: Run, request: PaymentRequest | null): request is PaymentRequest {
  return (
    request !== null &&
    request.status === 'sending' &&
    request.sendAttempt?.leaseOwner === run.worker
  );
}

async function markSent(
  run: Run,
  attempt: Attempt,
  member: Member,
  invoice: GatewayInvoice,
): Promise<Step<void>> {
  const request = attempt.claimed;
  const { context, organization } = run;
  const now = context.clock.now();
  const text = planText(context, organization, member, now);

  // Two workers may store the customer of one member at once: the loser of that race reads
  // the member again, finds the same customer there, and goes on.
  const stored = await withConflictRetries(context, () =>
    context.storage.transaction(async (tx): Promise<Result<PaymentRequest | Lost, DomainError>> => {
      const current = await tx.requests.get(organization.id, request.id);
      await storeCustomer(tx, request, attempt);
      if (!isOurs(run, current)) {
        return ok(new Lost(current));
      }

      const moved = transition(
        current,
        'sent',
        transitionContext(
          context,
          run.actor,
          member.email ? 'invoice sent by email' : 'invoice ready to send by text',
          {
            details: { invoiceId: invoice.id, channel: member.email ? 'email' : 'text' },
          },
        ),
        {
          gateway: {
            customerId: invoice.customerId,
            invoiceId: invoice.id,
            invoiceRevision: current.revision,
            invoiceNumber: invoice.number,
            hostedInvoiceUrl: invoice.hostedInvoiceUrl,
          },
          dueDate: dueDateFor(current, organization, now),
          sendAttempt: {
            ...(current.sendAttempt as SendAttempt),
            leaseOwner: null,
            leaseExpiresAt: null,
          },
          text,
        },
      );
      if (moved.isErr()) {
        return err(moved.error);
      }

      const saved = await tx.requests.update(moved.value.request);
      await tx.audit.append(moved.value.audit);
      return ok(saved);
    }),
  );
  if (stored.isErr()) {
    return err(stored.error);
  }

  if (stored.value instanceof Lost) {
    await compensateLostInvoice(run, invoice.id, stored.value);
    return err(stored.value);
  }

  run.report.sent += 1;
  announce(context, request, stored.value, run.actor);
  if (stored.value.text && stored.value.text.notBefore.getTime() <= now.getTime()) {
    await deliverText(textSender(run), stored.value, member);
  }

  return ok(undefined);
}

/** Puts a claimed request back to draft with the reason it cannot go out yet. */
async function release(
  run: Run,
  request: PaymentRequest,
  hold: { code: HoldCode; message: string },
): Promise<Step<void>> {
  const { context } = run;
  const stored = await context.storage.transaction(async (tx) => {
    const current = await tx.requests.get(run.organization.id, request.id);
    if (!isOurs(run, current)) {
      return ok(null);
    }

    const moved = transition(
      current,
      'draft',
      transitionContext(context, run.actor, hold.message, {
        action: 'held',
        details: { hold: hold.code },
      }),
      {
        hold: { ...hold, since: context.clock.now() },
        sendAttempt: {
          ...(current.sendAttempt as SendAttempt),
          leaseOwner: null,
          leaseExpiresAt: null,
        },
      },
    );
    if (moved.isErr()) {
      return err(moved.error);
    }

    await tx.requests.update(moved.value.request);
    await tx.audit.append(moved.value.audit);
    return ok(null);
  });
  if (stored.isErr()) {
    return err(stored.error);
  }

  noteHeld(run, request.id, hold);
  context.logger.warn('payment request held back', { requestId: request.id, hold: hold.code });
  return ok(undefined);
}

/**
 * A step failed. A retryable gateway failure puts the request back to draft for a later run
 * (same revision, so the same idempotency keys); anything else moves it to `failed`, with the
 * error, for staff to look at.
 */
async function giveUp(
  run: Run,
  attempt: Attempt,
  failure: GatewayError | DomainError,
): Promise<Result<void, DomainError>> {
  const { context } = run;
  const requestId = attempt.claimed.id;
  const kind = failure instanceof DomainError ? failure.code : failure.kind;
  const retryable = failure instanceof DomainError ? isConflict(failure) : failure.retryable;
  const lastError = { kind, message: failure.message };

  const stored = await withConflictRetries(context, () =>
    context.storage.transaction(async (tx) => {
      const current = await tx.requests.get(run.organization.id, requestId);
      await storeCustomer(tx, attempt.claimed, attempt);
      if (!isOurs(run, current)) {
        return ok(null);
      }

      // The invoice may have reached the member (an answer lost after the send): record it, so
      // that a cancel can void it and a payment on it is found.
      const gateway = attempt.invoice
        ? {
            ...current.gateway,
            customerId: attempt.invoice.customerId,
            invoiceId: attempt.invoice.id,
            invoiceRevision: current.revision,
          }
        : current.gateway;
      const to = retryable ? 'draft' : 'failed';
      const moved = transition(
        current,
        to,
        transitionContext(
          context,
          run.actor,
          retryable ? `will retry: ${failure.message}` : failure.message,
          {
            details: { error: kind },
          },
        ),
        {
          gateway,
          sendAttempt: {
            ...(current.sendAttempt as SendAttempt),
            leaseOwner: null,
            leaseExpiresAt: null,
            lastError,
          },
        },
      );
      if (moved.isErr()) {
        return err(moved.error);
      }

      const saved = await tx.requests.update(moved.value.request);
      await tx.audit.append(moved.value.audit);
      return ok({ before: current, after: saved });
    }),
  );
  if (stored.isErr()) {
    return err(stored.error);
  }

  noteFailed(run, requestId, lastError, retryable);
  context.logger.warn('payment request not sent', { requestId, error: kind, willRetry: retryable });
  if (stored.value) {
    announce(context, stored.value.before, stored.value.after, run.actor);
  }

  return ok(undefined);
}

function textSender(run: Run): TextSender {
  return {
    context: run.context,
    organization: run.organization,
    actor: run.actor,
    onSent: () => {
      run.report.textsSent += 1;
    },
  };
}
