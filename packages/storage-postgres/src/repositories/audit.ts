import {
  type AuditEntry,
  type AuditRepositoryPort,
  asId,
  type NewAuditEntry,
  PAYMENT_REQUEST_STATUSES,
} from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, selectFrom, valuesOf } from '../sql';
import { readActor, readDetails } from './json-columns';
import { AUDIT_ACTIONS } from './known-values';
import { checkInserted } from './writes';

const ENTITY = 'audit_entry';

/** Written by the caller; `sequence` comes from the table's identity. */
const COLUMNS = [
  'id',
  'organization_id',
  'request_id',
  'at',
  'actor',
  'action',
  'from_status',
  'to_status',
  'reason',
  'details',
] as const;

type Column = (typeof COLUMNS)[number];

export type AuditStatements = ReturnType<typeof auditStatements>;

export function auditStatements(tables: Tables) {
  return {
    append: `${insertInto(tables.audit_entry, COLUMNS)} RETURNING sequence`,
    listForRequest:
      `${selectFrom(tables.audit_entry, ['sequence', ...COLUMNS])} ` +
      'WHERE organization_id = $1 AND request_id = $2 ORDER BY sequence',
  };
}

export function auditRepository(
  session: UnitSession,
  statements: AuditStatements,
): AuditRepositoryPort {
  return {
    append: async (entry) => {
      const written = await session.query(
        ENTITY,
        statements.append,
        valuesOf(COLUMNS, auditColumns(entry)),
      );
      checkInserted(written, ENTITY, entry.id, 'id');
      const [row] = written.rows;
      return { ...entry, sequence: new RowReader(ENTITY, row ?? {}).bigint('sequence') };
    },
    listForRequest: async (organizationId, requestId) => {
      const listed = await session.read(ENTITY, statements.listForRequest, [
        organizationId,
        requestId,
      ]);
      return listed.rows.map(auditEntryFromRow);
    },
  };
}

function auditColumns(entry: NewAuditEntry): Record<Column, unknown> {
  return {
    id: entry.id,
    organization_id: entry.organizationId,
    request_id: entry.requestId,
    at: entry.at,
    actor: JSON.stringify(entry.actor),
    action: entry.action,
    from_status: entry.from,
    to_status: entry.to,
    reason: entry.reason,
    details: JSON.stringify(entry.details),
  };
}

function auditEntryFromRow(row: SqlRow): AuditEntry {
  const read = new RowReader(ENTITY, row);
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    requestId: asId(read.text('request_id')),
    sequence: read.bigint('sequence'),
    at: read.timestamp('at'),
    actor: readActor(read, 'actor'),
    action: read.oneOf('action', AUDIT_ACTIONS),
    from: read.nullableOneOf('from_status', PAYMENT_REQUEST_STATUSES),
    to: read.nullableOneOf('to_status', PAYMENT_REQUEST_STATUSES),
    reason: read.text('reason'),
    details: readDetails(read, 'details'),
  };
}
