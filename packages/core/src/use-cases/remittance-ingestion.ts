import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { Actor } from '../domain/audit';
import type { Claim } from '../domain/claim';
import { DomainError } from '../domain/errors';
import { asId, type OrganizationId } from '../domain/ids';
import { type Currency, checkChargeable, money } from '../domain/money';
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
  CLAIM_STATUS,
  claimPaymentKey,
  decide,
  type Pairing,
  pairByKeys,
  patientResponsibility,
  type RemittanceDecision,
} from '../domain/remittance-rules';
import { type RestateAction, restate } from '../domain/restatement';
import { auditEntry } from '../domain/status-machine';
import type { UnitOfWork } from '../ports/storage.port';
import { cancelIfUnpaid } from './cancel-and-refund';
import { checkClaimPayment, localDateSchema } from './claim-payment-input';
import { announce, type Context, newAuditId, validate } from './context';
import { loadOrganization } from './organizations';
import { newDraft } from './payment-requests';
import { refundRequest, withConflictRetries } from './refunds';

const remittanceSchema = z.strictObject({
  source: z.enum(['electronic', 'paper']),
  payerId: z.string().trim().min(1).max(80),
  payerName: z.string().nullable(),
  traceNumber: z.string().trim().min(1).max(80),
  paymentDate: localDateSchema.nullable(),
  currency: z.literal('usd'),
  claimPayments: z.array(z.unknown()),
});

// A dry run taken for a real one would bill members: only a boolean says which.
const ingestOptionsSchema = z.strictObject({ dryRun: z.boolean().optional() });

/** The remittance's header as validated (trimmed); its claim payments are checked one by one. */
type RemittanceHeader = z.output<typeof remittanceSchema>;

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
  /**
   * A claim payment whose key an earlier one with other amounts holds: not the same money, yet
   * it cannot be recorded under that key. Staff see it, on the claim's newest open request when
   * it has one; nothing else is written.
   */
  | {
      readonly kind: 'collision';
      readonly request: PaymentRequest | null;
      readonly reason: string;
    }
  | { readonly kind: 'unmatched' }
  | {
      readonly kind: 'record';
      readonly claim: Claim;
      readonly outcome: 'recorded' | 'skipped';
      readonly reason: string;
      /** A payment reversed in the same remittance: the claim keeps the payer's figures it had. */
      readonly netted?: true;
    }
  | {
      readonly kind: 'review';
      readonly claim: Claim;
      readonly request: PaymentRequest | null;
      readonly reason: string;
    }
  | {
      readonly kind: 'restate';
      readonly claim: Claim;
      readonly actions: readonly RestateAction[];
      readonly reason: string;
    };

interface Ingestion {
  readonly context: Context;
  readonly organization: Organization;
  readonly remittance: RemittanceHeader;
  readonly record: RemittanceRecord;
  readonly report: IngestReport;
  readonly dryRun: boolean;
  /**
   * The claim payments a dry run has planned, by key: it writes no record, so these stand in
   * for the ones a real run would have written by then.
   */
  readonly previewed: Map<string, ClaimMoney>;
}

/** What tells two deliveries of a claim payment under one key apart. */
type ClaimMoney = Pick<
  ClaimPaymentRecord,
  'chargeCents' | 'paidCents' | 'patientResponsibilityCents'
>;

/** Each claim payment is planned again at most this often when money moved under it. */
const REPLANS = 3;

/** Claim payments decided and written together, in one unit of work. */
const CHUNK = 100;

interface Entry {
  readonly claimPayment: ClaimPaymentInput;
  readonly key: string;
  /** How it stands beside the other claim payments for its claim in this remittance. */
  readonly pairing: Pairing;
  /** Another claim payment for the same claim in this remittance failed its checks. */
  readonly unreadableSibling: boolean;
}

/**
 * Where one claim payment's writes go, and when they happen: its record, the claim it updates
 * and the request and audit entry it creates carry one instant, read from the clock once for
 * the claim payment instead of once for each (each read is a date object the row then keeps).
 * Claim payments keep an instant each, so that requests list in the order they were created.
 */
interface Writing {
  readonly tx: UnitOfWork;
  readonly now: Date;
}

/**
 * Ingests one remittance (one 835 transaction) for an organization: matches each claim payment
 * to our claim by patient control number, records it once, and, when the organization
 * generates requests from electronic remittances, brings what the claim's requests bill in line
 * with what the payer says, by the rules in `remittance-rules.ts`. The same remittance or claim
 * payment delivered again changes nothing.
 */
export function ingestRemittance(
  context: Context,
  organizationId: OrganizationId,
  input: RemittanceInput,
  options?: IngestOptions | null,
): ResultAsync<IngestReport, DomainError> {
  const header = validate(remittanceSchema, input, 'remittance');
  if (header.isErr()) {
    return errAsync(header.error);
  }

  const given = validate(ingestOptionsSchema, options ?? {}, 'ingest options');
  if (given.isErr()) {
    return errAsync(given.error);
  }

  const dryRun = given.value.dryRun ?? false;
  return new ResultAsync(ingestNow(context, organizationId, header.value, dryRun));
}

async function ingestNow(
  context: Context,
  organizationId: OrganizationId,
  remittance: RemittanceHeader,
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
    previewed: new Map(),
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

  // Every claim payment is checked first, so that one broken entry costs only itself.
  const valid: ClaimPaymentInput[] = [];
  const unreadable = new Set<string>();
  for (const [index, raw] of remittance.claimPayments.entries()) {
    const checked = checkClaimPayment(raw, index);
    if (checked.isOk()) {
      valid.push(checked.value);
    } else {
      const pcn = (raw as { patientControlNumber?: unknown } | null)?.patientControlNumber;
      const patientControlNumber = typeof pcn === 'string' ? pcn.trim() : '';
      unreadable.add(patientControlNumber);
      ingestion.report.skipped.push({
        patientControlNumber,
        statusCode: '',
        reason: checked.error.message,
      });
    }
  }

  const keys = valid.map((claimPayment) => claimPaymentKey(remittance, claimPayment));
  const pairings = pairByKeys(valid, keys);
  const entries = valid.map((claimPayment, index) => ({
    claimPayment,
    key: keys[index] as string,
    pairing: pairings[index] as Pairing,
    unreadableSibling: unreadable.has(claimPayment.patientControlNumber),
  }));
  for (let start = 0; start < entries.length; start += CHUNK) {
    const done = await ingestChunk(ingestion, entries.slice(start, start + CHUNK));
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

/** The remittance's record: one per organization, source, payer and trace number. */
async function openRemittance(
  context: Context,
  organizationId: OrganizationId,
  remittance: RemittanceHeader,
  dryRun: boolean,
): Promise<Result<{ organization: Organization; record: RemittanceRecord }, DomainError>> {
  const opened = await context.storage.transaction(async (tx) => {
    const organization = await loadOrganization(tx, organizationId);
    if (organization instanceof DomainError) {
      return err(organization);
    }

    if (organization.settings.currency !== remittance.currency) {
      return err(
        new DomainError(
          'REMITTANCE.INVALID',
          `The remittance is in ${remittance.currency.toUpperCase()} but the organization bills ` +
            `in ${organization.settings.currency.toUpperCase()}`,
          { organizationId, currency: remittance.currency },
        ),
      );
    }

    const existing = await tx.remittances.findByTrace(
      organizationId,
      remittance.source,
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

/**
 * Ingests a run of claim payments in one unit of work, as long as none needs a gateway call;
 * from the first that does, the rest go one by one, in order. Should the unit meet another
 * delivery of the same claim payments, every one of them is taken again one by one, which
 * tells the duplicates apart.
 */
async function ingestChunk(
  ingestion: Ingestion,
  entries: readonly Entry[],
): Promise<Result<void, DomainError>> {
  const { context } = ingestion;
  const written: Array<{ entry: Entry; planned: Plan; requestId: string | null }> = [];
  const announcements: Array<() => void> = [];

  const together = ingestion.dryRun
    ? ok(0)
    : await withConflictRetries(context, async (): Promise<Result<number, DomainError>> => {
        written.length = 0;
        announcements.length = 0;
        return context.storage.transaction(async (tx) => {
          for (const entry of entries) {
            const { claimPayment, key } = entry;
            const planned = await plan(ingestion, tx, entry);
            if (needsGateway(planned)) {
              break;
            }

            const requestId = await writePlan(
              ingestion,
              { tx, now: context.clock.now() },
              claimPayment,
              key,
              planned,
              announcements,
            );
            if (requestId.isErr()) {
              return err(requestId.error);
            }

            written.push({ entry, planned, requestId: requestId.value });
          }
          return ok(written.length);
        });
      });
  if (together.isErr() && together.error.code !== 'STORAGE.DUPLICATE') {
    return err(together.error);
  }

  const done = together.isOk() ? together.value : 0;
  for (const announcement of together.isOk() ? announcements : []) {
    announcement();
  }

  for (const { entry, planned, requestId } of together.isOk() ? written : []) {
    report(ingestion, entry.claimPayment, entry.key, planned, requestId);
  }

  for (const entry of entries.slice(done)) {
    const one = await withConflictRetries(context, () => ingestClaimPayment(ingestion, entry));
    if (one.isErr()) {
      return one;
    }
  }

  return ok(undefined);
}

async function ingestClaimPayment(
  ingestion: Ingestion,
  entry: Entry,
): Promise<Result<void, DomainError>> {
  const { claimPayment, key } = entry;
  for (let attempt = 0; ; attempt += 1) {
    const announcements: Array<() => void> = [];

    // A plan that needs no gateway call is decided and written in one unit of work.
    const local = await ingestion.context.storage.transaction(async (tx) => {
      const planned = await plan(ingestion, tx, entry);
      if (ingestion.dryRun || needsGateway(planned)) {
        return ok({ planned, requestId: null as string | null, done: false });
      }

      const writing: Writing = { tx, now: ingestion.context.clock.now() };
      const written = await writePlan(
        ingestion,
        writing,
        claimPayment,
        key,
        planned,
        announcements,
      );
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

    if (executed.value !== 'money moved' || attempt + 1 >= REPLANS) {
      const requestId = executed.value === 'money moved' ? null : executed.value;
      report(ingestion, claimPayment, key, planned, requestId);
      return ok(undefined);
    }

    // A member paid an invoice we meant to void: plan again with the payment counted.
  }
}

function needsGateway(planned: Plan): boolean {
  return (
    planned.kind === 'restate' &&
    planned.actions.some((action) => action.type === 'cancel' || action.type === 'refund')
  );
}

async function plan(ingestion: Ingestion, tx: UnitOfWork, entry: Entry): Promise<Plan> {
  const planned = await planEntry(ingestion, tx, entry);
  if (ingestion.dryRun && planned.kind !== 'duplicate' && planned.kind !== 'collision') {
    ingestion.previewed.set(entry.key, moneyOf(entry.claimPayment));
  }
  return planned;
}

async function planEntry(ingestion: Ingestion, tx: UnitOfWork, entry: Entry): Promise<Plan> {
  const { claimPayment, key } = entry;
  const organizationId = ingestion.organization.id;
  const seen =
    (await tx.remittances.findClaimPayment(organizationId, key)) ??
    ingestion.previewed.get(key) ??
    null;
  if (seen) {
    return sameMoney(seen, moneyOf(claimPayment))
      ? { kind: 'duplicate' }
      : collision(ingestion, tx, claimPayment);
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
    corrected: entry.pairing === 'corrected',
  });
  if (decision.action === 'record') {
    return recordOnly(ingestion, tx, claim, entry, decision.reason);
  }

  if (entry.pairing === 'netted') {
    const reason = 'paid and reversed in this remittance: the claim stays as it was';
    return { kind: 'record', claim, outcome: 'skipped', reason, netted: true };
  }

  if (entry.pairing === 'tangled') {
    const open = await tx.requests.findOpenForClaim(organizationId, claim.id);

    // Nothing billed for the claim and nothing this claim payment would bill (a reversal and
    // a new forward, a split paid in full): there is nothing for staff to decide.
    const billsNothing =
      decision.action !== 'bill' || (decision.amountMinor === 0 && !decision.mismatch);
    if (open.length === 0 && billsNothing) {
      const reason =
        decision.action === 'withdraw' ? 'reversal of a claim we had not billed' : decision.reason;
      return { kind: 'record', claim, outcome: 'skipped', reason };
    }

    return {
      kind: 'review',
      claim,
      request: open.at(-1) ?? null,
      reason:
        'this remittance holds other claim payments for the claim that do not pair as a ' +
        'reversal and its correction (a split claim, a reversal with a denial); staff apply them',
    };
  }

  // What staff billed by hand is theirs: a remittance neither changes it nor bills the same
  // care a second time beside it, and what the payer says of the claim (a denial, a forward
  // to another payer) reaches staff instead of passing as skipped. A reversal that its
  // correction follows leaves that to the correction.
  const open = await tx.requests.findOpenForClaim(organizationId, claim.id);
  const byHand = open.find((request) => request.source.kind === 'manual');
  const pairedReversal = decision.action === 'skip' && entry.pairing === 'corrected';
  if (byHand && !pairedReversal) {
    return {
      kind: 'review',
      claim,
      request: byHand,
      reason: `${decision.reason}; staff billed the claim by hand in ${byHand.id}; staff reconcile`,
    };
  }

  if (decision.action === 'skip') {
    return { kind: 'record', claim, outcome: 'skipped', reason: decision.reason };
  }

  return planBill(ingestion, tx, entry, claim, decision, open);
}

/**
 * A claim payment that bills the member or withdraws what was billed, for a claim of ours that
 * staff did not bill by hand: what the claim's requests from remittances become, unless a
 * reason to hold it for staff turns up first.
 */
async function planBill(
  ingestion: Ingestion,
  tx: UnitOfWork,
  entry: Entry,
  claim: Claim,
  decision: Extract<RemittanceDecision, { action: 'bill' | 'withdraw' }>,
  open: readonly PaymentRequest[],
): Promise<Plan> {
  const { claimPayment } = entry;
  const billed = open.filter((request) => request.source.kind === 'remittance');
  const owedMinor = decision.action === 'withdraw' ? 0 : decision.amountMinor;
  const limit =
    decision.action === 'withdraw'
      ? null
      : chargeLimit(owedMinor, ingestion.organization.settings.currency);
  const hold = decision.action === 'withdraw' ? null : (decision.hold ?? limit?.hold ?? null);
  const why = limit?.reason ? `${decision.reason}; ${limit.reason}` : decision.reason;
  const review = (request: PaymentRequest | null, reason: string): Plan => ({
    kind: 'review',
    claim,
    request,
    reason: `${why}; ${reason}`,
  });

  // Another claim payment for the claim that could not be read may be a reversal's
  // correction or the rest of a split claim: withdrawing would give back money it may say is
  // owed, and billing would take this part for the whole claim.
  if (entry.unreadableSibling) {
    const what =
      decision.action === 'withdraw' ? 'payer reversed the claim, and another' : 'another';
    return {
      kind: 'review',
      claim,
      request: billed.at(-1) ?? null,
      reason: `${what} claim payment for it in this remittance could not be read; staff apply both`,
    };
  }

  const mismatch = decision.action === 'bill' && decision.mismatch;
  if (billed.length === 0 && owedMinor === 0 && !mismatch) {
    const reason =
      decision.action === 'withdraw'
        ? 'reversal of a claim we had not billed'
        : 'the member owes nothing for this claim';
    return { kind: 'record', claim, outcome: 'skipped', reason };
  }

  const later = await laterPayerAdjudicated(tx, claim, claimPayment);
  if (later) {
    return review(
      billed.at(-1) ?? null,
      `a later payer already adjudicated the claim (CLP02 ${later.statusCode}, claim payment ` +
        `${later.id}), whose figures this one would restate; staff apply it`,
    );
  }

  const restated = restate(billed, owedMinor, hold);
  if (restated.kind === 'review') {
    return review(restated.request, restated.reason);
  }

  // Totals that disagree may bill only in a draft held for staff. They never refund, void an
  // invoice the member already holds, cancel without a replacement, or pass unseen because
  // the claim already bills one of the numbers.
  const actions = restated.actions;
  const holds = actions.some((a) => a.type === 'create' || a.type === 'amend');
  const reachesMember = actions.some(
    (a) => a.type === 'refund' || (a.type === 'cancel' && a.request.status !== 'draft'),
  );
  if (mismatch && (!holds || reachesMember)) {
    return review(billed.at(-1) ?? null, 'nothing changed until staff decide');
  }

  const decided = actions.length > 0 ? await decidedByPeople(tx, claim, billed, actions) : null;
  if (decided) {
    return review(decided.request, decided.reason);
  }

  if (actions.length === 0) {
    return {
      kind: 'record',
      claim,
      outcome: 'recorded',
      reason: 'the claim already bills this amount',
    };
  }

  return { kind: 'restate', claim, actions, reason: why };
}

/**
 * The claim payment of a payer later in the claim's processing order (CLP02 2 after 1, 3 after
 * 1 or 2) already applied to the claim, when this one comes from earlier in that order or is a
 * reversal. The later payer's remittance states what the member owes after every payer before
 * it; an earlier payer's readjudication would restate the claim as if the later payer had not
 * paid. A claim no remittance reached before has none, and is not looked up.
 */
async function laterPayerAdjudicated(
  tx: UnitOfWork,
  claim: Claim,
  claimPayment: ClaimPaymentInput,
): Promise<ClaimPaymentRecord | null> {
  if (claim.paidAmount === null) {
    return null;
  }

  const rank = PAYER_ORDER.indexOf(claimPayment.statusCode);
  const order = rank === -1 ? 0 : rank;
  const applied = await tx.remittances.listClaimPaymentsForClaim(claim.organizationId, claim.id);
  return applied.find((record) => PAYER_ORDER.indexOf(record.statusCode) > order) ?? null;
}

/** CLP02 by the payer's place in the claim's processing order: primary, secondary, tertiary. */
const PAYER_ORDER: readonly string[] = CLAIM_STATUS.processed;

/**
 * What people decided about the claim's money, which a remittance does not undo by itself: a
 * dispute the member won (the bank decided the member does not owe it), a request staff
 * canceled (a write-off), an amount staff changed by hand or a refund made outside the SDK (a
 * discount, a courtesy). Looked up only when
 * the restatement would change something, and request by request only for claims billed
 * before, so a first remittance pays one query for it.
 */
async function decidedByPeople(
  tx: UnitOfWork,
  claim: Claim,
  billed: readonly PaymentRequest[],
  actions: readonly RestateAction[],
): Promise<{ readonly request: PaymentRequest; readonly reason: string } | null> {
  const { organizationId } = claim;
  if (actions.some((action) => action.type === 'create')) {
    const closed = await tx.requests.list(
      organizationId,
      {
        claimId: claim.id,
        statuses: ['charged_back', 'canceled', 'refunded'],
        includeDeleted: true,
      },
      { limit: 100 },
    );
    const disputed = closed.find((request) => request.status === 'charged_back');
    if (disputed) {
      return { request: disputed, reason: `the member won a dispute over ${disputed.id}` };
    }

    for (const request of closed) {
      const trail = await tx.audit.listForRequest(organizationId, request.id);
      // Staff cancel an unpaid request to `canceled` and a paid one to `refund_pending`.
      const canceledByStaff = trail.some(
        (entry) =>
          entry.actor.kind === 'staff' &&
          entry.from !== entry.to &&
          (entry.to === 'canceled' || entry.to === 'refund_pending'),
      );
      if (canceledByStaff) {
        return { request, reason: `staff canceled ${request.id} by hand` };
      }
    }
  }

  for (const request of billed) {
    if (request.refunds.some((refund) => refund.purpose === 'external')) {
      return { request, reason: `money of ${request.id} was refunded outside the SDK` };
    }

    const trail = await tx.audit.listForRequest(organizationId, request.id);
    const amountByStaff = trail.some(
      (entry) =>
        entry.action === 'edited' &&
        entry.actor.kind === 'staff' &&
        entry.details.amountMinor !== entry.details.previousAmountMinor,
    );
    if (amountByStaff) {
      return { request, reason: `staff changed the amount of ${request.id} by hand` };
    }
  }
  return null;
}

/**
 * A claim payment under the key of an earlier one with other amounts. It concerns the claim's
 * newest open request, if the claim payment matches a claim that has one.
 */
async function collision(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claimPayment: ClaimPaymentInput,
): Promise<Plan> {
  const organizationId = ingestion.organization.id;
  const claim = await tx.claims.findByPatientControlNumber(
    organizationId,
    claimPayment.patientControlNumber,
  );
  const open = claim ? await tx.requests.findOpenForClaim(organizationId, claim.id) : [];
  return {
    kind: 'collision',
    request: open.at(-1) ?? null,
    reason:
      'another claim payment has the same payer, trace, CLP01, CLP07 and CLP02 but other ' +
      'amounts; staff apply this one by hand',
  };
}

/**
 * A claim payment recorded without automation. With automation off, a claim that still has
 * requests from earlier remittances is held for staff instead: what the payer says now may no
 * longer match what those requests ask, and nothing else would tell anyone. A reversal leaves
 * that to its correction, and a payment reversed in the same remittance changes nothing.
 */
async function recordOnly(
  ingestion: Ingestion,
  tx: UnitOfWork,
  claim: Claim,
  entry: Entry,
  reason: string,
): Promise<Plan> {
  const automationOff =
    entry.pairing !== 'corrected' &&
    entry.pairing !== 'netted' &&
    ingestion.remittance.source === 'electronic' &&
    !ingestion.organization.settings.generateFromRemittance;
  const open = automationOff
    ? await tx.requests.findOpenForClaim(ingestion.organization.id, claim.id)
    : [];
  const billed = open.filter((request) => request.source.kind === 'remittance');
  const newest = billed.at(-1);
  if (!newest) {
    return { kind: 'record', claim, outcome: 'recorded', reason };
  }

  return {
    kind: 'review',
    claim,
    request: newest,
    reason:
      `${reason}; the claim's request ${newest.id} came from an earlier remittance; ` +
      'staff compare',
  };
}

function moneyOf(claimPayment: ClaimPaymentInput): ClaimMoney {
  const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
  return {
    chargeCents: claimPayment.chargeCents,
    paidCents: claimPayment.paidCents,
    patientResponsibilityCents: declaredCents ?? adjustmentCents,
  };
}

/**
 * A delivery of the claim payment already recorded under the same key, as far as the stored
 * amounts tell: the charge, the payment and what the member owes.
 */
function sameMoney(seen: ClaimMoney, other: ClaimMoney): boolean {
  return (
    seen.chargeCents === other.chargeCents &&
    seen.paidCents === other.paidCents &&
    seen.patientResponsibilityCents === other.patientResponsibilityCents
  );
}

/**
 * How an owed amount Stripe cannot charge in one invoice is held, when the decision holds it
 * for nothing else. Below the minimum it waits as `below_minimum_charge`, which staff clear
 * by changing the amount; above the maximum the payer's numbers themselves are in doubt, so
 * staff review them (`needs_review`), told why in the reason.
 */
function chargeLimit(
  amountMinor: number,
  currency: Currency,
): { readonly hold: HoldCode; readonly reason: string | null } | null {
  const chargeable = amountMinor > 0 ? checkChargeable(money(amountMinor, currency)) : null;
  if (!chargeable || chargeable.isOk()) {
    return null;
  }

  return chargeable.error.code === 'MONEY.ABOVE_MAXIMUM_CHARGE'
    ? { hold: 'needs_review', reason: chargeable.error.message }
    : { hold: 'below_minimum_charge', reason: null };
}

/** Writes a plan that needs no gateway call; returns the request it created or changed. */
function writePlan(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Plan,
  announcements: Array<() => void>,
): Promise<Result<string | null, DomainError>> {
  switch (planned.kind) {
    case 'duplicate':
      return Promise.resolve(ok(null));
    case 'collision':
      return noteCollision(ingestion, writing, claimPayment, key, planned).then(() => ok(null));
    case 'unmatched':
      return store(
        ingestion,
        writing,
        claimPayment,
        key,
        null,
        null,
        'unmatched',
        'no claim with this patient control number',
      );
    case 'record':
      return store(
        ingestion,
        writing,
        claimPayment,
        key,
        planned.netted ? null : planned.claim,
        null,
        planned.outcome,
        planned.reason,
        planned.claim,
      );
    case 'review':
      return writeReview(ingestion, writing, claimPayment, key, planned);
    case 'restate':
      return writeRestatement(ingestion, writing, claimPayment, key, planned, announcements);
  }
}

/**
 * Records a claim payment held for staff and notes it on the request it concerns, so that the
 * request's own audit trail says which remittance waits on it and why.
 */
async function writeReview(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Extract<Plan, { kind: 'review' }>,
): Promise<Result<string | null, DomainError>> {
  await noteHeld(ingestion, writing, claimPayment, key, planned);
  return store(
    ingestion,
    writing,
    claimPayment,
    key,
    planned.claim,
    planned.request?.id ?? null,
    'held_for_review',
    planned.reason,
  );
}

/**
 * A collision is recorded nowhere but in its note, so a second delivery of the remittance
 * would find it again: the note is written once.
 */
async function noteCollision(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Extract<Plan, { kind: 'collision' }>,
): Promise<void> {
  const request = planned.request;
  if (!request) {
    return;
  }

  const trail = await writing.tx.audit.listForRequest(request.organizationId, request.id);
  const noted = trail.some(
    (entry) =>
      entry.action === 'note' &&
      entry.actor.kind === 'remittance' &&
      entry.actor.remittanceId === ingestion.record.id &&
      entry.actor.claimPaymentKey === key &&
      entry.reason === heldNote(planned.reason),
  );
  if (!noted) {
    await noteHeld(ingestion, writing, claimPayment, key, planned);
  }
}

function heldNote(reason: string): string {
  return `held for review: ${reason}`;
}

/** A note on the held claim payment's request, if it concerns one, naming the remittance. */
async function noteHeld(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: { readonly request: PaymentRequest | null; readonly reason: string },
): Promise<void> {
  const request = planned.request
    ? await writing.tx.requests.get(planned.request.organizationId, planned.request.id)
    : null;
  if (!request) {
    return;
  }

  const { declaredCents, adjustmentCents } = claimPayment.patientResponsibility;
  await writing.tx.audit.append(
    auditEntry(request, request.status, {
      auditId: newAuditId(ingestion.context),
      at: writing.now,
      actor: remittanceActor(ingestion, key),
      reason: heldNote(planned.reason),
      action: 'note',
      details: { declaredMinor: declaredCents, itemizedMinor: adjustmentCents },
    }),
  );
}

/** Amends and creates: the local half of a restatement, with the claim payment's record. */
async function writeRestatement(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Extract<Plan, { kind: 'restate' }>,
  announcements: Array<() => void>,
): Promise<Result<string | null, DomainError>> {
  const actor = remittanceActor(ingestion, key);
  let requestId: string | null = null;
  let outcome: ClaimPaymentOutcome = 'changed';

  for (const action of planned.actions) {
    if (action.type === 'amend') {
      const amended = await amendDraft(ingestion, writing, action, planned.reason, actor);
      if (amended.isErr()) {
        return err(amended.error);
      }

      requestId = amended.value.id;
      outcome = action.hold === 'needs_review' ? 'held_for_review' : 'changed';
    } else if (action.type === 'create') {
      const created = await createDraft(
        ingestion,
        writing,
        planned.claim,
        action,
        planned.reason,
        actor,
      );
      announcements.push(() => announce(ingestion.context, null, created, actor));
      requestId = created.id;
      outcome =
        action.hold === 'needs_review'
          ? 'held_for_review'
          : action.replaces
            ? 'changed'
            : 'created';
    } else if (action.type === 'cancel') {
      outcome = 'canceled';
      requestId ??= action.request.id;
    } else {
      requestId ??= action.request.id;
    }
  }

  return store(
    ingestion,
    writing,
    claimPayment,
    key,
    planned.claim,
    requestId,
    outcome,
    planned.reason,
  );
}

/**
 * Withdraws unpaid requests and refunds overpayments first, each through the gateway with its
 * own idempotency key, then writes the rest. Returns `money moved` when an invoice we meant to
 * void turned out to be paid: the caller plans again with that payment counted.
 */
async function executeWithGateway(
  ingestion: Ingestion,
  claimPayment: ClaimPaymentInput,
  key: string,
  planned: Plan,
): Promise<Result<string | null | 'money moved', DomainError>> {
  if (planned.kind !== 'restate') {
    return ok(null);
  }

  const { context } = ingestion;
  const actor = remittanceActor(ingestion, key);

  for (const action of planned.actions) {
    if (action.type === 'cancel') {
      const canceled = await cancelIfUnpaid(context, action.request, actor);
      if (canceled.isErr()) {
        return err(canceled.error);
      }

      if (canceled.value.status !== 'canceled') {
        return ok('money moved');
      }
    } else if (action.type === 'refund') {
      const amount = money(action.amountMinor, action.request.amount.currency);
      const refunded = await refundRequest(
        context,
        action.request,
        actor,
        'correction',
        amount,
        `mp:${action.request.id}:refund:${key}`,
      );
      if (refunded.isErr()) {
        return err(refunded.error);
      }
    }
  }

  const announcements: Array<() => void> = [];
  const written = await context.storage.transaction((tx) =>
    writeRestatement(
      ingestion,
      { tx, now: context.clock.now() },
      claimPayment,
      key,
      planned,
      announcements,
    ),
  );
  if (written.isOk()) {
    for (const announcement of announcements) {
      announcement();
    }
  }

  return written;
}

/** The claim payment behind a change: the actor of its audit entries, the source of a request. */
type RemittanceActor = Extract<Actor, { kind: 'remittance' }>;

function remittanceActor(ingestion: Ingestion, key: string): RemittanceActor {
  return { kind: 'remittance', remittanceId: ingestion.record.id, claimPaymentKey: key };
}

/**
 * Records the claim payment, matched to `matched`, and brings `claim` up to date with what the
 * payer said (none: the claim keeps the figures it had).
 */
async function store(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  claim: Claim | null,
  requestId: string | null,
  outcome: ClaimPaymentOutcome,
  reason: string,
  matched: Claim | null = claim,
): Promise<Result<string | null, DomainError>> {
  await writing.tx.remittances.insertClaimPayment(
    claimPaymentRecord(ingestion, writing, claimPayment, key, matched, requestId, outcome, reason),
  );

  if (claim) {
    await updateClaimFromPayer(writing, claim, claimPayment);
  }

  return ok(requestId);
}

function claimPaymentRecord(
  ingestion: Ingestion,
  writing: Writing,
  claimPayment: ClaimPaymentInput,
  key: string,
  claim: Claim | null,
  requestId: string | null,
  outcome: ClaimPaymentOutcome,
  reason: string,
): ClaimPaymentRecord {
  const responsibility = claimPayment.patientResponsibility;
  return {
    id: asId(ingestion.context.ids.next('cpay')),
    organizationId: ingestion.organization.id,
    remittanceId: ingestion.record.id,
    key,
    claimId: claim?.id ?? null,
    requestId: requestId === null ? null : asId(requestId),
    patientControlNumber: claimPayment.patientControlNumber,
    statusCode: claimPayment.statusCode,
    chargeCents: claimPayment.chargeCents,
    paidCents: claimPayment.paidCents,
    patientResponsibilityCents: responsibility.declaredCents ?? responsibility.adjustmentCents,
    outcome,
    reason,
    recordedAt: writing.now,
  };
}

async function updateClaimFromPayer(
  { tx, now }: Writing,
  claim: Claim,
  claimPayment: ClaimPaymentInput,
): Promise<void> {
  // A reversal's amounts are the old ones negated: only what the payer now says is kept.
  const reversal = CLAIM_STATUS.reversal.includes(claimPayment.statusCode as '22');
  const currency = claim.chargeAmount.currency;
  const figures = reversal
    ? {}
    : {
        payerClaimControlNumber:
          claimPayment.payerClaimControlNumber ?? claim.payerClaimControlNumber,
        paidAmount: money(claimPayment.paidCents, currency),
        patientResponsibility: money(patientResponsibility(claimPayment).owedMinor, currency),
      };

  // Written at the version the plan read, so that whatever changed the claim since (a visit
  // payment, another process ingesting a remittance for it) fails this unit of work with a
  // conflict, and the claim payment is planned again from what is stored now.
  await tx.claims.update({ ...claim, ...figures, updatedAt: now });
}

async function createDraft(
  ingestion: Ingestion,
  { tx, now }: Writing,
  claim: Claim,
  action: Extract<RestateAction, { type: 'create' }>,
  reason: string,
  actor: RemittanceActor,
): Promise<PaymentRequest> {
  const { context, organization } = ingestion;
  const why = action.replaces ? `${reason}; replaces ${action.replaces.id}` : reason;
  const request = newDraft(
    context,
    {
      organizationId: organization.id,
      memberId: claim.memberId,
      claimId: claim.id,
      internalId: claim.dateOfService,
      amount: money(action.amountMinor, organization.settings.currency),
      description: null,
      // The claim payment that caused the request is also where it comes from.
      source: actor,
      hold: action.hold ? { code: action.hold, message: why, since: now } : null,
    },
    now,
  );
  const stored = await tx.requests.insert(request);
  await tx.audit.append(
    auditEntry(stored, null, {
      auditId: newAuditId(context),
      at: now,
      actor,
      reason: why,
      action: 'created',
      details: { amountMinor: action.amountMinor, hold: action.hold },
    }),
  );
  return stored;
}

async function amendDraft(
  ingestion: Ingestion,
  { tx, now }: Writing,
  action: Extract<RestateAction, { type: 'amend' }>,
  reason: string,
  actor: Actor,
): Promise<Result<PaymentRequest, DomainError>> {
  const { context } = ingestion;
  const current = await tx.requests.get(action.request.organizationId, action.request.id);
  if (!current || current.version !== action.request.version) {
    return err(
      new DomainError('STORAGE.CONFLICT', `Payment request ${action.request.id} changed meanwhile`),
    );
  }

  const amount = money(action.amountMinor, current.amount.currency);
  const stored = await tx.requests.update({
    ...current,
    amount,
    revision: current.revision + 1,
    hold: action.hold ? { code: action.hold, message: reason, since: now } : null,
    updatedAt: now,
  });
  await tx.audit.append(
    auditEntry(stored, current.status, {
      auditId: newAuditId(context),
      at: now,
      actor,
      reason,
      action: 'edited',
      details: {
        amountMinor: amount.minor,
        previousAmountMinor: current.amount.minor,
        revision: stored.revision,
      },
    }),
  );
  return ok(stored);
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

  switch (planned.kind) {
    case 'duplicate':
      out.duplicates.push({ patientControlNumber: pcn, key });
      return;
    case 'collision':
      reportReview(out, claimPayment, planned.request?.id ?? null, planned.reason);
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
      reportReview(out, claimPayment, planned.request?.id ?? null, planned.reason);
      return;
    case 'restate':
      for (const action of planned.actions) {
        reportAction(out, pcn, action, requestId);
        const held =
          (action.type === 'create' || action.type === 'amend') && action.hold === 'needs_review';
        if (held) {
          const heldId = action.type === 'amend' ? action.request.id : requestId;
          reportReview(out, claimPayment, heldId, planned.reason);
        }
      }
  }
}

function reportReview(
  out: IngestReport,
  claimPayment: ClaimPaymentInput,
  requestId: string | null,
  reason: string,
): void {
  out.heldForReview.push({
    requestId,
    patientControlNumber: claimPayment.patientControlNumber,
    declaredMinor: claimPayment.patientResponsibility.declaredCents,
    itemizedMinor: claimPayment.patientResponsibility.adjustmentCents,
    reason,
  });
}

function reportAction(
  out: IngestReport,
  pcn: string,
  action: RestateAction,
  requestId: string | null,
): void {
  switch (action.type) {
    case 'cancel':
      out.canceled.push({
        requestId: action.request.id,
        patientControlNumber: pcn,
        how: action.request.status === 'draft' ? 'canceled' : 'invoice voided',
      });
      return;
    case 'amend':
      out.changed.push({
        requestId: action.request.id,
        patientControlNumber: pcn,
        fromMinor: action.request.amount.minor,
        toMinor: action.amountMinor,
        how: 'draft amended',
      });
      return;
    case 'create':
      out.created.push({
        requestId,
        patientControlNumber: pcn,
        amountMinor: action.amountMinor,
        hold: action.hold,
      });
      return;
    case 'refund': {
      const kept = action.request.amountPaid.minor - action.request.amountRefunded.minor;
      out.changed.push({
        requestId: action.request.id,
        patientControlNumber: pcn,
        fromMinor: kept,
        toMinor: kept - action.amountMinor,
        how: 'difference refunded',
      });
    }
  }
}
