import { asId, type Claim, type ClaimRepositoryPort } from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, selectFrom, updateVersioned, valuesOf } from '../sql';
import { checkInserted, checkUpdated, sharedCurrency } from './writes';

const ENTITY = 'claim';

const COLUMNS = [
  'id',
  'organization_id',
  'member_id',
  'patient_control_number',
  'payer_claim_control_number',
  'date_of_service',
  'currency',
  'charge_minor',
  'paid_minor',
  'patient_responsibility_minor',
  'collected_at_visit_minor',
  'created_at',
  'updated_at',
  'version',
] as const;

type Column = (typeof COLUMNS)[number];

const UPDATED = COLUMNS.filter(
  (column) => column !== 'id' && column !== 'organization_id' && column !== 'version',
);

export type ClaimStatements = ReturnType<typeof claimStatements>;

export function claimStatements(tables: Tables) {
  const scoped = `${selectFrom(tables.claim, COLUMNS)} WHERE organization_id = $1`;
  return {
    insert: insertInto(tables.claim, COLUMNS),
    update: updateVersioned(tables.claim, ['id', 'organization_id'], UPDATED),
    get: `${scoped} AND id = $2`,
    findByPatientControlNumber: `${scoped} AND patient_control_number = $2`,
    listByMember: `${scoped} AND member_id = $2 ORDER BY created_at, id`,
  };
}

export function claimRepository(
  session: UnitSession,
  statements: ClaimStatements,
): ClaimRepositoryPort {
  const rows = async (text: string, values: readonly unknown[]) =>
    (await session.read(ENTITY, text, values)).rows.map(claimFromRow);

  return {
    get: async (organizationId, id) =>
      (await rows(statements.get, [organizationId, id]))[0] ?? null,
    insert: async (claim) => {
      const written = await session.query(
        ENTITY,
        statements.insert,
        valuesOf(COLUMNS, claimColumns(claim)),
      );
      checkInserted(written, ENTITY, claim.id, 'id, patient control number');
      return claim;
    },
    update: async (claim) => {
      const written = await session.query(ENTITY, statements.update, [
        claim.id,
        claim.organizationId,
        claim.version,
        ...valuesOf(UPDATED, claimColumns(claim)),
      ]);
      checkUpdated(written, ENTITY, claim.id, claim.version);
      return { ...claim, version: claim.version + 1 };
    },
    findByPatientControlNumber: async (organizationId, patientControlNumber) =>
      (
        await rows(statements.findByPatientControlNumber, [organizationId, patientControlNumber])
      )[0] ?? null,
    listByMember: async (organizationId, memberId) =>
      rows(statements.listByMember, [organizationId, memberId]),
  };
}

function claimColumns(claim: Claim): Record<Column, unknown> {
  const currency = sharedCurrency(ENTITY, claim.id, [
    claim.chargeAmount,
    claim.paidAmount,
    claim.patientResponsibility,
    claim.collectedAtVisit,
  ]);
  return {
    id: claim.id,
    organization_id: claim.organizationId,
    member_id: claim.memberId,
    patient_control_number: claim.patientControlNumber,
    payer_claim_control_number: claim.payerClaimControlNumber,
    date_of_service: claim.dateOfService,
    currency,
    charge_minor: claim.chargeAmount.minor,
    paid_minor: claim.paidAmount?.minor ?? null,
    patient_responsibility_minor: claim.patientResponsibility?.minor ?? null,
    collected_at_visit_minor: claim.collectedAtVisit.minor,
    created_at: claim.createdAt,
    updated_at: claim.updatedAt,
    version: claim.version,
  };
}

function claimFromRow(row: SqlRow): Claim {
  const read = new RowReader(ENTITY, row);
  const currency = read.currency('currency');
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    memberId: asId(read.text('member_id')),
    patientControlNumber: read.text('patient_control_number'),
    payerClaimControlNumber: read.nullableText('payer_claim_control_number'),
    dateOfService: read.localDate('date_of_service'),
    chargeAmount: read.money('charge_minor', currency),
    paidAmount: read.nullableMoney('paid_minor', currency),
    patientResponsibility: read.nullableMoney('patient_responsibility_minor', currency),
    collectedAtVisit: read.money('collected_at_visit_minor', currency),
    createdAt: read.timestamp('created_at'),
    updatedAt: read.timestamp('updated_at'),
    version: read.integer('version'),
  };
}
