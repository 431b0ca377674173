import type { Result, ResultAsync } from 'neverthrow';
import type { AuditEntry, NewAuditEntry } from '../domain/audit';
import type { Claim } from '../domain/claim';
import { DomainError } from '../domain/errors';
import type {
  BatchRunId,
  ClaimId,
  MemberId,
  OrganizationId,
  PaymentRequestId,
  RemittanceId,
} from '../domain/ids';
import type { LocalDate } from '../domain/local-date';
import type { Member } from '../domain/member';
import type { Organization } from '../domain/organization';
import type { PaymentRequest, PaymentRequestStatus } from '../domain/payment-request';
import type { ClaimPaymentRecord, RemittanceRecord } from '../domain/remittance';

/**
 * The closed set of storage failures. Adapters map their driver's errors onto these and keep
 * the driver's error as `cause`.
 * - `conflict`: an optimistic version check failed (someone else changed the row first).
 * - `duplicate`: a uniqueness rule refused the write.
 * - `unavailable`: the store could not be reached; the same unit of work may succeed later.
 * - `failed`: anything else.
 */
export type StorageErrorKind = 'conflict' | 'duplicate' | 'unavailable' | 'failed';

/**
 * Thrown by repositories inside a unit of work; `StoragePort.transaction` catches it, rolls
 * back, and returns it as a `DomainError` with code `STORAGE.<KIND>`.
 */
export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  /** What was being written, for example `payment_request`. */
  readonly entity: string;

  constructor(kind: StorageErrorKind, entity: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StorageError';
    this.kind = kind;
    this.entity = entity;
  }
}

export interface Page {
  readonly limit: number;
  /** The id of the last row of the previous page; rows come in a stable order. */
  readonly after?: string | null;
}

/**
 * Every write method checks and bumps `version`: `update(x)` succeeds only when the stored row
 * still has `x.version`, stores `x.version + 1`, and returns the stored value. Reads return
 * null for rows of another organization exactly as for rows that do not exist.
 */
export interface OrganizationRepositoryPort {
  get(id: OrganizationId): Promise<Organization | null>;
  insert(organization: Organization): Promise<Organization>;
  update(organization: Organization): Promise<Organization>;
  /** The organization whose payout account this is (gateway account ids are global). */
  findByPayoutAccount(accountId: string): Promise<Organization | null>;
  /** All organizations, in id order; only the scheduler walks across tenants. */
  list(page: Page): Promise<Organization[]>;
}

export interface MemberRepositoryPort {
  get(organizationId: OrganizationId, id: MemberId): Promise<Member | null>;
  insert(member: Member): Promise<Member>;
  update(member: Member): Promise<Member>;
  findByExternalId(organizationId: OrganizationId, externalId: string): Promise<Member | null>;
  list(organizationId: OrganizationId, page: Page): Promise<Member[]>;
}

export interface ClaimRepositoryPort {
  get(organizationId: OrganizationId, id: ClaimId): Promise<Claim | null>;
  /** Patient control numbers are unique within an organization. */
  insert(claim: Claim): Promise<Claim>;
  update(claim: Claim): Promise<Claim>;
  findByPatientControlNumber(
    organizationId: OrganizationId,
    patientControlNumber: string,
  ): Promise<Claim | null>;
  listByMember(organizationId: OrganizationId, memberId: MemberId): Promise<Claim[]>;
}

export interface PaymentRequestFilter {
  readonly memberId?: MemberId;
  readonly claimId?: ClaimId;
  readonly statuses?: readonly PaymentRequestStatus[];
  /** Deleted (paid, then deleted) requests are left out unless asked for. */
  readonly includeDeleted?: boolean;
}

export interface ClaimableQuery {
  readonly now: Date;
  /** Only drafts created before this instant go out in this run. */
  readonly cutoff: Date;
  /** Drafts the batch already tried at or after this instant wait for a later run. */
  readonly notAttemptedSince: Date;
  readonly limit: number;
}

export interface PaymentRequestRepositoryPort {
  get(organizationId: OrganizationId, id: PaymentRequestId): Promise<PaymentRequest | null>;
  insert(request: PaymentRequest): Promise<PaymentRequest>;
  update(request: PaymentRequest): Promise<PaymentRequest>;
  /** Removes a request for good (a deleted draft). Its audit entries stay. */
  remove(request: PaymentRequest): Promise<void>;
  /** In creation order (then id), oldest first. */
  list(
    organizationId: OrganizationId,
    filter: PaymentRequestFilter,
    page: Page,
  ): Promise<PaymentRequest[]>;
  findByInvoiceId(
    organizationId: OrganizationId,
    invoiceId: string,
  ): Promise<PaymentRequest | null>;
  /** Requests of a claim that are not canceled or refunded, oldest first. */
  findOpenForClaim(organizationId: OrganizationId, claimId: ClaimId): Promise<PaymentRequest[]>;
  /**
   * Requests the batch may take now, oldest first: drafts created before the cutoff that are
   * not held for staff (`needs_review`, `below_minimum_charge`), and `sending` requests whose
   * lease has expired. The rows stay locked against other units of work until this one ends
   * (`FOR UPDATE SKIP LOCKED` in PostgreSQL), so that concurrent workers never take the same.
   */
  findClaimable(organizationId: OrganizationId, query: ClaimableQuery): Promise<PaymentRequest[]>;
  /**
   * Requests with work the gateway never confirmed, oldest first: a refund asked for before
   * `requestedBefore` that is still `requested`, or a cancel asked for (`cancelRequestedAt`)
   * whose invoice is still open (status `sent` or `failed`).
   */
  findFollowUps(
    organizationId: OrganizationId,
    requestedBefore: Date,
    page: Page,
  ): Promise<PaymentRequest[]>;
  /** Requests whose text message waits and may go out at `now`. */
  findTextsDue(organizationId: OrganizationId, now: Date, limit: number): Promise<PaymentRequest[]>;
}

export interface AuditRepositoryPort {
  /** Stores the entry and gives it the next place in the order. */
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  listForRequest(
    organizationId: OrganizationId,
    requestId: PaymentRequestId,
  ): Promise<AuditEntry[]>;
}

export interface RemittanceRepositoryPort {
  /**
   * One remittance per organization, source, payer and trace number: a paper EOB keyed in by
   * staff is not the 835 of the same payment.
   */
  insert(remittance: RemittanceRecord): Promise<RemittanceRecord>;
  findByTrace(
    organizationId: OrganizationId,
    source: RemittanceRecord['source'],
    payerId: string,
    traceNumber: string,
  ): Promise<RemittanceRecord | null>;
  /** One record per organization and claim-payment key; a repeat is a `duplicate`. */
  insertClaimPayment(record: ClaimPaymentRecord): Promise<ClaimPaymentRecord>;
  findClaimPayment(organizationId: OrganizationId, key: string): Promise<ClaimPaymentRecord | null>;
  listClaimPayments(
    organizationId: OrganizationId,
    remittanceId: RemittanceId,
  ): Promise<ClaimPaymentRecord[]>;
  /** The claim payments matched to a claim, from every remittance, in the order recorded. */
  listClaimPaymentsForClaim(
    organizationId: OrganizationId,
    claimId: ClaimId,
  ): Promise<ClaimPaymentRecord[]>;
}

export interface AppliedGatewayEvent {
  readonly eventId: string;
  readonly organizationId: OrganizationId | null;
  readonly type: string;
  readonly appliedAt: Date;
}

export interface GatewayEventRepositoryPort {
  /** Records that an event was applied; the same event id twice is a `duplicate`. */
  record(event: AppliedGatewayEvent): Promise<void>;
  has(eventId: string): Promise<boolean>;
}

export interface BatchRun {
  readonly id: BatchRunId;
  readonly organizationId: OrganizationId;
  /** The local calendar day the run belongs to; a scheduled run happens once per day. */
  readonly localDate: LocalDate;
  readonly kind: 'scheduled' | 'manual';
  readonly cutoff: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly version: number;
}

export interface BatchRunRepositoryPort {
  /** A second scheduled run for the same organization and local day is a `duplicate`. */
  insert(run: BatchRun): Promise<BatchRun>;
  update(run: BatchRun): Promise<BatchRun>;
  findScheduled(organizationId: OrganizationId, localDate: LocalDate): Promise<BatchRun | null>;
  /** The latest scheduled run of the organization, if any. */
  latestScheduled(organizationId: OrganizationId): Promise<BatchRun | null>;
}

/** The repositories, as seen inside one unit of work. */
export interface UnitOfWork {
  readonly organizations: OrganizationRepositoryPort;
  readonly members: MemberRepositoryPort;
  readonly claims: ClaimRepositoryPort;
  readonly requests: PaymentRequestRepositoryPort;
  readonly audit: AuditRepositoryPort;
  readonly remittances: RemittanceRepositoryPort;
  readonly gatewayEvents: GatewayEventRepositoryPort;
  readonly batchRuns: BatchRunRepositoryPort;
}

/**
 * Storage (`@memberpay/storage-memory`, `@memberpay/storage-postgres`). A unit of work commits
 * everything it wrote when `work` returns `ok`, and nothing when it returns `err` or throws.
 * A `StorageError` thrown inside comes back as an `err` with code `STORAGE.<KIND>`; any other
 * exception is a bug and is rethrown after the rollback.
 */
export interface StoragePort {
  transaction<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): ResultAsync<T, E | DomainError>;
}

/** How a unit of work reports a `StorageError` it caught: as a `DomainError` with its kind. */
export function storageFailure(error: StorageError): DomainError {
  const codes = {
    conflict: 'STORAGE.CONFLICT',
    duplicate: 'STORAGE.DUPLICATE',
    unavailable: 'STORAGE.UNAVAILABLE',
    failed: 'STORAGE.FAILED',
  } as const;
  return new DomainError(codes[error.kind], error.message, { entity: error.entity }, error);
}
