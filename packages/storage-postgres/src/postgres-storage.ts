import {
  type DomainError,
  type LoggerPort,
  noopLogger,
  StorageError,
  type StoragePort,
  storageFailure,
  type UnitOfWork,
} from '@memberpay/core';
import { err, type Result, ResultAsync } from 'neverthrow';
import { type ConnectionOptions, openDatabase, type SqlDatabase } from './database';
import { auditRepository, auditStatements } from './repositories/audit';
import { batchRunRepository, batchRunStatements } from './repositories/batch-runs';
import { claimRepository, claimStatements } from './repositories/claims';
import { gatewayEventRepository, gatewayEventStatements } from './repositories/gateway-events';
import { memberRepository, memberStatements } from './repositories/members';
import { organizationRepository, organizationStatements } from './repositories/organizations';
import {
  paymentRequestRepository,
  paymentRequestStatements,
} from './repositories/payment-requests';
import { remittanceRepository, remittanceStatements } from './repositories/remittances';
import { DEFAULT_SCHEMA, tablesIn } from './schema';
import { UnitSession } from './session';

export type PostgresStorageOptions = ConnectionOptions & {
  /** The schema `migrate` prepared (default `memberpay`). */
  readonly schema?: string;
  readonly logger?: LoggerPort;
};

type Statements = ReturnType<typeof statementsIn>;

function statementsIn(schema: string) {
  const tables = tablesIn(schema);
  return {
    organizations: organizationStatements(tables),
    members: memberStatements(tables),
    claims: claimStatements(tables),
    requests: paymentRequestStatements(tables),
    audit: auditStatements(tables),
    remittances: remittanceStatements(tables),
    gatewayEvents: gatewayEventStatements(tables),
    batchRuns: batchRunStatements(tables),
  };
}

/**
 * Storage in PostgreSQL, through a node-postgres pool or an embedded PGlite. Each unit of work
 * is one transaction on one connection: it commits when `work` returns `ok`, and rolls back
 * when it returns `err`, throws, or a statement failed. On a server the transaction begins with
 * the unit's first write, and a unit that only reads opens none. Updates check the version they
 * read (`WHERE version = $n`); a row that moved on is a `conflict`. `findClaimable` locks the rows
 * it returns with `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same request.
 * With PGlite, which has a single connection, units of work run one after another.
 */
export class PostgresStorage implements StoragePort {
  readonly #database: SqlDatabase;
  readonly #statements: Statements;
  readonly #logger: LoggerPort;

  constructor(options: PostgresStorageOptions) {
    this.#logger = options.logger ?? noopLogger;
    this.#statements = statementsIn(options.schema ?? DEFAULT_SCHEMA);
    this.#database = openDatabase(options, this.#logger);
  }

  transaction<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): ResultAsync<T, E | DomainError> {
    return new ResultAsync(this.#run(work));
  }

  /** Ends the pool opened for a connection string; a pool or PGlite handed in stays open. */
  close(): Promise<void> {
    return this.#database.close();
  }

  async #run<T, E extends DomainError>(
    work: (tx: UnitOfWork) => Promise<Result<T, E>>,
  ): Promise<Result<T, E | DomainError>> {
    try {
      return await this.#database.transaction<Result<T, E | DomainError>>(async (connection) => {
        const session = new UnitSession(connection);
        const result = await work(this.#unitOfWork(session));
        if (session.failure === null) {
          return { commit: result.isOk(), value: result };
        }

        // A statement failed and the work carried on: PostgreSQL has already given up on the
        // transaction, so nothing of it may be reported as written.
        this.#report(session.failure);
        return {
          commit: false,
          value: result.isErr() ? result : err(storageFailure(session.failure)),
        };
      });
    } catch (error) {
      if (error instanceof StorageError) {
        this.#report(error);
        return err(storageFailure(error));
      }

      throw error;
    }
  }

  #report(error: StorageError): void {
    const fields = { entity: error.entity, kind: error.kind };
    if (error.kind === 'conflict' || error.kind === 'duplicate') {
      this.#logger.debug('storage: unit of work rolled back', fields);
    } else {
      this.#logger.warn('storage: unit of work failed', fields);
    }
  }

  #unitOfWork(session: UnitSession): UnitOfWork {
    const statements = this.#statements;
    return {
      organizations: organizationRepository(session, statements.organizations),
      members: memberRepository(session, statements.members),
      claims: claimRepository(session, statements.claims),
      requests: paymentRequestRepository(session, statements.requests),
      audit: auditRepository(session, statements.audit),
      remittances: remittanceRepository(session, statements.remittances),
      gatewayEvents: gatewayEventRepository(session, statements.gatewayEvents),
      batchRuns: batchRunRepository(session, statements.batchRuns),
    };
  }
}
