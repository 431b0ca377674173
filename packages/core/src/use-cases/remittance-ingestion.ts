import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import type { Claim } from '../domain/claim';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId, type RemittanceId } from '../domain/ids';
import { checkChargeable, money } from '../domain/money';
import type { Organization } from '../domain/organization';
import type { HoldCode, PaymentRequest } from '../domain/payment-request';
import type {
  ClaimPaymentInput,
  ClaimPaymentOutcome,
  ClaimPaymentRecord,
  RemittanceInput,
  RemittanceRecord,
} from '../domain/remittance';
import {
  claimPaymentKey,
  correctedReversals,
  decide,
  patientResponsibility,
} from '../domain/remittance-rules';
import { auditEntry } from '../domain/status-machine';
import type { UnitOfWork } from '../ports/storage.port';
import { cancelLoaded, refundRequest, withConflictRetries } from './cancel-and-refund';
import { announce, type Context, transitionContext, validate } from './context';
import { loadOrganization } from './organizations';
import { newDraft } from './payment-requests';

const cents = z.number().int().refine(Number.isSafeInteger, { message: 'must be a safe integer' });

const claimPaymentSchema = z.object({
  patientControlNumber: z.string().trim().min(1).max(38),
  statusCode: z.string().trim().min(1).max(2),
  chargeCents: cents,
  paidCents: cents,
  payerClaimControlNumber: z.string().max(50).nullable(),
  patientResponsibility: z.object({
    declaredCents: cents.nullable(),
    adjustmentCents: cents,
    deductibleCents: cents,
    coinsuranceCents: cents,
    copayCents: cents,
    otherCents: cents,
  }),
  memberIdentifier: z.string().nullable(),
  patientName: z.object({ first: z.string().nullable(), last: z.string().nullable() }).nullable(),
  serviceDate: z.string().nullable(),
  warnings: z.array(z.string()),
});

const remittanceSchema = z.object({
  source: z.enum(['electronic', 'paper']),
  payerId: z.string().trim().min(1).max(80),
  payerName: z.string().nullable(),
  traceNumber: z.string().trim().min(1).max(80),
  paymentDate: z.string().nullable(),
  currency: z.literal('usd'),
  claimPayments: z.array(z.unknown()),
});

export interface IngestOptions {
  /** Work out what would happen and report it, writing nothing and calling no gateway. */
  readonly dryRun?: boolean;
}

export interface IngestReport {
  readonly remittanceId: string | null;
  readonly payerId: string;
  readonly traceNumber: string;
  readonly source: RemittanceInput['source'];
  readonly dryRun: boolean;
  readonly created: Array<{
    readonly requestId: string | null;
    readonly patientControlNumber: string;
    readonly amountMinor: number;
    readonly hold: HoldCode | null;
  }>;
  readonly changed: Array<{
    readonly requestId: string;
    readonly patientControlNumber: string;
    readonly fromMinor: number;
    readonly toMinor: number;
    readonly how: string;
  }>;
  readonly canceled: Array<{
    readonly requestId: string;
    readonly patientControlNumber: string;
    readonly how: string;
  }>;
  readonly heldForReview: Array<{
    readonly requestId: string | null;
    readonly patientControlNumber: string;
    readonly declaredMinor: number | null;
    readonly itemizedMinor: number;
    readonly reason: string;
  }>;
  readonly unmatched: Array<{
    readonly patientControlNumber: string;
    readonly payerClaimControlNumber: string | null;
  }>;
  readonly skipped: Array<{
    readonly patientControlNumber: string;
    readonly statusCode: string;
    readonly reason: string;
  }>;
  readonly duplicates: Array<{ readonly patientControlNumber: string; readonly key: string }>;
}

/** What one claim payment leads to, decided from stored state before anything is written. */
type Plan =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'unmatched' }
  | {
      readonly kind: 'record';
      readonly claim: Claim;
      readonly outcome: 'recorded' | 'skipped';
      readonly reason: string;
    }
  | {
      readonly kind: 'create';
      readonly claim: Claim;
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
      readonly reason: string;
    }
  | {
      readonly kind: 'amend';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
      readonly reason: string;
    }
  | {
      readonly kind: 'cancel';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly reason: string;
    }
  | {
      readonly kind: 'replace';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly amountMinor: number;
      readonly hold: HoldCode | null;
      readonly reason: string;
    }
  | {
      readonly kind: 'bill_difference';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly amountMinor: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'refund_difference';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly amountMinor: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'review';
      readonly claim: Claim;
      readonly request: PaymentRequest;
      readonly reason: string;
    };

interface Ingestion {
  readonly context: Context;
  readonly organization: Organization;
  readonly remittance: RemittanceInput;
  readonly record: RemittanceRecord;
  readonly report: IngestReport;
  readonly dryRun: boolean;
}

/**
 * Ingests one remittance (one 835 transaction) for an organization: matches each claim payment
 * to our claim by patient control number, records it once, and, when the organization
 * generates requests from electronic remittances, creates, restates or withdraws the claim's
 * payment request by the rules in `remittance-rules.ts`. The same remittance or claim payment
 * delivered again changes nothing.
 */
export function ingestRemittance(
  context: Context,
  organizationId: OrganizationId,
  input: RemittanceInput,
  options: IngestOptions = {},
): ResultAsync<IngestReport, DomainError> {
  const header = validate(remittanceSchema, input, 'remittance');
  if (header.isErr()) {
    return errAsync(header.error);
  }

  return new ResultAsync(ingestNow(context, organizationId, input, options.dryRun ?? false));
}

async function ingestNow(
  context: Context,
  organizationId: OrganizationId,
  remittance: RemittanceInput,
  dryRun: boolean,
): Promise<Result<IngestReport, DomainError>> {
  const opened = await openRemittance(context, organizationId, remittance, dryRun);
  if (opened.isErr()) {
    return err(opened.error);
  }

  const ingestion: Ingestion = {
    context,
    organization: opened.value.organization,
    remittance,
    record: opened.value.record,
    dryRun,
    report: {
      remittanceId: dryRun ? null : opened.value.record.id,
      payerId: remittance.payerId,
      traceNumber: remittance.traceNumber,
      source: remittance.source,
      dryRun,
      created: [],
      changed: [],
      canceled: [],
      heldForReview: [],
      unmatched: [],
      skipped: [],
      duplicates: [],
    },
  };

  const corrected = correctedReversals(remittance.claimPayments);
  for (const [index, raw] of remittance.claimPayments.entries()) {
    const claimPayment = validate(claimPaymentSchema, raw, `claim payment ${index + 1}`);
    if (claimPayment.isErr()) {
      const pcn = (raw as { patientControlNumber?: unknown }).patientControlNumber;
      ingestion.report.skipped.push({
        patientControlNumber: typeof pcn === 'string' ? pcn : '',
        statusCode: '',
        reason: claimPayment.error.message,
      });
      continue;
    }

    const done = await withConflictRetries(context, () =>
      ingestClaimPayment(ingestion, claimPayment.value, corrected.has(index)),
    );
    if (done.isErr()) {
      return err(done.error);
    }
  }

  context.logger.info('remittance ingested', {
    organizationId,
    remittanceId: ingestion.report.remittanceId,
    created: ingestion.report.created.length,
    changed: ingestion.report.changed.length,
    canceled: ingestion.report.canceled.length,
    unmatched: ingestion.report.unmatched.length,
  });
  return ok(ingestion.report);
}

/** The remittance's record: one per organization, payer and trace number. */
async function openRemittance(
  context: Context,
  organizationId: OrganizationId,
  remittance: RemittanceInput,
  dryRun: boolean,
): Promise<Result<{ organization: Organization; record: RemittanceRecord }, DomainError>> {
  const opened = await context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    if (organization instanceof DomainError) {
      return err(organization);
    }

    const existing = await tx.remittances.findByTrace(
      organizationId,
      remittance.payerId,
      remittance.traceNumber,
    );
    const record: RemittanceRecord = existing ?? {
      id: asId(context.ids.next('rem')),
      organizationId,
      source: remittance.source,
      payerId: remittance.payerId,
      payerName: remittance.payerName,
      traceNumber: remittance.traceNumber,
      paymentDate: remittance.paymentDate,
      receivedAt: context.clock.now(),
    };
    if (!existing && !dryRun) {
      await tx.remittances.insert(record);
    }

    return ok({ organization, record });
  });
  if (opened.isErr() && opened.error.code === 'STORAGE.DUPLICATE') {
    // The same remittance is being ingested elsewhere right now; share its record.
    return openRemittance(context, organizationId, remittance, dryRun);
  }

  return opened;
}

async function ingestClaimPayment(
  ingestion: Ingestion,
  claimPayment: ClaimPaymentInput,
  correctedLater: boolean,
): Promise<Result<void, DomainError>> {
  const key = claimPaymentKey(ingestion.remittance, claimPayment);
  const announcements: Array<() => void> = [];

  // Plans that need no gateway call are decided and written in one unit of work.
  const local = await ingestion.context.storage.transaction(async (tx) => {
    const planned = await plan(ingestion, tx, claimPayment, key, correctedLater);
    if (ingestion.dryRun || GATEWAY_PLANS.has(planned.kind)) {
      return ok({ planned, requestId: null as string | null, done: false });
    }

    const written = await executeLocally(ingestion, tx, claimPayment, key, planned, announcements);
    return written.map((requestId) => ({ planned, requestId, done: true }));
  });
  if (local.isErr() && local.error.code === 'STORAGE.DUPLICATE') {
    // Another delivery of the same claim payment got there first.
    report(ingestion, claimPayment, key, { kind: 'duplicate' }, null);
    return ok(undefined);
  }

  if (local.isErr()) {
    return err(local.error);
  }

  for (const announcement of announcements) {
    announcement();
  }

  const { planned, done } = local.value;
  if (ingestion.dryRun || done) {
    report(ingestion, claimPayment, key, planned, local.value.requestId);
    return ok(undefined);
  }

  const executed = await executeWithGateway(ingestion, claimPayment, key, planned);
  if (executed.isErr() && executed.error.code === 'STORAGE.DUPLICATE') {
    report(ingestion, claimPayment, key, { kind: 'duplicate' }, null);
    return ok(undefined);
  }

  if (executed.isErr()) {
    return err(executed.error);
  }

  report(ingestion, claimPayment, key, planned, executed.value);
  return ok(undefined);
}

/** Plans that void, cancel or refund through the gateway before they are recorded. */
const GATEWAY_PLANS: ReadonlySet<Plan['kind']> = new Set([
  'cancel',
  'replace',
  'refund_difference',
]);

async function plan(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
  key: string,
  correctedLater: boolean,
): Promise<Plan> {
  const organizationId = ingestion.organization.id;
  if (await tx.remittances.findClaimPayment(organizationId, key)) {
    return { kind: 'duplicate' };
  }

  const claim = await tx.claims.findByPatientControlNumber(
    organizationId,
    claimPayment.patientControlNumber,
  );
  if (!claim) {
    return { kind: 'unmatched' };
  }

  const decision = decide({
    claimPayment,
    source: ingestion.remittance.source,
    automationEnabled: ingestion.organization.settings.generateFromRemittance,
    collectedAtVisitMinor: claim.collectedAtVisit.minor,
    correctedLater,
  });
  if (decision.action === 'record' || decision.action === 'skip') {
    return {
      kind: 'record',
      claim,
      outcome: decision.action === 'record' ? 'recorded' : 'skipped',
      reason: decision.reason,
    };
  }

  const existing = (await tx.requests.findOpenForClaim(organizationId, claim.id))
    .filter((request) => request.source.kind === 'remittance')
    .at(-1);

  if (decision.action === 'withdraw') {
    return existing
      ? withdraw(claim, existing, decision.reason)
      : {
          kind: 'record',
          claim,
          outcome: 'skipped',
          reason: 'reversal of a claim we had not billed',
        };
  }

  const hold = decision.hold ?? minimumHold(decision.amountMinor);
  if (!existing) {
    return decision.amountMinor > 0
      ? { kind: 'create', claim, amountMinor: decision.amountMinor, hold, reason: decision.reason }
      : {
          kind: 'record',
          claim,
          outcome: 'skipped',
          reason: 'the member owes nothing for this claim',
        };
  }

  return restate(claim, existing, decision.amountMinor, hold, decision.reason);
}

function minimumHold(amountMinor: number): HoldCode | null {
  return amountMinor > 0 && checkChargeable(money(amountMinor)).isErr()
    ? 'below_minimum_charge'
    : null;
}

function withdraw(claim: Claim, request: PaymentRequest, reason: string): Plan {
  const withdrawable = ['draft', 'sending', 'sent', 'failed', 'paid'].includes(request.status);
  return withdrawable
    ? { kind: 'cancel', claim, request, reason }
    : {
        kind: 'review',
        claim,
        request,
        reason: `${reason}; the request is ${request.status}, staff reconcile`,
      };
}

/**
 * A later claim payment restates what the member owes for a claim that already has a request:
 * a draft is amended, an unpaid invoice voided and replaced, a paid one gets the difference
 * refunded or a new request for what is still owed. Never a negative request, never a second
 * request for the same money.
 */
function restate(
  claim: Claim,
  request: PaymentRequest,
  amountMinor: number,
  hold: HoldCode | null,
  reason: string,
): Plan {
  const collected = request.amountPaid.minor - request.amountRefunded.minor;
  const unchanged =
    request.amount.minor === amountMinor && request.hold?.code === (hold ?? undefined);

  switch (request.status) {
    case 'draft':
      if (amountMinor === 0) {
        return { kind: 'cancel', claim, request, reason };
      }

      return unchanged && request.hold === null
        ? {
            kind: 'record',
            claim,
            outcome: 'recorded',
            reason: 'the same amount is already billed',
          }
        : { kind: 'amend', claim, request, amountMinor, hold, reason };
    case 'sending':
    case 'sent':
    case 'failed':
      if (request.amount.minor === amountMinor && hold === null) {
        return {
          kind: 'record',
          claim,
          outcome: 'recorded',
          reason: 'the same amount is already billed',
        };
      }

      return amountMinor === 0
        ? { kind: 'cancel', claim, request, reason }
        : { kind: 'replace', claim, request, amountMinor, hold, reason };
    case 'paid':
      if (amountMinor > collected) {
        return {
          kind: 'bill_difference',
          claim,
          request,
          amountMinor: amountMinor - collected,
          reason,
        };
      }

      return amountMinor < collected
        ? {
            kind: 'refund_difference',
            claim,
            request,
            amountMinor: collected - amountMinor,
            reason,
          }
        : {
            kind: 'record',
            claim,
            outcome: 'recorded',
            reason: 'the member already paid this amount',
          };
    default:
      return {
        kind: 'review',
        claim,
        request,
        reason: `${reason}; the request is ${request.status}, staff reconcile`,
      };
  }
}

async function executeLocally(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Plan,
  announcements: Array<() => void>,
): Promise<Result<string | null, DomainError>> {
  const actor = remittanceActor(ingestion, key);
  const written = (
    claim: Claim | null,
    requestId: string | null,
    outcome: ClaimPaymentOutcome,
    reason: string,
  ) => store(ingestion, tx, claimPayment, key, claim, requestId, outcome, reason);

  switch (planned.kind) {
    case 'duplicate':
      return ok(null);
    case 'unmatched':
      return written(null, null, 'unmatched', 'no claim with this patient control number');
    case 'record':
      return written(planned.claim, null, planned.outcome, planned.reason);
    case 'review':
      return written(planned.claim, planned.request.id, 'held_for_review', planned.reason);
    case 'create':
      return createFromRemittance(
        ingestion,
        tx,
        claimPayment,
        key,
        planned.claim,
        planned.amountMinor,
        planned.hold,
        planned.reason,
        actor,
        announcements,
      );
    case 'amend':
      return amendDraft(ingestion, tx, claimPayment, key, planned, actor);
    case 'bill_difference':
      return createFromRemittance(
        ingestion,
        tx,
        claimPayment,
        key,
        planned.claim,
        planned.amountMinor,
        null,
        `${planned.reason}; billing what is still owed`,
        actor,
        announcements,
      );
    default:
      throw new Error(`plan ${planned.kind} needs the gateway`);
  }
}

/** Voids, cancels or refunds first, then records the claim payment in a unit of its own. */
async function executeWithGateway(
  ingestion: Ingestion,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Plan,
): Promise<Result<string | null, DomainError>> {
  const { context } = ingestion;
  const actor = remittanceActor(ingestion, key);
  const announcements: Array<() => void> = [];
  const inUnit = (work: (tx: UnitOfWork) => Promise<Result<string | null, DomainError>>) =>
    context.storage.transaction(work).map((requestId) => {
      for (const announcement of announcements) {
        announcement();
      }
      return requestId;
    });

  switch (planned.kind) {
    case 'cancel':
    case 'replace': {
      const canceled = await cancelLoaded(context, planned.request, actor);
      if (canceled.isErr()) {
        return err(canceled.error);
      }

      return planned.kind === 'cancel'
        ? inUnit((tx) =>
            store(
              ingestion,
              tx,
              claimPayment,
              key,
              planned.claim,
              planned.request.id,
              'canceled',
              planned.reason,
            ),
          )
        : inUnit((tx) =>
            createFromRemittance(
              ingestion,
              tx,
              claimPayment,
              key,
              planned.claim,
              planned.amountMinor,
              planned.hold,
              `${planned.reason}; replaces ${planned.request.id}`,
              actor,
              announcements,
            ),
          );
    }
    case 'refund_difference': {
      const refunded = await refundRequest(
        context,
        planned.request,
        actor,
        'correction',
        money(planned.amountMinor, planned.request.amount.currency),
        `mp:${planned.request.id}:refund:${key}`,
      );
      if (refunded.isErr()) {
        return err(refunded.error);
      }

      return inUnit((tx) =>
        store(
          ingestion,
          tx,
          claimPayment,
          key,
          planned.claim,
          planned.request.id,
          'changed',
          planned.reason,
        ),
      );
    }
    default:
      throw new Error(`plan ${planned.kind} needs no gateway`);
  }
}

function remittanceActor(ingestion: Ingestion, key: string): Actor {
  return { kind: 'remittance', remittanceId: ingestion.record.id, claimPaymentKey: key };
}

/** Records the claim payment and brings the claim up to date with what the payer said. */
async function store(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
  key: string,
  claim: Claim | null,
  requestId: string | null,
  outcome: ClaimPaymentOutcome,
  reason: string,
): Promise<Result<string | null, DomainError>> {
  await tx.remittances.insertClaimPayment(
    claimPaymentRecord(ingestion, claimPayment, key, claim, requestId, outcome, reason),
  );
  if (claim) {
    await updateClaimFromPayer(ingestion, tx, claim, claimPayment);
  }

  return ok(requestId);
}

function claimPaymentRecord(
  ingestion: Ingestion,
  claimPayment: ClaimPaymentInput,
  key: string,
  claim: Claim | null,
  requestId: string | null,
  outcome: ClaimPaymentOutcome,
  reason: string,
): ClaimPaymentRecord {
  return {
    id: asId(ingestion.context.ids.next('cpay')),
    organizationId: ingestion.organization.id,
    remittanceId: ingestion.record.id as RemittanceId,
    key,
    claimId: claim?.id ?? null,
    requestId: requestId === null ? null : asId(requestId),
    patientControlNumber: claimPayment.patientControlNumber,
    statusCode: claimPayment.statusCode,
    chargeCents: claimPayment.chargeCents,
    paidCents: claimPayment.paidCents,
    patientResponsibilityCents:
      claimPayment.patientResponsibility.declaredCents ??
      claimPayment.patientResponsibility.adjustmentCents,
    outcome,
    reason,
    recordedAt: ingestion.context.clock.now(),
  };
}

async function updateClaimFromPayer(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claim: Claim,
  claimPayment: ClaimPaymentInput,
): Promise<void> {
  const current = await tx.claims.get(claim.organizationId, claim.id);
  if (!current) {
    return;
  }

  const currency = current.chargeAmount.currency;
  await tx.claims.update({
    ...current,
    payerClaimControlNumber:
      claimPayment.payerClaimControlNumber ?? current.payerClaimControlNumber,
    paidAmount: money(claimPayment.paidCents, currency),
    patientResponsibility: money(patientResponsibility(claimPayment).owedMinor, currency),
    updatedAt: ingestion.context.clock.now(),
  });
}

async function createFromRemittance(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
  key: string,
  claim: Claim,
  amountMinor: number,
  hold: HoldCode | null,
  reason: string,
  actor: Actor,
  announcements: Array<() => void>,
): Promise<Result<string | null, DomainError>> {
  const { context, organization } = ingestion;
  const request = newDraft(context, {
    organizationId: organization.id,
    memberId: claim.memberId,
    claimId: claim.id,
    internalId: claim.dateOfService,
    amount: money(amountMinor, organization.settings.currency),
    description: null,
    source: { kind: 'remittance', remittanceId: ingestion.record.id, claimPaymentKey: key },
    hold: hold ? { code: hold, message: reason, since: context.clock.now() } : null,
  });
  const stored = await tx.requests.insert(request);
  await tx.audit.append(
    auditEntry(stored, null, {
      ...transitionContext(context, actor, reason),
      action: 'created',
      details: { amountMinor, hold },
    }),
  );
  announcements.push(() => announce(context, null, stored, actor));
  const outcome = hold === 'needs_review' ? 'held_for_review' : 'created';
  return store(ingestion, tx, claimPayment, key, claim, stored.id, outcome, reason);
}

async function amendDraft(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Extract<Plan, { kind: 'amend' }>,
  actor: Actor,
): Promise<Result<string | null, DomainError>> {
  const { context } = ingestion;
  const current = await tx.requests.get(planned.request.organizationId, planned.request.id);
  if (!current || current.version !== planned.request.version) {
    return err(
      new DomainError(
        'STORAGE.CONFLICT',
        `Payment request ${planned.request.id} changed meanwhile`,
      ),
    );
  }

  const amount = money(planned.amountMinor, current.amount.currency);
  const stored = await tx.requests.update({
    ...current,
    amount,
    revision: current.revision + 1,
    hold: planned.hold
      ? { code: planned.hold, message: planned.reason, since: context.clock.now() }
      : null,
    updatedAt: context.clock.now(),
  });
  await tx.audit.append(
    auditEntry(stored, current.status, {
      ...transitionContext(context, actor, planned.reason),
      action: 'edited',
      details: {
        amountMinor: amount.minor,
        previousAmountMinor: current.amount.minor,
        revision: stored.revision,
      },
    }),
  );
  return store(
    ingestion,
    tx,
    claimPayment,
    key,
    planned.claim,
    stored.id,
    'changed',
    planned.reason,
  );
}

function report(
  ingestion: Ingestion,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Plan,
  requestId: string | null,
): void {
  const { report: out } = ingestion;
  const pcn = claimPayment.patientControlNumber;
  const responsibility = claimPayment.patientResponsibility;
  const review = (id: string | null, reason: string) =>
    out.heldForReview.push({
      requestId: id,
      patientControlNumber: pcn,
      declaredMinor: responsibility.declaredCents,
      itemizedMinor: responsibility.adjustmentCents,
      reason,
    });

  switch (planned.kind) {
    case 'duplicate':
      out.duplicates.push({ patientControlNumber: pcn, key });
      return;
    case 'unmatched':
      out.unmatched.push({
        patientControlNumber: pcn,
        payerClaimControlNumber: claimPayment.payerClaimControlNumber,
      });
      return;
    case 'record':
      out.skipped.push({
        patientControlNumber: pcn,
        statusCode: claimPayment.statusCode,
        reason: planned.reason,
      });
      return;
    case 'review':
      review(planned.request.id, planned.reason);
      return;
    case 'create':
    case 'bill_difference': {
      const hold = planned.kind === 'create' ? planned.hold : null;
      out.created.push({
        requestId,
        patientControlNumber: pcn,
        amountMinor: planned.amountMinor,
        hold,
      });
      if (hold === 'needs_review') {
        review(requestId, planned.reason);
      }
      return;
    }
    case 'amend':
      out.changed.push({
        requestId: planned.request.id,
        patientControlNumber: pcn,
        fromMinor: planned.request.amount.minor,
        toMinor: planned.amountMinor,
        how: 'draft amended',
      });
      if (planned.hold === 'needs_review') {
        review(planned.request.id, planned.reason);
      }
      return;
    case 'refund_difference':
      out.changed.push({
        requestId: planned.request.id,
        patientControlNumber: pcn,
        fromMinor: planned.request.amountPaid.minor,
        toMinor: planned.request.amountPaid.minor - planned.amountMinor,
        how: 'difference refunded',
      });
      return;
    case 'cancel':
      out.canceled.push({
        requestId: planned.request.id,
        patientControlNumber: pcn,
        how: cancelHow(planned.request),
      });
      return;
    case 'replace':
      out.canceled.push({
        requestId: planned.request.id,
        patientControlNumber: pcn,
        how: `${cancelHow(planned.request)} and replaced`,
      });
      out.created.push({
        requestId,
        patientControlNumber: pcn,
        amountMinor: planned.amountMinor,
        hold: planned.hold,
      });
      return;
  }
}

function cancelHow(request: PaymentRequest): string {
  switch (request.status) {
    case 'paid':
      return 'refunded';
    case 'sent':
    case 'failed':
      return 'invoice voided';
    default:
      return 'canceled';
  }
}
