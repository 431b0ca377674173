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

/** One connection, inside one transaction. Errors are the driver's own. */
export interface SqlConnection {
  query(text: string, values?: readonly unknown[]): Promise<SqlResult>;
  /** Several statements at once, without parameters (a migration). */
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

/** Where the data lives: a node-postgres pool, a connection string, or an embedded PGlite. */
export type ConnectionOptions =
  | { readonly pool: pg.Pool; readonly connectionString?: never; readonly pglite?: never }
  | {
      readonly connectionString: string;
      /** Connections of the pool opened for this connection string (default 10). */
      readonly poolSize?: number;
      readonly pool?: never;
      readonly pglite?: never;
    }
  | { readonly pglite: PGliteInterface; readonly pool?: never; readonly connectionString?: never };

export function openDatabase(options: ConnectionOptions, logger: LoggerPort): SqlDatabase {
  if (options.pglite) {
    return new PgliteDatabase(options.pglite);
  }

  if (options.pool) {
    return new NodePgDatabase(options.pool, false);
  }

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
  });
  // An idle connection that breaks emits an error; without a listener Node would crash.
  pool.on('error', (error) => {
    logger.warn('storage: an idle PostgreSQL connection failed', {
      kind: storageErrorKind(error),
    });
  });
  return new NodePgDatabase(pool, true);
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

  constructor(pool: pg.Pool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
  }

  async transaction<T>(
    work: (connection: SqlConnection) => Promise<TransactionOutcome<T>>,
  ): Promise<T> {
    const client = await control(() => this.#pool.connect());
    const connection = new NodePgConnection(client);
    // Released as broken unless the transaction ended cleanly.
    let healthy = false;
    try {
      await control(() => client.query('BEGIN'));
      let outcome: TransactionOutcome<T>;
      try {
        outcome = await work(connection);
      } catch (error) {
        healthy = await client.query('ROLLBACK').then(
          () => !connection.broken,
          () => false,
        );
        throw error;
      }

      if (!outcome.commit) {
        await control(() => client.query('ROLLBACK'));
        healthy = !connection.broken;
        return outcome.value;
      }

      const committed = await control(() => client.query('COMMIT'));
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, and no error.
      if (committed.command === 'ROLLBACK') {
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

class NodePgConnection implements SqlConnection {
  readonly #client: pg.PoolClient;
  /** A statement failed for want of a connection: the pool must not hand this client out. */
  broken = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async query(text: string, values: readonly unknown[] = []): Promise<SqlResult> {
    try {
      const result = await this.#client.query({ text, values: [...values], types: nodePgTypes });
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      this.broken ||= storageErrorKind(error) === 'unavailable';
      throw error;
    }
  }

  async script(text: string): Promise<void> {
    await this.#client.query(text);
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

  async script(text: string): Promise<void> {
    await this.#tx.exec(text);
  }
}

/** A statement of the transaction's own (connect, BEGIN, COMMIT, ROLLBACK). */
async function control<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    throw toStorageError(error, 'transaction');
  }
}
