import { describeStorageContract } from '@memberpay/core/testing';
import { PostgresStorage } from '../src/index';
import { chooseBackend, openTestDatabase } from './support/test-database';

const backend = await chooseBackend();

describeStorageContract(
  backend === 'server' ? 'postgres (server)' : 'postgres (embedded PGlite)',
  async () => {
    const database = await openTestDatabase(backend);
    const schema = database.schema;
    return {
      storage: new PostgresStorage({ ...database.connection(), schema }),
      // Its own pool on a server, so that the concurrency tests really race.
      second: new PostgresStorage({ ...database.connection(), schema }),
      reset: database.truncate,
      close: database.close,
    };
  },
  backend === 'server'
    ? { concurrent: true }
    : {
        concurrent: false,
        skipConcurrentReason: 'PGlite has one connection, so units of work take turns',
      },
);
