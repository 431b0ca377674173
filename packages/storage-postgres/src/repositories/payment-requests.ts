import {
  asId,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  type PaymentRequestRepositoryPort,
  type RequestSource,
} from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { creationOrderPage, insertInto, selectFrom, updateVersioned, valuesOf } from '../sql';
import { lifecycleJson, readLifecycle, readRefunds, refundsJson } from './json-columns';
import { HOLD_CODES, TEXT_STATUSES } from './known-values';
import { checkInserted, checkUpdated, sharedCurrency } from './writes';

const ENTITY = 'payment_request';

const COLUMNS = [
  'id',
  'organization_id',
  'member_id',
  'claim_id',
  'internal_id',
  'currency',
  'amount_minor',
  'description',
  'source_kind',
  'source_created_by',
  'source_remittance_id',
  'claim_payment_key',
  'status',
  'hold_code',
  'hold_message',
  'hold_since',
  'revision',
  'customer_id',
  'invoice_id',
  'invoice_revision',
  'invoice_number',
  'hosted_invoice_url',
  'send_revision',
  'send_attempts',
  'lease_owner',
  'lease_expires_at',
  'last_attempt_at',
  'invoice_requested_at',
  'last_error_kind',
  'last_error_message',
  'amount_paid_minor',
  'amount_refunded_minor',
  'refunds',
  'due_date',
  'text_status',
  'text_not_before',
  'text_sent_at',
  'text_message_id',
  'text_error',
  'cancel_requested_at',
  'lifecycle',
  'created_at',
  'updated_at',
  'deleted_at',
  'version',
] as const;

type Column = (typeof COLUMNS)[number];

const UPDATED = COLUMNS.filter(
  (column) => column !== 'id' && column !== 'organization_id' && column !== 'version',
);

/**
 * Requests that may need a follow-up: a cancel waiting on an open invoice, or a refund asked of
 * the gateway and not answered yet.
 */
const FOLLOW_UP_QUEUE =
  `(cancel_requested_at IS NOT NULL AND status IN ('sent', 'failed')) ` +
  `OR refunds @> '[{"status": "requested"}]'`;

export type PaymentRequestStatements = ReturnType<typeof paymentRequestStatements>;

export function paymentRequestStatements(tables: Tables) {
  const table = tables.payment_request;
  const select = selectFrom(table, COLUMNS);
  return {
    table,
    insert: insertInto(table, COLUMNS),
    update: updateVersioned(table, ['id', 'organization_id'], UPDATED),
    remove: `DELETE FROM ${table} WHERE id = $1 AND organization_id = $2 AND version = $3`,
    get: `${select} WHERE organization_id = $1 AND id = $2`,
    findByInvoiceId: `${select} WHERE organization_id = $1 AND invoice_id = $2`,
    findOpenForClaim:
      `${select} WHERE organization_id = $1 AND claim_id = $2 AND deleted_at IS NULL ` +
      `AND status NOT IN ('canceled', 'refunded', 'charged_back') ORDER BY created_at, id`,
    // Drafts held for staff stay; a `sending` request is free again once its lease expired.
    // Locked rows belong to another worker's unit of work and are passed over, not waited for.
    findClaimable:
      `${select} WHERE organization_id = $1 AND deleted_at IS NULL ` +
      `AND status IN ('draft', 'sending') AND (` +
      `(status = 'draft' AND created_at < $2 ` +
      `AND (hold_code IS NULL OR hold_code NOT IN ('needs_review', 'below_minimum_charge')) ` +
      'AND (last_attempt_at IS NULL OR last_attempt_at < $3)) ' +
      `OR (status = 'sending' AND (lease_expires_at IS NULL OR lease_expires_at <= $4))) ` +
      'ORDER BY created_at, id LIMIT $5 FOR UPDATE SKIP LOCKED',
    // `$4` is the instant before which an unanswered refund is due a follow-up. The first
    // condition is the predicate of the partial index that keeps this queue (migration 4).
    findFollowUps: creationOrderPage({
      table,
      columns: COLUMNS,
      conditions: [
        'organization_id = $1',
        `(${FOLLOW_UP_QUEUE})`,
        `((cancel_requested_at IS NOT NULL AND status IN ('sent', 'failed')) OR EXISTS (` +
          'SELECT 1 FROM jsonb_array_elements(refunds) AS refund ' +
          `WHERE refund->>'status' = 'requested' AND (refund->>'requestedAt')::timestamptz < $4))`,
      ],
      after: '$2',
      limit: '$3',
    }),
    findTextsDue:
      `${select} WHERE organization_id = $1 AND deleted_at IS NULL ` +
      `AND text_status = 'waiting' AND text_not_before <= $2 ORDER BY created_at, id LIMIT $3`,
  };
}

export function paymentRequestRepository(
  session: UnitSession,
  statements: PaymentRequestStatements,
): PaymentRequestRepositoryPort {
  const rows = async (text: string, values: readonly unknown[]) =>
    (await session.read(ENTITY, text, values)).rows.map(paymentRequestFromRow);

  return {
    get: async (organizationId, id) =>
      (await rows(statements.get, [organizationId, id]))[0] ?? null,
    insert: async (request) => {
      const written = await session.query(
        ENTITY,
        statements.insert,
        valuesOf(COLUMNS, paymentRequestColumns(request)),
      );
      checkInserted(written, ENTITY, request.id, 'id, invoice, claim payment');
      return request;
    },
    update: async (request) => {
      const written = await session.query(ENTITY, statements.update, [
        request.id,
        request.organizationId,
        request.version,
        ...valuesOf(UPDATED, paymentRequestColumns(request)),
      ]);
      checkUpdated(written, ENTITY, request.id, request.version);
      return { ...request, version: request.version + 1 };
    },
    remove: async (request) => {
      const removed = await session.query(ENTITY, statements.remove, [
        request.id,
        request.organizationId,
        request.version,
      ]);
      checkUpdated(removed, ENTITY, request.id, request.version);
    },
    list: async (organizationId, filter, page) => {
      const values: unknown[] = [organizationId, page.after ?? null, page.limit];
      const conditions = ['organization_id = $1'];
      const where = (condition: (placeholder: string) => string, value: unknown) => {
        values.push(value);
        conditions.push(condition(`$${values.length}`));
      };

      if (filter.memberId !== undefined) {
        where((placeholder) => `member_id = ${placeholder}`, filter.memberId);
      }

      if (filter.claimId !== undefined) {
        where((placeholder) => `claim_id = ${placeholder}`, filter.claimId);
      }

      if (filter.statuses !== undefined) {
        where((placeholder) => `status = ANY(${placeholder}::text[])`, [...filter.statuses]);
      }

      if (!filter.includeDeleted) {
        conditions.push('deleted_at IS NULL');
      }

      const text = creationOrderPage({
        table: statements.table,
        columns: COLUMNS,
        conditions,
        after: '$2',
        limit: '$3',
      });
      return rows(text, values);
    },
    findByInvoiceId: async (organizationId, invoiceId) =>
      (await rows(statements.findByInvoiceId, [organizationId, invoiceId]))[0] ?? null,
    findOpenForClaim: async (organizationId, claimId) =>
      rows(statements.findOpenForClaim, [organizationId, claimId]),
    findClaimable: async (organizationId, query) => {
      // It locks what it returns, so it runs inside the transaction, unlike the reads.
      const claimable = await session.query(ENTITY, statements.findClaimable, [
        organizationId,
        query.cutoff,
        query.notAttemptedSince,
        query.now,
        query.limit,
      ]);
      return claimable.rows.map(paymentRequestFromRow);
    },
    findFollowUps: async (organizationId, requestedBefore, page) =>
      rows(statements.findFollowUps, [
        organizationId,
        page.after ?? null,
        page.limit,
        requestedBefore,
      ]),
    findTextsDue: async (organizationId, now, limit) =>
      rows(statements.findTextsDue, [organizationId, now, limit]),
  };
}

function paymentRequestColumns(request: PaymentRequest): Record<Column, unknown> {
  const { source, hold, gateway, sendAttempt, text } = request;
  const currency = sharedCurrency(ENTITY, request.id, [
    request.amount,
    request.amountPaid,
    request.amountRefunded,
    ...request.refunds.map((refund) => refund.amount),
  ]);
  return {
    id: request.id,
    organization_id: request.organizationId,
    member_id: request.memberId,
    claim_id: request.claimId,
    internal_id: request.internalId,
    currency,
    amount_minor: request.amount.minor,
    description: request.description,
    source_kind: source.kind,
    source_created_by: source.kind === 'manual' ? source.createdBy : null,
    source_remittance_id: source.kind === 'remittance' ? source.remittanceId : null,
    claim_payment_key: source.kind === 'remittance' ? source.claimPaymentKey : null,
    status: request.status,
    hold_code: hold?.code ?? null,
    hold_message: hold?.message ?? null,
    hold_since: hold?.since ?? null,
    revision: request.revision,
    customer_id: gateway.customerId,
    invoice_id: gateway.invoiceId,
    invoice_revision: gateway.invoiceRevision,
    invoice_number: gateway.invoiceNumber,
    hosted_invoice_url: gateway.hostedInvoiceUrl,
    send_revision: sendAttempt?.revision ?? null,
    send_attempts: sendAttempt?.attempts ?? null,
    lease_owner: sendAttempt?.leaseOwner ?? null,
    lease_expires_at: sendAttempt?.leaseExpiresAt ?? null,
    last_attempt_at: sendAttempt?.lastAttemptAt ?? null,
    invoice_requested_at: sendAttempt?.invoiceRequestedAt ?? null,
    last_error_kind: sendAttempt?.lastError?.kind ?? null,
    last_error_message: sendAttempt?.lastError?.message ?? null,
    amount_paid_minor: request.amountPaid.minor,
    amount_refunded_minor: request.amountRefunded.minor,
    refunds: refundsJson(request.refunds),
    due_date: request.dueDate,
    text_status: text?.status ?? null,
    text_not_before: text?.notBefore ?? null,
    text_sent_at: text?.sentAt ?? null,
    text_message_id: text?.messageId ?? null,
    text_error: text?.error ?? null,
    cancel_requested_at: request.cancelRequestedAt,
    lifecycle: lifecycleJson(request.lifecycle),
    created_at: request.createdAt,
    updated_at: request.updatedAt,
    deleted_at: request.deletedAt,
    version: request.version,
  };
}

function paymentRequestFromRow(row: SqlRow): PaymentRequest {
  const read = new RowReader(ENTITY, row);
  const currency = read.currency('currency');
  const holdCode = read.nullableOneOf('hold_code', HOLD_CODES);
  const lastAttemptAt = read.nullableTimestamp('last_attempt_at');
  const lastErrorKind = read.nullableText('last_error_kind');
  const textStatus = read.nullableOneOf('text_status', TEXT_STATUSES);
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    memberId: asId(read.text('member_id')),
    claimId: asId(read.text('claim_id')),
    internalId: read.text('internal_id'),
    amount: read.money('amount_minor', currency),
    description: read.nullableText('description'),
    source: readSource(read),
    status: read.oneOf('status', PAYMENT_REQUEST_STATUSES),
    hold:
      holdCode === null
        ? null
        : {
            code: holdCode,
            message: read.text('hold_message'),
            since: read.timestamp('hold_since'),
          },
    revision: read.integer('revision'),
    gateway: {
      customerId: read.nullableText('customer_id'),
      invoiceId: read.nullableText('invoice_id'),
      invoiceRevision: read.nullableInteger('invoice_revision'),
      invoiceNumber: read.nullableText('invoice_number'),
      hostedInvoiceUrl: read.nullableText('hosted_invoice_url'),
    },
    sendAttempt:
      lastAttemptAt === null
        ? null
        : {
            revision: read.integer('send_revision'),
            attempts: read.integer('send_attempts'),
            leaseOwner: read.nullableText('lease_owner'),
            leaseExpiresAt: read.nullableTimestamp('lease_expires_at'),
            lastAttemptAt,
            invoiceRequestedAt: read.nullableTimestamp('invoice_requested_at'),
            lastError:
              lastErrorKind === null
                ? null
                : { kind: lastErrorKind, message: read.text('last_error_message') },
          },
    amountPaid: read.money('amount_paid_minor', currency),
    amountRefunded: read.money('amount_refunded_minor', currency),
    refunds: readRefunds(read, 'refunds', currency),
    dueDate: read.nullableLocalDate('due_date'),
    text:
      textStatus === null
        ? null
        : {
            status: textStatus,
            notBefore: read.timestamp('text_not_before'),
            sentAt: read.nullableTimestamp('text_sent_at'),
            messageId: read.nullableText('text_message_id'),
            error: read.nullableText('text_error'),
          },
    cancelRequestedAt: read.nullableTimestamp('cancel_requested_at'),
    lifecycle: readLifecycle(read, 'lifecycle'),
    createdAt: read.timestamp('created_at'),
    updatedAt: read.timestamp('updated_at'),
    deletedAt: read.nullableTimestamp('deleted_at'),
    version: read.integer('version'),
  };
}

function readSource(read: RowReader): RequestSource {
  if (read.oneOf('source_kind', ['manual', 'remittance']) === 'manual') {
    return { kind: 'manual', createdBy: read.text('source_created_by') };
  }

  return {
    kind: 'remittance',
    remittanceId: asId(read.text('source_remittance_id')),
    claimPaymentKey: read.text('claim_payment_key'),
  };
}
