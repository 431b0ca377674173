import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  asId,
  type DomainError,
  type OrganizationId,
  type PaymentRequest,
  type StorageError,
  type UnitOfWork,
} from '@memberpay/core';
import {
  aClaim,
  aClaimPayment,
  aMember,
  anOrganization,
  aPaymentRequest,
  aRemittance,
} from '@memberpay/core/testing';
import { ok } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dropSchema, MIGRATIONS, migrate, PostgresStorage } from '../src/index';
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

  /** Schemas a test makes beside the file's own; dropped at the end even when a test fails. */
  const others: string[] = [];
  const otherSchema = (suffix: string) => {
    const schema = `${database.schema}_${suffix}`;
    others.push(schema);
    return schema;
  };

  afterAll(async () => {
    for (const schema of others) {
      await database.sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
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
    const schema = otherSchema('race');

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
  });

  test('version 1 with requests goes to latest; a request must name its own member', async () => {
    const schema = otherSchema('upgrade');
    const storage = new PostgresStorage({ ...database.connection(), schema });

    const first = await migrate({ ...database.connection(), schema, toVersion: 1 });
    const seeded = await storage.transaction(async (tx) => ok(await seedRequest(tx, 'req_1')));
    const second = await migrate({ ...database.connection(), schema });
    const kept = await storage.transaction(async (tx) => ok(await tx.requests.get(ORG, REQ_1)));
    const foreign = await storage.transaction(async (tx) => {
      await tx.organizations.insert(anOrganization({ id: OTHER_ORG }));
      return ok(await tx.requests.insert(requestOf(OTHER_ORG, 'req_foreign')));
    });

    expect(first._unsafeUnwrap()).toEqual({ schema, applied: [1], version: 1 });
    expect(second._unsafeUnwrap()).toEqual({
      schema,
      applied: MIGRATIONS.slice(1).map((migration) => migration.version),
      version: LATEST,
    });
    expect(kept._unsafeUnwrap()).toEqual(seeded._unsafeUnwrap());
    expect(driverErrorOf(foreign._unsafeUnwrapErr())).toMatchObject({
      code: '23503',
      constraint: 'payment_request_member_fkey',
    });
  });

  test('version 4 to latest: a paper EOB no longer stands for the 835 of its payment', async () => {
    const schema = otherSchema('paper');
    const storage = new PostgresStorage({ ...database.connection(), schema });
    (await migrate({ ...database.connection(), schema, toVersion: 4 }))._unsafeUnwrap();
    const paper = aRemittance({ id: asId('rem_paper'), organizationId: ORG, source: 'paper' });
    const paperKey = '1512345678|TRACE0001|PCN-1||1';
    (
      await storage.transaction(async (tx) => {
        await tx.organizations.insert(anOrganization({ id: ORG }));
        await tx.remittances.insert(paper);
        return ok(
          await tx.remittances.insertClaimPayment(
            aClaimPayment({ organizationId: ORG, remittanceId: paper.id, key: paperKey }),
          ),
        );
      })
    )._unsafeUnwrap();

    (await migrate({ ...database.connection(), schema }))._unsafeUnwrap();
    const electronic = aRemittance({ id: asId('rem_835'), organizationId: ORG });
    const after = await storage.transaction(async (tx) => {
      await tx.remittances.insert(electronic);
      await tx.remittances.insertClaimPayment(
        aClaimPayment({
          id: asId('cpay_835'),
          organizationId: ORG,
          remittanceId: electronic.id,
          key: paperKey,
        }),
      );
      return ok({
        paperKeyed: await tx.remittances.findClaimPayment(ORG, `paper|${paperKey}`),
        found: await tx.remittances.findByTrace(ORG, 'paper', '1512345678', 'TRACE0001'),
      });
    });

    expect(after._unsafeUnwrap().paperKeyed?.remittanceId).toBe('rem_paper');
    expect(after._unsafeUnwrap().found?.id).toBe('rem_paper');
  });

  test('a version 1 request naming no organization member stops version 2 whole', async () => {
    const schema = otherSchema('orphan');
    const storage = new PostgresStorage({ ...database.connection(), schema });
    (await migrate({ ...database.connection(), schema, toVersion: 1 }))._unsafeUnwrap();
    const orphan = await storage.transaction(async (tx) => {
      await tx.organizations.insert(anOrganization({ id: ORG }));
      return ok(await tx.requests.insert(requestOf(ORG, 'req_orphan')));
    });
    orphan._unsafeUnwrap();

    const refused = await migrate({ ...database.connection(), schema });

    expect(refused._unsafeUnwrapErr().code).toBe('STORAGE.FAILED');
    expect(driverErrorOf(refused._unsafeUnwrapErr())).toMatchObject({
      code: '23503',
      constraint: 'payment_request_member_fkey',
    });
    expect(
      await database.sql(`SELECT version FROM "${schema}".schema_migration ORDER BY version`),
    ).toEqual([{ version: 1 }]);
    expect(await constraintsOf(schema, 'claim')).not.toContain('claim_organization_id_id_key');
  });

  const constraintsOf = async (schema: string, table: string) =>
    (
      await database.sql(
        'SELECT constraint_name FROM information_schema.table_constraints ' +
          'WHERE table_schema = $1 AND table_name = $2',
        [schema, table],
      )
    ).map((row) => row.constraint_name);

  test('dropSchema removes a schema with everything in it; a missing one is no error', async () => {
    const schema = otherSchema('dropped');
    (await migrate({ ...database.connection(), schema }))._unsafeUnwrap();

    const dropped = await dropSchema({ ...database.connection(), schema });
    const again = await dropSchema({ ...database.connection(), schema });

    expect(dropped.isOk()).toBe(true);
    expect(again.isOk()).toBe(true);
    expect(await tablesOf(schema)).toEqual([]);
  });

  test('refuses a schema name that is not a plain identifier', () => {
    const schema = 'x"; DROP TABLE y; --';

    expect(() => migrate({ ...database.connection(), schema })).toThrow(RangeError);
    expect(() => dropSchema({ ...database.connection(), schema })).toThrow(RangeError);
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

const ORG = asId<'Organization'>('org_a');
const OTHER_ORG = asId<'Organization'>('org_b');
const REQ_1 = asId<'PaymentRequest'>('req_1');

/** A request of `organizationId` for the member `mem_a` and claim `clm_a`. */
const requestOf = (organizationId: OrganizationId, id: string) =>
  aPaymentRequest({
    id: asId(id),
    organizationId,
    memberId: asId('mem_a'),
    claimId: asId('clm_a'),
  });

/** An organization with a member, a claim and a request for them; returns the request. */
async function seedRequest(tx: UnitOfWork, id: string): Promise<PaymentRequest> {
  await tx.organizations.insert(anOrganization({ id: ORG }));
  await tx.members.insert(aMember({ id: asId('mem_a'), organizationId: ORG }));
  await tx.claims.insert(
    aClaim({ id: asId('clm_a'), organizationId: ORG, memberId: asId('mem_a') }),
  );
  return tx.requests.insert(requestOf(ORG, id));
}

/** The driver's error behind a storage failure. */
function driverErrorOf(error: DomainError): unknown {
  return (error.cause as StorageError).cause;
}
