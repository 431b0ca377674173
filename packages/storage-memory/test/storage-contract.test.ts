import { describeStorageContract } from '@memberpay/core/testing';
import { InMemoryStorage } from '../src/index';

let storage = new InMemoryStorage();

describeStorageContract(
  'in-memory',
  async () => ({
    get storage() {
      return storage;
    },
    reset: async () => {
      storage = new InMemoryStorage();
    },
    close: async () => undefined,
  }),
  { concurrent: true },
);
