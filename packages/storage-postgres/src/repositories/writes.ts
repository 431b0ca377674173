import { type Currency, type Money, StorageError } from '@memberpay/core';
import type { SqlResult } from '../database';

/**
 * An insert wrote nothing: `ON CONFLICT DO NOTHING` met a uniqueness rule. The transaction is
 * still usable, as it is after the same refusal in the in-memory adapter.
 */
export function checkInserted(
  result: SqlResult,
  entity: string,
  id: string,
  uniqueRules: string,
): void {
  if (result.rowCount === 0) {
    throw new StorageError(
      'duplicate',
      entity,
      `${entity} ${id} repeats a value that must be unique (${uniqueRules})`,
    );
  }
}

/** An update or delete with a version check touched nothing: the row moved on or is not there. */
export function checkUpdated(result: SqlResult, entity: string, id: string, version: number): void {
  if (result.rowCount === 0) {
    throw new StorageError(
      'conflict',
      entity,
      `${entity} ${id} was changed by someone else, or is not there (expected version ${version})`,
    );
  }
}

/**
 * The one currency of a row's amounts. A row keeps a single currency column, so amounts in two
 * currencies cannot be stored faithfully and are refused.
 */
export function sharedCurrency(
  entity: string,
  id: string,
  amounts: readonly (Money | null)[],
): Currency {
  const currencies = new Set(amounts.flatMap((amount) => (amount ? [amount.currency] : [])));
  const [currency, ...others] = currencies;
  if (currency === undefined || others.length > 0) {
    throw new StorageError(
      'failed',
      entity,
      `${entity} ${id} holds amounts in ${[...currencies].join(' and ') || 'no currency'}; ` +
        'a row keeps one currency',
    );
  }

  return currency;
}
