import { describeStorageContract } from '@memberpay/core/testing';
import { describe, test } from 'vitest';
import { PostgresStorage } from '../src/index';
import { openTestDatabase, reachable, SERVER_URL } from './support/test-database';

/**
 * Where the server answers, storage-contract.test.ts runs the suite on it; this file runs it on
 * embedded PGlite as well, so that the path a user without a server takes is tested in CI too.
 * Without a server the other file already runs it on PGlite.
 */
const serverUp = (await reachable(SERVER_URL)) && process.env.MEMBERPAY_TEST_PGLITE !== '1';

if (serverUp) {
  describeStorageContract(
    'postgres (embedded PGlite, beside the server run)',
    async () => {
      const database = await openTestDatabase('pglite');
      return {
        storage: new PostgresStorage({ ...database.connection(), schema: database.schema }),
        reset: database.truncate,
        close: database.close,
      };
    },
    {
      concurrent: false,
      skipConcurrentReason: 'PGlite has one connection, so units of work take turns',
    },
  );
} else {
  describe('storage contract on PGlite', () => {
    test.skip('already run by storage-contract.test.ts, which uses PGlite here', () => {});
  });
}
