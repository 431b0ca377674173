import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import { type ConnectionOptions, migrate, PostgresStorage } from '../../src/index';
import { ALL_TABLES, tablesIn } from '../../src/schema';

/** The server CI provides (trust auth); override with MEMBERPAY_TEST_DATABASE_URL. */
export const SERVER_URL = withUser(
  process.env.MEMBERPAY_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test',
);

/**
 * node-postgres takes the user from the URL, PGUSER or USER; a shell without USER (a container
 * running as root) would otherwise send no user name at all.
 */
function withUser(text: string): string {
  const url = new URL(text);
  if (!url.username && !process.env.PGUSER && !process.env.USER) {
    url.username = userInfo().username;
  }

  return url.toString();
}

export type Backend = 'server' | 'pglite';

/** A statement as the adapter handed it to the driver. */
export interface IssuedStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * One test file's database: a schema of its own (random, dropped at the end) on the server
 * when it answers, or in a fresh embedded PGlite when it does not (MEMBERPAY_TEST_PGLITE=1
 * forces PGlite).
 */
export interface TestDatabase {
  readonly backend: Backend;
  readonly schema: string;
  /** Connection options for one more handle on the same data (its own pool on a server). */
  readonly connection: () => ConnectionOptions;
  /** A storage whose every statement is also passed to `onStatement`. */
  readonly recordingStorage: (
    onStatement: (statement: IssuedStatement) => void,
  ) => Promise<PostgresStorage>;
  /** SQL run beside the adapter, to set up or inspect rows. */
  readonly sql: (text: string, values?: readonly unknown[]) => Promise<Record<string, unknown>[]>;
  /** Empties every table and restarts the sequences. */
  readonly truncate: () => Promise<void>;
  readonly close: () => Promise<void>;
}

let chosen: Promise<Backend> | null = null;

/** Which backend this test file uses; decided once, and said in one line. */
export function chooseBackend(): Promise<Backend> {
  chosen ??= reachable(SERVER_URL).then((up) => {
    const backend: Backend = up && process.env.MEMBERPAY_TEST_PGLITE !== '1' ? 'server' : 'pglite';
    console.info(
      backend === 'server'
        ? `storage-postgres tests: PostgreSQL server at ${SERVER_URL}`
        : `storage-postgres tests: embedded PGlite (no PostgreSQL server used at ${SERVER_URL})`,
    );
    return backend;
  });
  return chosen;
}

export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export function randomSchema(): string {
  return `memberpay_test_${randomBytes(6).toString('hex')}`;
}

/** A database with a fresh schema, migrated unless `migrated` is false. */
export async function openTestDatabase(
  backend: Backend,
  { migrated = true }: { readonly migrated?: boolean } = {},
): Promise<TestDatabase> {
  const schema = randomSchema();
  const database = backend === 'server' ? serverDatabase(schema) : await pgliteDatabase(schema);
  if (migrated) {
    (await migrate({ ...database.connection(), schema }))._unsafeUnwrap();
  }

  return database;
}

function serverDatabase(schema: string): TestDatabase {
  const pools: pg.Pool[] = [];
  const newPool = () => {
    const pool = new pg.Pool({ connectionString: SERVER_URL, max: 6 });
    pools.push(pool);
    return pool;
  };
  const admin = newPool();
  const sql = async (text: string, values: readonly unknown[] = []) =>
    (await admin.query(text, [...values])).rows;

  return {
    backend: 'server',
    schema,
    connection: () => ({ pool: newPool() }),
    recordingStorage: async (onStatement) => {
      const pool = newPool();
      pool.on('connect', (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        Object.assign(client, {
          query: (...args: unknown[]) => {
            onStatement(statementOf(args[0], args[1]));
            return query(...args);
          },
        });
      });
      return new PostgresStorage({ pool, schema });
    },
    sql,
    truncate: async () => {
      await sql(truncateAll(schema));
    },
    close: async () => {
      await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}

async function pgliteDatabase(schema: string): Promise<TestDatabase> {
  const pglite = await PGlite.create();
  const others: PGlite[] = [];
  const sql = async (text: string, values: readonly unknown[] = []) =>
    (await pglite.query<Record<string, unknown>>(text, [...values])).rows;

  return {
    backend: 'pglite',
    schema,
    connection: () => ({ pglite }),
    recordingStorage: async (onStatement) => {
      // A PGlite of its own, so that only the recording storage's statements are seen.
      const recorded = await PGlite.create();
      others.push(recorded);
      (await migrate({ pglite: recorded, schema }))._unsafeUnwrap();
      const transaction = recorded.transaction.bind(recorded);
      recorded.transaction = (callback) =>
        transaction((tx) => callback(recordingTransaction(tx, onStatement)));
      return new PostgresStorage({ pglite: recorded, schema });
    },
    sql,
    truncate: async () => {
      await pglite.exec(truncateAll(schema));
    },
    close: async () => {
      await Promise.all([pglite, ...others].map((instance) => instance.close()));
    },
  };
}

function recordingTransaction(
  tx: Transaction,
  onStatement: (statement: IssuedStatement) => void,
): Transaction {
  return {
    query: (text, params, options) => {
      onStatement({ text, values: params ?? [] });
      return tx.query(text, params, options);
    },
    sql: (strings, ...params) => tx.sql(strings, ...params),
    exec: (text, options) => {
      onStatement({ text, values: [] });
      return tx.exec(text, options);
    },
    rollback: () => {
      onStatement({ text: 'ROLLBACK', values: [] });
      return tx.rollback();
    },
    listen: (channel, callback) => tx.listen(channel, callback),
    get closed() {
      return tx.closed;
    },
  };
}

function statementOf(config: unknown, values: unknown): IssuedStatement {
  if (typeof config === 'string') {
    return { text: config, values: Array.isArray(values) ? values : [] };
  }

  const { text, values: configValues } = config as { text: string; values?: unknown[] };
  return { text, values: configValues ?? [] };
}

function truncateAll(schema: string): string {
  const tables = tablesIn(schema);
  return `TRUNCATE ${ALL_TABLES.map((table) => tables[table]).join(', ')} RESTART IDENTITY`;
}

/** The value, which the test has just stored; fails the test when it is missing. */
export function present<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) {
    throw new Error('expected a stored value, found none');
  }

  return value;
}
