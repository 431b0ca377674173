import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate } from '../src/index';
import { ALL_TABLES } from '../src/schema';
import {
  chooseBackend,
  openTestDatabase,
  SERVER_URL,
  type TestDatabase,
} from './support/test-database';

const backend = await chooseBackend();
const LATEST = Math.max(...MIGRATIONS.map((migration) => migration.version));
const REPOSITORY_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('migrate', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: false });
  });

  afterAll(async () => {
    await database.close();
  });

  const tablesOf = async (schema: string) =>
    (
      await database.sql(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ' +
          'ORDER BY table_name',
        [schema],
      )
    ).map((row) => row.table_name);

  test('creates every table, records each version once; a second run applies none', async () => {
    const schema = database.schema;

    const first = await migrate({ ...database.connection(), schema });
    const second = await migrate({ ...database.connection(), schema });

    expect(first._unsafeUnwrap()).toEqual({
      schema,
      applied: MIGRATIONS.map((migration) => migration.version),
      version: LATEST,
    });
    expect(second._unsafeUnwrap()).toEqual({ schema, applied: [], version: LATEST });
    expect(await tablesOf(schema)).toEqual([...ALL_TABLES, 'schema_migration'].sort());
    expect(
      await database.sql(`SELECT version, name FROM "${schema}".schema_migration ORDER BY version`),
    ).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  test('two at once: one applies the migrations, the other waits and applies none', async () => {
    const schema = `${database.schema}_race`;

    const outcomes = await Promise.all([
      migrate({ ...database.connection(), schema }),
      migrate({ ...database.connection(), schema }),
    ]);

    const applied = outcomes.map((outcome) => outcome._unsafeUnwrap().applied);
    expect(applied).toContainEqual(MIGRATIONS.map((migration) => migration.version));
    expect(applied).toContainEqual([]);
    expect(
      await database.sql(`SELECT count(*)::int AS n FROM "${schema}".schema_migration`),
    ).toEqual([{ n: MIGRATIONS.length }]);
    await database.sql(`DROP SCHEMA "${schema}" CASCADE`);
  });

  test('refuses a schema name that is not a plain identifier', () => {
    expect(() => migrate({ ...database.connection(), schema: 'x"; DROP TABLE y; --' })).toThrow(
      RangeError,
    );
  });
});

const execFileAsync = promisify(execFile);

const runCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  execFileAsync(
    process.execPath,
    [
      '--conditions=@memberpay/source',
      '--import',
      'tsx',
      'packages/storage-postgres/src/cli.ts',
      ...args,
    ],
    { cwd: REPOSITORY_ROOT, env: { ...process.env, DATABASE_URL: '', ...env } },
  ).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe.runIf(backend === 'server')('memberpay-migrate (needs the PostgreSQL server)', () => {
  const schema = `memberpay_cli_${process.pid}`;

  afterAll(async () => {
    const database = await openTestDatabase('server', { migrated: false });
    await database.sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await database.close();
  });

  test('migrates the schema it is given, then finds it up to date', async () => {
    const first = await runCli(['--database-url', SERVER_URL, '--schema', schema]);
    const second = await runCli(['--schema', schema], { DATABASE_URL: SERVER_URL });

    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`schema ${schema} now at version ${LATEST}`);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain(`schema ${schema} is up to date (version ${LATEST})`);
  });
});

test('memberpay-migrate without a database URL says what it needs and exits with 2', async () => {
  const outcome = await runCli(['--schema', 'memberpay']);

  expect(outcome.code).toBe(2);
  expect(outcome.stderr).toContain('--database-url');
});
