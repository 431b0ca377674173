import { asId, type BatchRun, type BatchRunRepositoryPort } from '@memberpay/core';
import type { SqlRow } from '../database';
import { RowReader } from '../row-reader';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, selectFrom, updateVersioned, valuesOf } from '../sql';
import { checkInserted, checkUpdated } from './writes';

const ENTITY = 'batch_run';

const COLUMNS = [
  'id',
  'organization_id',
  'local_date',
  'kind',
  'cutoff',
  'started_at',
  'finished_at',
  'version',
] as const;

type Column = (typeof COLUMNS)[number];

const UPDATED = COLUMNS.filter(
  (column) => column !== 'id' && column !== 'organization_id' && column !== 'version',
);

export type BatchRunStatements = ReturnType<typeof batchRunStatements>;

export function batchRunStatements(tables: Tables) {
  const select = selectFrom(tables.batch_run, COLUMNS);
  const scheduled = `${select} WHERE organization_id = $1 AND kind = 'scheduled'`;
  return {
    insert: insertInto(tables.batch_run, COLUMNS),
    update: updateVersioned(tables.batch_run, ['id', 'organization_id'], UPDATED),
    findScheduled: `${scheduled} AND local_date = $2`,
    latestScheduled: `${scheduled} ORDER BY local_date DESC LIMIT 1`,
  };
}

export function batchRunRepository(
  session: UnitSession,
  statements: BatchRunStatements,
): BatchRunRepositoryPort {
  const rows = async (text: string, values: readonly unknown[]) =>
    (await session.read(ENTITY, text, values)).rows.map(batchRunFromRow);

  return {
    insert: async (run) => {
      const written = await session.query(
        ENTITY,
        statements.insert,
        valuesOf(COLUMNS, batchRunColumns(run)),
      );
      checkInserted(written, ENTITY, run.id, 'id, scheduled run of the day');
      return run;
    },
    update: async (run) => {
      const written = await session.query(ENTITY, statements.update, [
        run.id,
        run.organizationId,
        run.version,
        ...valuesOf(UPDATED, batchRunColumns(run)),
      ]);
      checkUpdated(written, ENTITY, run.id, run.version);
      return { ...run, version: run.version + 1 };
    },
    findScheduled: async (organizationId, localDate) =>
      (await rows(statements.findScheduled, [organizationId, localDate]))[0] ?? null,
    latestScheduled: async (organizationId) =>
      (await rows(statements.latestScheduled, [organizationId]))[0] ?? null,
  };
}

function batchRunColumns(run: BatchRun): Record<Column, unknown> {
  return {
    id: run.id,
    organization_id: run.organizationId,
    local_date: run.localDate,
    kind: run.kind,
    cutoff: run.cutoff,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    version: run.version,
  };
}

function batchRunFromRow(row: SqlRow): BatchRun {
  const read = new RowReader(ENTITY, row);
  return {
    id: asId(read.text('id')),
    organizationId: asId(read.text('organization_id')),
    localDate: read.localDate('local_date'),
    kind: read.oneOf('kind', ['scheduled', 'manual']),
    cutoff: read.timestamp('cutoff'),
    startedAt: read.timestamp('started_at'),
    finishedAt: read.nullableTimestamp('finished_at'),
    version: read.integer('version'),
  };
}
