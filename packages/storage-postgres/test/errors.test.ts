import { StorageError } from '@memberpay/core';
import { describe, expect, test } from 'vitest';
import { storageErrorKind, toStorageError } from '../src/errors';
import { PostgresStorage } from '../src/index';

/** A driver error as node-postgres and PGlite raise them: an Error with the SQLSTATE as `code`. */
function driverError(code: string | undefined, message = 'driver message'): Error {
  return Object.assign(new Error(message), { code, constraint: 'payment_request_invoice_id_key' });
}

describe('storage error kinds', () => {
  test.each([
    ['23505', 'duplicate'],
    ['40001', 'conflict'],
    ['40P01', 'conflict'],
    ['08006', 'unavailable'],
    ['08001', 'unavailable'],
    ['57P01', 'unavailable'],
    ['53300', 'unavailable'],
    ['ECONNREFUSED', 'unavailable'],
    ['ECONNRESET', 'unavailable'],
    ['23514', 'failed'],
    ['23503', 'failed'],
    ['42P01', 'failed'],
  ] as const)('SQLSTATE or socket code %s is %s', (code, kind) => {
    expect(storageErrorKind(driverError(code))).toBe(kind);
  });

  test.each([
    ['Connection terminated unexpectedly', 'unavailable'],
    ['timeout exceeded when trying to connect', 'unavailable'],
    ['PGlite is closed', 'unavailable'],
    ['something else went wrong', 'failed'],
  ] as const)('an error without a code saying "%s" is %s', (message, kind) => {
    expect(storageErrorKind(driverError(undefined, message))).toBe(kind);
  });

  test('keeps the driver error as cause; the message names entity, code, constraint', () => {
    const original = driverError('23505');

    const mapped = toStorageError(original, 'payment_request');

    expect(mapped).toBeInstanceOf(StorageError);
    expect(mapped.kind).toBe('duplicate');
    expect(mapped.entity).toBe('payment_request');
    expect(mapped.cause).toBe(original);
    expect(mapped.message).toBe(
      'payment_request repeats a value that must be unique ' +
        '(SQLSTATE 23505, constraint payment_request_invoice_id_key)',
    );
  });

  test('a StorageError passes through unchanged', () => {
    const conflict = new StorageError('conflict', 'member', 'stale');

    expect(toStorageError(conflict, 'transaction')).toBe(conflict);
  });
});

describe('an unreachable server', () => {
  test('a unit of work returns STORAGE.UNAVAILABLE, the socket error as cause', async () => {
    const storage = new PostgresStorage({
      connectionString: 'postgres://memberpay@127.0.0.1:1/nowhere',
    });

    const outcome = await storage.transaction(async (tx) => {
      await tx.organizations.list({ limit: 1 });
      throw new Error('never reached');
    });
    await storage.close();

    const error = outcome._unsafeUnwrapErr();
    expect(error.code).toBe('STORAGE.UNAVAILABLE');
    expect(error.details).toEqual({ entity: 'transaction' });
    expect(error.cause).toBeInstanceOf(StorageError);
    expect((error.cause as StorageError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });
});
