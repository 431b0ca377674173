import { StorageError, type StorageErrorKind } from '@memberpay/core';

/** SQLSTATE codes with a kind of their own; every other code is `failed`. */
const KIND_BY_SQLSTATE: Readonly<Record<string, StorageErrorKind>> = {
  '23505': 'duplicate',
  '40001': 'conflict',
  '40P01': 'conflict',
  '53300': 'unavailable',
  '57P01': 'unavailable',
  '57P02': 'unavailable',
  '57P03': 'unavailable',
};

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Socket errors Node reports when the server cannot be reached or drops the connection. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * node-postgres and PGlite raise a few connection failures with no code at all; their messages
 * are the only thing that tells them apart from a bug.
 */
const UNREACHABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|not queryable|pglite is closed/i;

const DESCRIPTIONS: Readonly<Record<StorageErrorKind, string>> = {
  duplicate: 'repeats a value that must be unique',
  conflict: 'lost a race with another transaction',
  unavailable: 'could not reach the database',
  failed: 'was refused by the database',
};

/** The storage error kind of a driver error (node-postgres or PGlite). */
export function storageErrorKind(error: unknown): StorageErrorKind {
  const code = errorCode(error);
  if (code !== undefined) {
    const kind = KIND_BY_SQLSTATE[code];
    if (kind) {
      return kind;
    }

    // Class 08 is "connection exception".
    if (code.startsWith('08') || UNREACHABLE.has(code)) {
      return 'unavailable';
    }
  }

  if (error instanceof Error && UNREACHABLE_MESSAGE.test(error.message)) {
    return 'unavailable';
  }

  return 'failed';
}

/** Turns a driver error into core's closed set of storage failures, keeping it as `cause`. */
export function toStorageError(error: unknown, entity: string): StorageError {
  if (error instanceof StorageError) {
    return error;
  }

  const kind = storageErrorKind(error);
  const code = errorCode(error);
  const constraint = errorField(error, 'constraint');
  const label = code && (SQLSTATE.test(code) ? `SQLSTATE ${code}` : code);
  const facts = [label, constraint && `constraint ${constraint}`].filter(Boolean).join(', ');
  return new StorageError(
    kind,
    entity,
    `${entity} ${DESCRIPTIONS[kind]}${facts ? ` (${facts})` : ''}`,
    error,
  );
}

function errorCode(error: unknown): string | undefined {
  return errorField(error, 'code');
}

function errorField(error: unknown, field: 'code' | 'constraint'): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }

  const value: unknown = Reflect.get(error, field);
  return typeof value === 'string' ? value : undefined;
}
