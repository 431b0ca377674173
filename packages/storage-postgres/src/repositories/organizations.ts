import { asId, type Organization, type OrganizationRepositoryPort } from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, selectFrom, updateVersioned, valuesOf } from '../sql';
import { PAYOUT_STATES } from './known-values';
import { checkInserted, checkUpdated } from './writes';

const ENTITY = 'organization';

const COLUMNS = [
  'id',
  'name',
  'time_zone',
  'member_payments_enabled',
  'generate_from_remittance',
  'text_delivery_enabled',
  'batch_hour',
  'batch_minute',
  'days_until_due',
  'currency',
  'payout_state',
  'payout_account_id',
  'charges_enabled',
  'payouts_enabled',
  'details_submitted',
  'currently_due',
  'disabled_reason',
  'payout_updated_at',
  'created_at',
  'updated_at',
  'version',
] as const;

type Column = (typeof COLUMNS)[number];

const UPDATED = COLUMNS.filter((column) => column !== 'id' && column !== 'version');

export type OrganizationStatements = ReturnType<typeof organizationStatements>;

/** Organizations are the tenants themselves: these statements are global by design. */
export function organizationStatements(tables: Tables) {
  const select = selectFrom(tables.organization, COLUMNS);
  return {
    insert: insertInto(tables.organization, COLUMNS),
    update: updateVersioned(tables.organization, ['id'], UPDATED),
    get: `${select} WHERE id = $1`,
    findByPayoutAccount: `${select} WHERE payout_account_id = $1`,
    list:
      `${select} WHERE $1::text IS NULL OR id > $1 ` +
      `OR NOT EXISTS (SELECT 1 FROM ${tables.organization} WHERE id = $1) ` +
      'ORDER BY id LIMIT $2',
  };
}

export function organizationRepository(
  session: UnitSession,
  statements: OrganizationStatements,
): OrganizationRepositoryPort {
  const rows = async (text: string, values: readonly unknown[]) =>
    (await session.read(ENTITY, text, values)).rows.map(organizationFromRow);

  return {
    get: async (id) => (await rows(statements.get, [id]))[0] ?? null,
    insert: async (organization) => {
      const written = await session.query(
        ENTITY,
        statements.insert,
        valuesOf(COLUMNS, organizationColumns(organization)),
      );
      checkInserted(written, ENTITY, organization.id, 'id, payout account');
      return organization;
    },
    update: async (organization) => {
      const columns = organizationColumns(organization);
      const written = await session.query(ENTITY, statements.update, [
        organization.id,
        organization.version,
        ...valuesOf(UPDATED, columns),
      ]);
      checkUpdated(written, ENTITY, organization.id, organization.version);
      return { ...organization, version: organization.version + 1 };
    },
    findByPayoutAccount: async (accountId) =>
      (await rows(statements.findByPayoutAccount, [accountId]))[0] ?? null,
    list: async (page) => rows(statements.list, [page.after ?? null, page.limit]),
  };
}

function organizationColumns(organization: Organization): Record<Column, unknown> {
  const { settings, payoutAccount } = organization;
  return {
    id: organization.id,
    name: organization.name,
    time_zone: organization.timeZone,
    member_payments_enabled: settings.memberPaymentsEnabled,
    generate_from_remittance: settings.generateFromRemittance,
    text_delivery_enabled: settings.textDeliveryEnabled,
    batch_hour: settings.batchHour,
    batch_minute: settings.batchMinute,
    days_until_due: settings.daysUntilDue,
    currency: settings.currency,
    payout_state: payoutAccount.state,
    payout_account_id: payoutAccount.accountId,
    charges_enabled: payoutAccount.chargesEnabled,
    payouts_enabled: payoutAccount.payoutsEnabled,
    details_submitted: payoutAccount.detailsSubmitted,
    currently_due: [...payoutAccount.currentlyDue],
    disabled_reason: payoutAccount.disabledReason,
    payout_updated_at: payoutAccount.updatedAt,
    created_at: organization.createdAt,
    updated_at: organization.updatedAt,
    version: organization.version,
  };
}

function organizationFromRow(row: SqlRow): Organization {
  const read = new RowReader(ENTITY, row);
  return {
    id: asId(read.text('id')),
    name: read.text('name'),
    timeZone: read.text('time_zone'),
    settings: {
      memberPaymentsEnabled: read.boolean('member_payments_enabled'),
      generateFromRemittance: read.boolean('generate_from_remittance'),
      textDeliveryEnabled: read.boolean('text_delivery_enabled'),
      batchHour: read.integer('batch_hour'),
      batchMinute: read.integer('batch_minute'),
      daysUntilDue: read.integer('days_until_due'),
      currency: read.currency('currency'),
    },
    payoutAccount: {
      state: read.oneOf('payout_state', PAYOUT_STATES),
      accountId: read.nullableText('payout_account_id'),
      chargesEnabled: read.boolean('charges_enabled'),
      payoutsEnabled: read.boolean('payouts_enabled'),
      detailsSubmitted: read.boolean('details_submitted'),
      currentlyDue: read.textArray('currently_due'),
      disabledReason: read.nullableText('disabled_reason'),
      updatedAt: read.nullableTimestamp('payout_updated_at'),
    },
    createdAt: read.timestamp('created_at'),
    updatedAt: read.timestamp('updated_at'),
    version: read.integer('version'),
  };
}
