import type { StorageError } from '@memberpay/core';
import type { SqlConnection, SqlResult } from './database';
import { toStorageError } from './errors';

/**
 * The statements of one unit of work. Once a statement has failed, PostgreSQL refuses every
 * later statement of the transaction and would turn its COMMIT into a rollback; the session
 * remembers that failure, repeats it to whoever asks again, and the unit of work ends with it.
 * Refusals that leave the transaction usable (a duplicate insert, a stale version) are
 * detected from the rows written and do not count as a failed statement.
 */
export class UnitSession {
  readonly #connection: SqlConnection;
  #failure: StorageError | null = null;

  constructor(connection: SqlConnection) {
    this.#connection = connection;
  }

  /** The statement failure that ended the transaction, if one did. */
  get failure(): StorageError | null {
    return this.#failure;
  }

  /** A statement that writes or locks rows. */
  query(entity: string, text: string, values: readonly unknown[]): Promise<SqlResult> {
    return this.#run(entity, () => this.#connection.query(text, values));
  }

  /** A plain read, which takes no locks. */
  read(entity: string, text: string, values: readonly unknown[]): Promise<SqlResult> {
    return this.#run(entity, () => this.#connection.read(text, values));
  }

  async #run(entity: string, statement: () => Promise<SqlResult>): Promise<SqlResult> {
    if (this.#failure) {
      throw this.#failure;
    }

    try {
      return await statement();
    } catch (error) {
      this.#failure = toStorageError(error, entity);
      throw this.#failure;
    }
  }
}
