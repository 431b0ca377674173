import {
  type AppliedGatewayEvent,
  type AuditEntry,
  type BatchRun,
  type Claim,
  type ClaimPaymentRecord,
  type DomainError,
  type Member,
  type Organization,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  type PaymentRequestFilter,
  type RemittanceRecord,
  StorageError,
  type StoragePort,
  storageFailure,
  type UnitOfWork,
} from '@memberpay/core';
import { err, type Result, ResultAsync } from 'neverthrow';
import { Table, type UndoLog } from './table';

/** Holds waiting for staff; the batch leaves such drafts alone. */
const STAFF_HOLDS = new Set(['needs_review', 'below_minimum_charge']);

const CLOSED_STATUSES = new Set(['canceled', 'refunded', 'charged_back']);

function byCreation<Row extends { readonly createdAt: Date; readonly id: string }>(
  a: Row,
  b: Row,
): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The page after the row `cursor` stands for, in the order `compare` sorts `rows` in. The
 * cursor is looked up among all stored rows, not only those that pass the filter, so a row
 * that left the filtered set (a follow-up handled, a status changed) still marks the place.
 * Only a row that no longer exists at all starts the pages over, as in PostgreSQL.
 */
function pageAfter<Row extends { readonly id: string }>(
  rows: Row[],
  page: { readonly limit: number; readonly after?: string | null },
  cursor: Row | undefined,
  compare: (a: Row, b: Row) => number,
): Row[] {
  const after = page.after && cursor ? rows.filter((row) => compare(row, cursor) > 0) : rows;
  return after.slice(0, page.limit);
}

function byId<Row extends { readonly id: string }>(a: Row, b: Row): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

type ClaimPaymentRow = ClaimPaymentRecord;
type EventRow = AppliedGatewayEvent & { readonly id: string };
type AuditRow = AuditEntry;

/**
 * Storage held in this process, with the semantics the PostgreSQL adapter has: units of work
 * are atomic and serialized (one at a time, so each sees a consistent store and `findClaimable`
 * never hands the same draft to two workers), versions are checked, uniqueness rules hold.
 * For tests, demos and single-process hosts; everything is lost when the process ends.
 */
export class InMemoryStorage implements StoragePort {
  readonly #organizations = new Table<Organization>('organization', [
    { name: 'payout_account', key: (row) => row.payoutAccount.accountId },
  ]);
  readonly #members = new Table<Member>(
    'member',
    [{ name: 'external_id', scope: organizationOf, key: (row) => row.externalId }],
    [{ name: 'organization', key: organizationOf }],
  );
  readonly #claims = new Table<Claim>(
    'claim',
    [
      {
        name: 'patient_control_number',
        scope: organizationOf,
        key: (row) => row.patientControlNumber,
      },
    ],
    [{ name: 'member', scope: organizationOf, key: (row) => row.memberId }],
  );
  readonly #requests = new Table<PaymentRequest>(
    'payment_request',
    [
      { name: 'invoice', key: (row) => row.gateway.invoiceId },
      {
        name: 'claim_payment',
        scope: organizationOf,
        key: (row) => (row.source.kind === 'remittance' ? row.source.claimPaymentKey : null),
      },
    ],
    // An organization's requests are its requests in every status: no index of their own, which
    // would be one more entry to write for every request in the busiest write path.
    [
      { name: 'claim', scope: organizationOf, key: (row) => row.claimId },
      { name: 'status', scope: organizationOf, key: (row) => row.status },
      {
        name: 'text_waiting',
        key: (row) => (row.text?.status === 'waiting' ? row.organizationId : null),
      },
      { name: 'follow_up', key: (row) => (needsFollowUp(row) ? row.organizationId : null) },
    ],
  );
  readonly #audit = new Table<AuditRow>(
    'audit_entry',
    [],
    [{ name: 'request', scope: organizationOf, key: (row) => row.requestId }],
  );
  readonly #remittances = new Table<RemittanceRecord>('remittance', [
    {
      name: 'source_payer_trace',
      scope: organizationOf,
      key: (row) => remittanceKey(row.source, row.payerId, row.traceNumber),
    },
  ]);
  readonly #claimPayments = new Table<ClaimPaymentRow>(
    'claim_payment',
    [{ name: 'key', scope: organizationOf, key: (row) => row.key }],
    [
      { name: 'remittance', scope: organizationOf, key: (row) => row.remittanceId },
      { name: 'claim', scope: organizationOf, key: (row) => row.claimId },
    ],
  );
  readonly #events = new Table<EventRow>('gateway_event');
  readonly #batchRuns = new Table<BatchRun>(
    'batch_run',
    [
      {
        name: 'scheduled_day',
        scope: organizationOf,
        key: (row) => (row.kind === 'scheduled' ? row.localDate : null),
      },
    ],
    [{ name: 'organization', key: organizationOf }],
  );

  #auditSequence = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Inverse steps of the unit of work running now; units run one at a time. */
  #undo: UndoLog = [];
  /** One set of repositories serves every unit of work, since they never overlap. */
  readonly #repositories: UnitOfWork = this.#unitOfWork();

  transaction<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): ResultAsync<T, E | DomainError> {
    const run = this.#queue.then(() => this.#run(work));
    this.#queue = run.catch(() => undefined);
    return new ResultAsync(run);
  }

  async #run<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): Promise<Result<T, E | DomainError>> {
    this.#undo = [];
    const rollback = () => {
      for (const step of this.#undo.reverse()) {
        step();
      }
    };

    try {
      const result = await work(this.#repositories);
      if (result.isErr()) {
        rollback();
      }

      return result;
    } catch (error) {
      rollback();
      if (error instanceof StorageError) {
        return err(storageFailure(error));
      }

      throw error;
    }
  }

  #unitOfWork(): UnitOfWork {
    return {
      organizations: {
        get: async (id) => this.#organizations.get(id) ?? null,
        insert: async (organization) => this.#organizations.insert(organization, this.#undo),
        update: async (organization) => this.#organizations.update(organization, this.#undo),
        findByPayoutAccount: async (accountId) =>
          this.#organizations.findUnique('payout_account', accountId) ?? null,
        list: async (page) =>
          pageAfter(
            [...this.#organizations.values()].sort(byId),
            page,
            this.#organizations.get(page.after ?? ''),
            byId,
          ),
      },
      members: {
        get: async (organizationId, id) => owned(this.#members.get(id), organizationId),
        insert: async (member) => this.#members.insert(member, this.#undo),
        update: async (member) =>
          this.#members.update(this.#sameOwner(this.#members, member), this.#undo),
        findByExternalId: async (organizationId, externalId) =>
          this.#members.findUnique('external_id', externalId, organizationId) ?? null,
        list: async (organizationId, page) =>
          pageAfter(
            this.#members.group('organization', organizationId).sort(byCreation),
            page,
            owned(this.#members.get(page.after ?? ''), organizationId) ?? undefined,
            byCreation,
          ),
      },
      claims: {
        get: async (organizationId, id) => owned(this.#claims.get(id), organizationId),
        insert: async (claim) => this.#claims.insert(claim, this.#undo),
        update: async (claim) =>
          this.#claims.update(this.#sameOwner(this.#claims, claim), this.#undo),
        findByPatientControlNumber: async (organizationId, patientControlNumber) =>
          this.#claims.findUnique('patient_control_number', patientControlNumber, organizationId) ??
          null,
        listByMember: async (organizationId, memberId) =>
          this.#claims.group('member', memberId, organizationId).sort(byCreation),
      },
      requests: {
        get: async (organizationId, id) => owned(this.#requests.get(id), organizationId),
        insert: async (request) => this.#requests.insert(request, this.#undo),
        update: async (request) =>
          this.#requests.update(this.#sameOwner(this.#requests, request), this.#undo),
        remove: async (request) => {
          this.#requests.update(this.#sameOwner(this.#requests, request), this.#undo);
          this.#requests.remove(request.id, this.#undo);
        },
        list: async (organizationId, filter, page) =>
          pageAfter(
            this.#requestsOf(organizationId, filter).sort(byCreation),
            page,
            this.#cursor(organizationId, page),
            byCreation,
          ),
        findByInvoiceId: async (organizationId, invoiceId) =>
          owned(this.#requests.findUnique('invoice', invoiceId), organizationId),
        findOpenForClaim: async (organizationId, claimId) =>
          this.#requestsOf(organizationId, { claimId })
            .filter((request) => !CLOSED_STATUSES.has(request.status))
            .sort(byCreation),
        findClaimable: async (organizationId, query) =>
          this.#requestsOf(organizationId, { statuses: ['draft', 'sending'] })
            .filter((request) => claimable(request, query))
            .sort(byCreation)
            .slice(0, query.limit),
        findFollowUps: async (organizationId, requestedBefore, page) =>
          pageAfter(
            this.#requests
              .group('follow_up', organizationId)
              .filter((request) => followUpDue(request, requestedBefore))
              .sort(byCreation),
            page,
            this.#cursor(organizationId, page),
            byCreation,
          ),
        findTextsDue: async (organizationId, now, limit) =>
          this.#requests
            .group('text_waiting', organizationId)
            .filter((request) => (request.text?.notBefore.getTime() ?? 0) <= now.getTime())
            .sort(byCreation)
            .slice(0, limit),
      },
      audit: {
        append: async (entry) => {
          this.#auditSequence += 1;
          const sequence = this.#auditSequence;
          this.#undo.push(() => {
            if (this.#auditSequence === sequence) {
              this.#auditSequence -= 1;
            }
          });
          return this.#audit.insert({ ...entry, sequence }, this.#undo);
        },
        listForRequest: async (organizationId, requestId) =>
          this.#audit
            .group('request', requestId, organizationId)
            .sort((a, b) => a.sequence - b.sequence),
      },
      remittances: {
        insert: async (remittance) => this.#remittances.insert(remittance, this.#undo),
        findByTrace: async (organizationId, source, payerId, traceNumber) =>
          this.#remittances.findUnique(
            'source_payer_trace',
            remittanceKey(source, payerId, traceNumber),
            organizationId,
          ) ?? null,
        insertClaimPayment: async (record) => this.#claimPayments.insert(record, this.#undo),
        findClaimPayment: async (organizationId, key) =>
          this.#claimPayments.findUnique('key', key, organizationId) ?? null,
        listClaimPayments: async (organizationId, remittanceId) =>
          this.#claimPayments
            .group('remittance', remittanceId, organizationId)
            .sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime()),
        // A group keeps the order rows joined it, which is the order they were recorded in.
        listClaimPaymentsForClaim: async (organizationId, claimId) =>
          this.#claimPayments.group('claim', claimId, organizationId),
      },
      gatewayEvents: {
        record: async (event) => {
          this.#events.insert({ ...event, id: event.eventId }, this.#undo);
        },
        has: async (eventId) => this.#events.get(eventId) !== undefined,
      },
      batchRuns: {
        insert: async (run) => this.#batchRuns.insert(run, this.#undo),
        update: async (run) =>
          this.#batchRuns.update(this.#sameOwner(this.#batchRuns, run), this.#undo),
        findScheduled: async (organizationId, localDate) =>
          this.#batchRuns.findUnique('scheduled_day', localDate, organizationId) ?? null,
        latestScheduled: async (organizationId) =>
          this.#batchRuns
            .group('organization', organizationId)
            .filter((run) => run.kind === 'scheduled')
            .sort((a, b) => (a.localDate < b.localDate ? 1 : -1))[0] ?? null,
      },
    };
  }

  /**
   * The organization's requests that pass the filter, read through the narrowest index, in no
   * particular order.
   */
  #requestsOf(organizationId: string, filter: PaymentRequestFilter): PaymentRequest[] {
    const statuses = filter.statuses ? new Set(filter.statuses) : null;
    const candidates =
      filter.claimId !== undefined
        ? this.#requests.group('claim', filter.claimId, organizationId)
        : (filter.statuses ?? PAYMENT_REQUEST_STATUSES).flatMap((status) =>
            this.#requests.group('status', status, organizationId),
          );
    return candidates.filter(
      (request) =>
        (filter.includeDeleted || request.deletedAt === null) &&
        (filter.memberId === undefined || request.memberId === filter.memberId) &&
        (filter.claimId === undefined || request.claimId === filter.claimId) &&
        (statuses === null || statuses.has(request.status)),
    );
  }

  /** The request a page continues after, when it is still stored for this organization. */
  #cursor(organizationId: string, page: { readonly after?: string | null }) {
    return owned(this.#requests.get(page.after ?? ''), organizationId) ?? undefined;
  }

  /** An update may never move a row to another organization. */
  #sameOwner<Row extends { readonly id: string; readonly organizationId: string }>(
    table: Table<Row>,
    row: Row,
  ): Row {
    const stored = table.get(row.id);
    if (stored && stored.organizationId !== row.organizationId) {
      throw new StorageError('conflict', 'row', `${row.id} belongs to another organization`);
    }

    return row;
  }
}

function organizationOf(row: { readonly organizationId: string }): string {
  return row.organizationId;
}

/** A remittance's identity within its organization: source, payer and trace number. */
function remittanceKey(source: string, payerId: string, traceNumber: string): string {
  return `${source}\u0000${payerId}\u0000${traceNumber}`;
}

function owned<Row extends { readonly organizationId: string }>(
  row: Row | undefined,
  organizationId: string,
): Row | null {
  return row && row.organizationId === organizationId ? row : null;
}

function claimable(
  request: PaymentRequest,
  query: { readonly now: Date; readonly cutoff: Date; readonly notAttemptedSince: Date },
): boolean {
  if (request.status === 'sending') {
    const expires = request.sendAttempt?.leaseExpiresAt;
    return expires === null || expires === undefined || expires.getTime() <= query.now.getTime();
  }

  if (request.hold && STAFF_HOLDS.has(request.hold.code)) {
    return false;
  }

  const lastAttempt = request.sendAttempt?.lastAttemptAt;
  return (
    request.createdAt.getTime() < query.cutoff.getTime() &&
    (lastAttempt === undefined || lastAttempt.getTime() < query.notAttemptedSince.getTime())
  );
}

/** A refund the gateway never answered, or a cancel whose invoice is still open. */
function needsFollowUp(request: PaymentRequest): boolean {
  const waitingCancel =
    request.cancelRequestedAt !== null &&
    (request.status === 'sent' || request.status === 'failed');
  return waitingCancel || request.refunds.some((refund) => refund.status === 'requested');
}

function followUpDue(request: PaymentRequest, requestedBefore: Date): boolean {
  const waitingCancel =
    request.cancelRequestedAt !== null &&
    (request.status === 'sent' || request.status === 'failed');
  return (
    waitingCancel ||
    request.refunds.some(
      (refund) =>
        refund.status === 'requested' && refund.requestedAt.getTime() < requestedBefore.getTime(),
    )
  );
}
