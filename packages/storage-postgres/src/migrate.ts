import { type DomainError, type LoggerPort, noopLogger, storageFailure } from '@memberpay/core';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { type ConnectionOptions, openDatabase, type SqlDatabase } from './database';
import { toStorageError } from './errors';
import { MIGRATIONS } from './migrations';
import { RowReader } from './row-reader';
import { DEFAULT_SCHEMA, quotedSchema } from './schema';

export type MigrateOptions = ConnectionOptions & {
  /** The schema to create or bring up to date (default `memberpay`). */
  readonly schema?: string;
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
  const run = applyMigrations(database, schema, quoted, logger).finally(() => database.close());
  return new ResultAsync(run);
}

async function applyMigrations(
  database: SqlDatabase,
  schema: string,
  quoted: string,
  logger: LoggerPort,
): Promise<Result<MigrationReport, DomainError>> {
  try {
    const report = await database.transaction(async (connection) => {
      // One migrator per schema at a time; the lock is released with the transaction, even
      // when the process dies.
      await connection.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `memberpay:migrate:${schema}`,
      ]);

      await connection.script(
        `CREATE SCHEMA IF NOT EXISTS ${quoted}; ` +
          `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migration (` +
          'version integer PRIMARY KEY, name text NOT NULL, ' +
          'applied_at timestamptz NOT NULL DEFAULT now())',
      );

      const done = await connection.query(`SELECT version FROM ${quoted}.schema_migration`);
      const versions = done.rows.map((row) => new RowReader('migration', row).integer('version'));
      const pending = MIGRATIONS.filter((migration) => !versions.includes(migration.version));

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
