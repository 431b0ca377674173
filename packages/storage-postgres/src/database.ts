import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import type { PGliteInterface, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import { type LoggerPort, StorageError } from '@memberpay/core';
import pg from 'pg';
import { storageErrorKind, toStorageError } from './errors';

export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlResult {
  readonly rows: readonly SqlRow[];
  /** Rows the statement returned or changed. */
  readonly rowCount: number;
}

/** One connection, for one transaction. Errors are the driver's own. */
export interface SqlConnection {
  /** A statement that writes or locks rows: it runs inside the transaction. */
  query(text: string, values?: readonly unknown[]): Promise<SqlResult>;
  /**
   * A plain read, which takes no locks: it may run before the transaction begins, when nothing
   * of the unit has been written yet.
   */
  read(text: string, values?: readonly unknown[]): Promise<SqlResult>;
  /** Several statements at once, without parameters (a migration), inside the transaction. */
  script(text: string): Promise<void>;
}

export interface TransactionOutcome<T> {
  readonly commit: boolean;
  readonly value: T;
}

/**
 * A database memberpay runs transactions on. `transaction` gives `work` a connection no other
 * transaction shares, inside `BEGIN`, and commits or rolls back as the outcome says. When `work`
 * throws, it rolls back and rethrows the same error. When the database itself fails (connect,
 * `BEGIN`, `COMMIT`), it throws a `StorageError` for the entity `transaction`.
 */
export interface SqlDatabase {
  transaction<T>(work: (connection: SqlConnection) => Promise<TransactionOutcome<T>>): Promise<T>;
  /** Ends what this database opened itself; a pool or PGlite instance handed in stays open. */
  close(): Promise<void>;
}

interface ServerOptions {
  /**
   * Prepare each statement once per connection (default true). Turn it off behind a pooler
   * that hands a connection to another client between statements and does not carry prepared
   * statements along (PgBouncer in transaction mode before 1.21).
   */
  readonly preparedStatements?: boolean;
}

/** Where the data lives: a node-postgres pool, a connection string, or an embedded PGlite. */
export type ConnectionOptions =
  | (ServerOptions & {
      readonly pool: pg.Pool;
      readonly connectionString?: never;
      readonly pglite?: never;
    })
  | (ServerOptions & {
      readonly connectionString: string;
      /** Connections of the pool opened for this connection string (default 10). */
      readonly poolSize?: number;
      readonly pool?: never;
      readonly pglite?: never;
    })
  | { readonly pglite: PGliteInterface; readonly pool?: never; readonly connectionString?: never };

export function openDatabase(options: ConnectionOptions, logger: LoggerPort): SqlDatabase {
  if (options.pglite) {
    return new PgliteDatabase(options.pglite);
  }

  if (options.pool) {
    return new NodePgDatabase(options.pool, {
      ownsPool: false,
      prepare: options.preparedStatements ?? true,
    });
  }

  const pool = new pg.Pool({
    connectionString: withDefaultUser(options.connectionString),
    max: options.poolSize ?? 10,
  });
  // An idle connection that breaks emits an error; without a listener Node would crash.
  pool.on('error', (error) => {
    logger.warn('storage: an idle PostgreSQL connection failed', {
      kind: storageErrorKind(error),
    });
  });
  return new NodePgDatabase(pool, {
    ownsPool: true,
    prepare: options.preparedStatements ?? true,
  });
}

/** Type oids of int8 and date. */
const INT8 = 20;
const DATE = 1082;

const asSent = (value: string) => value;

/**
 * int8 and date arrive as the text PostgreSQL sent: money is then checked into a safe integer,
 * and a date stays `YYYY-MM-DD` instead of becoming a midnight in some time zone. Set per
 * query, so a pool shared with the host keeps its own parsers.
 */
const nodePgTypes: pg.CustomTypesConfig = {
  // pg-types declares getTypeParser as a set of overloads, which no single arrow function
  // matches; this one keeps their behaviour for every other type.
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === DATE
      ? asSent
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export class NodePgDatabase implements SqlDatabase {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #prepare: boolean;

  constructor(pool: pg.Pool, options: { readonly ownsPool: boolean; readonly prepare: boolean }) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool;
    this.#prepare = options.prepare;
  }

  async transaction<T>(
    work: (connection: SqlConnection) => Promise<TransactionOutcome<T>>,
  ): Promise<T> {
    const client = await control(() => this.#pool.connect());
    const connection = new NodePgConnection(client, this.#prepare);
    // Released as broken unless the transaction ended cleanly.
    let healthy = false;
    try {
      let outcome: TransactionOutcome<T>;
      try {
        outcome = await work(connection);
      } catch (error) {
        healthy = await connection.end('ROLLBACK').then(
          () => !connection.broken,
          () => false,
        );
        throw error;
      }

      if (!outcome.commit) {
        await control(() => connection.end('ROLLBACK'));
        healthy = !connection.broken;
        return outcome.value;
      }

      const committed = await control(() => connection.end('COMMIT'));
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, and no error.
      if (committed === 'ROLLBACK') {
        throw new StorageError('failed', 'transaction', 'PostgreSQL rolled the transaction back');
      }

      healthy = !connection.broken;
      return outcome.value;
    } finally {
      client.release(!healthy);
    }
  }

  async close(): Promise<void> {
    if (this.#ownsPool) {
      await this.#pool.end();
    }
  }
}

/**
 * One pooled client for one unit of work. The transaction begins with the first statement that
 * writes or locks; plain reads before it run on their own. The transaction is READ COMMITTED,
 * where every statement sees what was committed when it started, inside a transaction or not:
 * those reads see exactly what they would have seen inside it, and a unit that only reads
 * costs one round trip per statement, with no BEGIN and COMMIT around them.
 */
class NodePgConnection implements SqlConnection {
  readonly #client: pg.PoolClient;
  readonly #prepare: boolean;
  #begun = false;
  /** A statement failed for want of a connection: the pool must not hand this client out. */
  broken = false;

  constructor(client: pg.PoolClient, prepare: boolean) {
    this.#client = client;
    this.#prepare = prepare;
  }

  async query(text: string, values: readonly unknown[] = []): Promise<SqlResult> {
    await this.#begin();
    return this.read(text, values);
  }

  async read(text: string, values: readonly unknown[] = []): Promise<SqlResult> {
    try {
      const result = await this.#client.query({
        name: this.#prepare ? preparedName(text) : undefined,
        text,
        values: [...values],
        types: nodePgTypes,
      });
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      this.#noteFailure(error);
      throw error;
    }
  }

  async script(text: string): Promise<void> {
    await this.#begin();
    await this.#client.query(text);
  }

  /**
   * Commits or rolls back the transaction, if one began; answers with what PostgreSQL did
   * (`ROLLBACK` for a COMMIT of a failed transaction), or null when there was nothing to end.
   */
  async end(command: 'COMMIT' | 'ROLLBACK'): Promise<string | null> {
    if (!this.#begun) {
      return null;
    }

    this.#begun = false;
    return (await this.#client.query(command)).command;
  }

  async #begin(): Promise<void> {
    if (this.#begun) {
      return;
    }

    try {
      await this.#client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    } catch (error) {
      this.#noteFailure(error);
      throw toStorageError(error, 'transaction');
    }

    this.#begun = true;
  }

  #noteFailure(error: unknown): void {
    this.broken ||= storageErrorKind(error) === 'unavailable';
  }
}

/**
 * PGlite has one connection. Its own `transaction` holds that connection for the whole unit of
 * work, so units of work (and any other query on the same instance) run one after another.
 */
export class PgliteDatabase implements SqlDatabase {
  readonly #pglite: PGliteInterface;

  constructor(pglite: PGliteInterface) {
    this.#pglite = pglite;
  }

  async transaction<T>(
    work: (connection: SqlConnection) => Promise<TransactionOutcome<T>>,
  ): Promise<T> {
    let workThrew = false;
    try {
      return await this.#pglite.transaction(async (tx) => {
        let outcome: TransactionOutcome<T>;
        try {
          outcome = await work(new PgliteConnection(tx));
        } catch (error) {
          workThrew = true;
          throw error;
        }

        if (!outcome.commit) {
          await tx.rollback();
        }

        return outcome.value;
      });
    } catch (error) {
      if (workThrew) {
        throw error;
      }

      throw toStorageError(error, 'transaction');
    }
  }

  async close(): Promise<void> {
    // The instance was handed in; whoever created it closes it.
  }
}

/** As `nodePgTypes`: int8 and date as the text PostgreSQL sent. */
const pgliteParsers = { [INT8]: asSent, [DATE]: asSent };

class PgliteConnection implements SqlConnection {
  readonly #tx: PgliteTransaction;

  constructor(tx: PgliteTransaction) {
    this.#tx = tx;
  }

  async query(text: string, values: readonly unknown[] = []): Promise<SqlResult> {
    const result = await this.#tx.query<SqlRow>(text, [...values], { parsers: pgliteParsers });
    return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? 0 };
  }

  read(text: string, values: readonly unknown[] = []): Promise<SqlResult> {
    return this.query(text, values);
  }

  async script(text: string): Promise<void> {
    await this.#tx.exec(text);
  }
}

const preparedNames = new Map<string, string>();

/**
 * The name a statement is prepared under on each connection, so that the server parses and
 * plans it once per connection instead of once per call. It is derived from the text alone (128
 * bits of its SHA-256): the same text always gets the same name, another text another name.
 */
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `memberpay_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    preparedNames.set(text, name);
  }

  return name;
}

/** A statement of the transaction's own (connect, BEGIN, COMMIT, ROLLBACK). */
async function control<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    throw toStorageError(error, 'transaction');
  }
}

/**
 * A URL that names no user gets the operating system's user name, as libpq (psql) does.
 * node-postgres falls back to the USER variable only, which containers and cron often lack,
 * and then fails with "no PostgreSQL user name specified".
 */
export function withDefaultUser(connectionString: string): string {
  if (process.env.PGUSER || process.env.USER) {
    return connectionString;
  }

  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString;
  }

  if (url.username) {
    return connectionString;
  }

  url.username = userInfo().username;
  return url.toString();
}
