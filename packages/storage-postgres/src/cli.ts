#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { migrate } from './migrate';
import { DEFAULT_SCHEMA } from './schema';

const USAGE = `Usage: memberpay-migrate [--database-url <url>] [--schema <name>]

Creates memberpay's tables in PostgreSQL, or brings them up to date. Safe to run again.
  --database-url  postgres://user@host:5432/db (default: the DATABASE_URL variable)
  --schema        where the tables live (default: ${DEFAULT_SCHEMA})`;

async function main(): Promise<number> {
  let options: { 'database-url'?: string; schema?: string; help?: boolean };
  try {
    options = parseArgs({
      options: {
        'database-url': { type: 'string' },
        schema: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`memberpay-migrate: ${error instanceof Error ? error.message : error}`);
    console.error(USAGE);
    return 2;
  }

  if (options.help) {
    console.log(USAGE);
    return 0;
  }

  const connectionString = options['database-url'] ?? process.env.DATABASE_URL;
  if (!connectionString) {
    console.error('memberpay-migrate: give --database-url or set DATABASE_URL');
    return 2;
  }

  const schema = options.schema ?? DEFAULT_SCHEMA;
  let outcome: Awaited<ReturnType<typeof migrate>>;
  try {
    outcome = await migrate({ connectionString, schema });
  } catch (error) {
    console.error(`memberpay-migrate: ${error instanceof Error ? error.message : error}`);
    return 2;
  }

  if (outcome.isErr()) {
    const cause = outcome.error.cause instanceof Error ? outcome.error.cause : null;
    const reason = cause?.cause instanceof Error ? `: ${cause.cause.message}` : '';
    console.error(`memberpay-migrate: ${outcome.error.message}${reason}`);
    return 1;
  }

  const { applied, version } = outcome.value;
  const done = applied.length === 0 ? 'is up to date' : `now at version ${version}`;
  const detail = applied.length === 0 ? `version ${version}` : `applied ${applied.join(', ')}`;
  console.log(`memberpay-migrate: schema ${schema} ${done} (${detail})`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
