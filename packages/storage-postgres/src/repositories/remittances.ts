import {
  asId,
  type ClaimPaymentRecord,
  type RemittanceRecord,
  type RemittanceRepositoryPort,
} from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, selectFrom, valuesOf } from '../sql';
import { CLAIM_PAYMENT_OUTCOMES } from './known-values';
import { checkInserted } from './writes';

const REMITTANCE = 'remittance';
const CLAIM_PAYMENT = 'claim_payment';

const REMITTANCE_COLUMNS = [
  'id',
  'organization_id',
  'source',
  'payer_id',
  'payer_name',
  'trace_number',
  'payment_date',
  'received_at',
] as const;

const CLAIM_PAYMENT_COLUMNS = [
  'id',
  'organization_id',
  'remittance_id',
  'key',
  'claim_id',
  'request_id',
  'patient_control_number',
  'status_code',
  'charge_cents',
  'paid_cents',
  'patient_responsibility_cents',
  'outcome',
  'reason',
  'recorded_at',
] as const;

export type RemittanceStatements = ReturnType<typeof remittanceStatements>;

export function remittanceStatements(tables: Tables) {
  const remittanceColumns = selectFrom(tables.remittance, REMITTANCE_COLUMNS);
  const remittances = `${remittanceColumns} WHERE organization_id = $1`;
  const claimPaymentColumns = selectFrom(tables.claim_payment, CLAIM_PAYMENT_COLUMNS);
  const claimPayments = `${claimPaymentColumns} WHERE organization_id = $1`;
  return {
    insert: insertInto(tables.remittance, REMITTANCE_COLUMNS),
    findByTrace: `${remittances} AND source = $2 AND payer_id = $3 AND trace_number = $4`,
    insertClaimPayment: insertInto(tables.claim_payment, CLAIM_PAYMENT_COLUMNS),
    findClaimPayment: `${claimPayments} AND key = $2`,
    listClaimPayments: `${claimPayments} AND remittance_id = $2 ORDER BY recorded_at, position`,
    listClaimPaymentsForClaim: `${claimPayments} AND claim_id = $2 ORDER BY position`,
  };
}

export function remittanceRepository(
  session: UnitSession,
  statements: RemittanceStatements,
): RemittanceRepositoryPort {
  const claimPayments = async (text: string, values: readonly unknown[]) =>
    (await session.read(CLAIM_PAYMENT, text, values)).rows.map(claimPaymentFromRow);

  return {
    insert: async (remittance) => {
      const written = await session.query(
        REMITTANCE,
        statements.insert,
        valuesOf(REMITTANCE_COLUMNS, {
          id: remittance.id,
          organization_id: remittance.organizationId,
          source: remittance.source,
          payer_id: remittance.payerId,
          payer_name: remittance.payerName,
          trace_number: remittance.traceNumber,
          payment_date: remittance.paymentDate,
          received_at: remittance.receivedAt,
        }),
      );
      checkInserted(written, REMITTANCE, remittance.id, 'id, or source, payer and trace number');
      return remittance;
    },
    findByTrace: async (organizationId, source, payerId, traceNumber) => {
      const found = await session.read(REMITTANCE, statements.findByTrace, [
        organizationId,
        source,
        payerId,
        traceNumber,
      ]);
      return found.rows.map(remittanceFromRow)[0] ?? null;
    },
    insertClaimPayment: async (record) => {
      const written = await session.query(
        CLAIM_PAYMENT,
        statements.insertClaimPayment,
        valuesOf(CLAIM_PAYMENT_COLUMNS, {
          id: record.id,
          organization_id: record.organizationId,
          remittance_id: record.remittanceId,
          key: record.key,
          claim_id: record.claimId,
          request_id: record.requestId,
          patient_control_number: record.patientControlNumber,
          status_code: record.statusCode,
          charge_cents: record.chargeCents,
          paid_cents: record.paidCents,
          patient_responsibility_cents: record.patientResponsibilityCents,
          outcome: record.outcome,
          reason: record.reason,
          recorded_at: record.recordedAt,
        }),
      );
      checkInserted(written, CLAIM_PAYMENT, record.id, 'id, claim-payment key');
      return record;
    },
    findClaimPayment: async (organizationId, key) =>
      (await claimPayments(statements.findClaimPayment, [organizationId, key]))[0] ?? null,
    listClaimPayments: async (organizationId, remittanceId) =>
      claimPayments(statements.listClaimPayments, [organizationId, remittanceId]),
    listClaimPaymentsForClaim: async (organizationId, claimId) =>
      claimPayments(statements.listClaimPaymentsForClaim, [organizationId, claimId]),
  };
}

function remittanceFromRow(row: SqlRow): RemittanceRecord {
  const read = new RowReader(REMITTANCE, row);
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    source: read.oneOf('source', ['electronic', 'paper']),
    payerId: read.text('payer_id'),
    payerName: read.nullableText('payer_name'),
    traceNumber: read.text('trace_number'),
    paymentDate: read.nullableLocalDate('payment_date'),
    receivedAt: read.timestamp('received_at'),
  };
}

function claimPaymentFromRow(row: SqlRow): ClaimPaymentRecord {
  const read = new RowReader(CLAIM_PAYMENT, row);
  const claimId = read.nullableText('claim_id');
  const requestId = read.nullableText('request_id');
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    remittanceId: asId(read.text('remittance_id')),
    key: read.text('key'),
    claimId: claimId === null ? null : asId(claimId),
    requestId: requestId === null ? null : asId(requestId),
    patientControlNumber: read.text('patient_control_number'),
    statusCode: read.text('status_code'),
    chargeCents: read.bigint('charge_cents'),
    paidCents: read.bigint('paid_cents'),
    patientResponsibilityCents: read.nullableBigint('patient_responsibility_cents'),
    outcome: read.oneOf('outcome', CLAIM_PAYMENT_OUTCOMES),
    reason: read.text('reason'),
    recordedAt: read.timestamp('recorded_at'),
  };
}
