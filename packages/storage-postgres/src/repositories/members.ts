import { asId, type Member, type MemberRepositoryPort } from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { creationOrderPage, insertInto, selectFrom, updateVersioned, valuesOf } from '../sql';
import { checkInserted, checkUpdated } from './writes';

const ENTITY = 'member';

const COLUMNS = [
  'id',
  'organization_id',
  'external_id',
  'name',
  'email',
  'phone',
  'text_opt_out',
  'customer_id',
  'customer_email',
  'customer_phone',
  'customer_name',
  'created_at',
  'updated_at',
  'version',
] as const;

type Column = (typeof COLUMNS)[number];

const UPDATED = COLUMNS.filter(
  (column) => column !== 'id' && column !== 'organization_id' && column !== 'version',
);

export type MemberStatements = ReturnType<typeof memberStatements>;

export function memberStatements(tables: Tables) {
  const select = selectFrom(tables.member, COLUMNS);
  return {
    insert: insertInto(tables.member, COLUMNS),
    update: updateVersioned(tables.member, ['id', 'organization_id'], UPDATED),
    get: `${select} WHERE organization_id = $1 AND id = $2`,
    findByExternalId: `${select} WHERE organization_id = $1 AND external_id = $2`,
    list: creationOrderPage({
      table: tables.member,
      columns: COLUMNS,
      conditions: ['organization_id = $1'],
      after: '$2',
      limit: '$3',
    }),
  };
}

export function memberRepository(
  session: UnitSession,
  statements: MemberStatements,
): MemberRepositoryPort {
  const rows = async (text: string, values: readonly unknown[]) =>
    (await session.read(ENTITY, text, values)).rows.map(memberFromRow);

  return {
    get: async (organizationId, id) =>
      (await rows(statements.get, [organizationId, id]))[0] ?? null,
    insert: async (member) => {
      const written = await session.query(
        ENTITY,
        statements.insert,
        valuesOf(COLUMNS, memberColumns(member)),
      );
      checkInserted(written, ENTITY, member.id, 'id, external id');
      return member;
    },
    update: async (member) => {
      const written = await session.query(ENTITY, statements.update, [
        member.id,
        member.organizationId,
        member.version,
        ...valuesOf(UPDATED, memberColumns(member)),
      ]);
      checkUpdated(written, ENTITY, member.id, member.version);
      return { ...member, version: member.version + 1 };
    },
    findByExternalId: async (organizationId, externalId) =>
      (await rows(statements.findByExternalId, [organizationId, externalId]))[0] ?? null,
    list: async (organizationId, page) =>
      rows(statements.list, [organizationId, page.after ?? null, page.limit]),
  };
}

function memberColumns(member: Member): Record<Column, unknown> {
  const customer = member.gatewayCustomer;
  return {
    id: member.id,
    organization_id: member.organizationId,
    external_id: member.externalId,
    name: member.name,
    email: member.email,
    phone: member.phone,
    text_opt_out: member.textOptOut,
    customer_id: customer?.customerId ?? null,
    customer_email: customer?.email ?? null,
    customer_phone: customer?.phone ?? null,
    customer_name: customer?.name ?? null,
    created_at: member.createdAt,
    updated_at: member.updatedAt,
    version: member.version,
  };
}

function memberFromRow(row: SqlRow): Member {
  const read = new RowReader(ENTITY, row);
  const customerId = read.nullableText('customer_id');
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    externalId: read.nullableText('external_id'),
    name: read.text('name'),
    email: read.nullableText('email'),
    phone: read.nullableText('phone'),
    textOptOut: read.boolean('text_opt_out'),
    gatewayCustomer:
      customerId === null
        ? null
        : {
            customerId,
            email: read.nullableText('customer_email'),
            phone: read.nullableText('customer_phone'),
            name: read.text('customer_name'),
          },
    createdAt: read.timestamp('created_at'),
    updatedAt: read.timestamp('updated_at'),
    version: read.integer('version'),
  };
}
