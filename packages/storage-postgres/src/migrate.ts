import { type DomainError, type LoggerPort, noopLogger, storageFailure } from '@memberpay/core';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type ConnectionOptions, openDatabase, type SqlDatabase } from './database';
import { toStorageError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';
import { RowReader } from './row-reader';
import { DEFAULT_SCHEMA, quotedSchema } from './schema';

export type MigrateOptions = ConnectionOptions & {
  /** The schema to create or bring up to date (default `memberpay`). */
  readonly schema?: string;
  /** Apply migrations up to this version only (default: all), to upgrade step by step. */
  readonly toVersion?: number;
  readonly logger?: LoggerPort;
};

export interface MigrationReport {
  readonly schema: string;
  /** Versions this call applied, in order; empty when the schema was up to date. */
  readonly applied: readonly number[];
  /** The latest version the schema now has. */
  readonly version: number;
}

/**
 * Creates the schema, or brings it up to date, in one transaction. Safe to run again and from
 * several processes at once: a transaction-scoped advisory lock lets one run at a time, and the
 * `schema_migration` table records each version applied, so later runs apply nothing twice.
 * Throws `RangeError` for a schema name that is not a plain identifier.
 */
export function migrate(options: MigrateOptions): ResultAsync<MigrationReport, DomainError> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const quoted = quotedSchema(schema);
  const logger = options.logger ?? noopLogger;
  const database = openDatabase(options, logger);
  const wanted = MIGRATIONS.filter(
    (migration) => options.toVersion === undefined || migration.version <= options.toVersion,
  );
  const run = applyMigrations(database, { schema, quoted, wanted }, logger).finally(() =>
    database.close(),
  );
  return new ResultAsync(run);
}

async function applyMigrations(
  database: SqlDatabase,
  target: {
    readonly schema: string;
    readonly quoted: string;
    readonly wanted: readonly Migration[];
  },
  logger: LoggerPort,
): Promise<Result<MigrationReport, DomainError>> {
  const { schema, quoted, wanted } = target;
  try {
    const report = await database.transaction(async (connection) => {
      // One migrator per schema at a time; the lock is released with the transaction, even
      // when the process dies.
      await connection.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationLock(schema)]);

      await connection.script(
        `CREATE SCHEMA IF NOT EXISTS ${quoted}; ` +
          `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migration (` +
          'version integer PRIMARY KEY, name text NOT NULL, ' +
          'applied_at timestamptz NOT NULL DEFAULT now())',
      );

      const done = await connection.query(`SELECT version FROM ${quoted}.schema_migration`);
      const versions = done.rows.map((row) => new RowReader('migration', row).integer('version'));
      const pending = wanted.filter((migration) => !versions.includes(migration.version));

      const newest = Math.max(0, ...versions, ...pending.map((migration) => migration.version));
      if (newest > Math.max(...MIGRATIONS.map((migration) => migration.version))) {
        logger.warn('storage: the schema is newer than this version of memberpay', {
          schema,
          version: newest,
        });
      }

      await connection.script(`SET LOCAL search_path TO ${quoted}`);
      for (const migration of pending) {
        await connection.script(migration.sql);
        await connection.query(
          `INSERT INTO ${quoted}.schema_migration (version, name) VALUES ($1, $2)`,
          [migration.version, migration.name],
        );
        logger.info('storage: migration applied', { schema, version: migration.version });
      }

      const applied = pending.map((migration) => migration.version);
      return { commit: true, value: { schema, applied, version: newest } };
    });
    return ok(report);
  } catch (error) {
    const failure = toStorageError(error, 'migration');
    logger.warn('storage: migration failed', { schema, kind: failure.kind });
    return err(storageFailure(failure));
  }
}

export type DropSchemaOptions = ConnectionOptions & {
  /** The schema to remove; required, so that no default ever names production's tables. */
  readonly schema: string;
  readonly logger?: LoggerPort;
};

/**
 * Removes a schema and every table in it, for a schema made for one run (a test suite, a
 * preview, a benchmark). Nothing happens when it is not there. It waits for a migration of the
 * same schema in progress, as a second `migrate` would. Throws `RangeError` for a schema name
 * that is not a plain identifier.
 */
export function dropSchema(options: DropSchemaOptions): ResultAsync<void, DomainError> {
  const quoted = quotedSchema(options.schema);
  const logger = options.logger ?? noopLogger;
  const database = openDatabase(options, logger);
  const run = database
    .transaction(async (connection) => {
      await connection.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        migrationLock(options.schema),
      ]);
      await connection.script(`DROP SCHEMA IF EXISTS ${quoted} CASCADE`);
      return { commit: true, value: undefined };
    })
    .then(
      () => ok(undefined),
      (error: unknown) => {
        const failure = toStorageError(error, 'schema');
        logger.warn('storage: dropping the schema failed', {
          schema: options.schema,
          kind: failure.kind,
        });
        return err(storageFailure(failure));
      },
    )
    .finally(() => database.close());
  return new ResultAsync(run);
}

/** The advisory lock that lets one migrator at a time work on a schema. */
function migrationLock(schema: string): string {
  return `memberpay:migrate:${schema}`;
}
