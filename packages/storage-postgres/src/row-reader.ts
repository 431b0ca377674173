import {
  asLocalDate,
  type Currency,
  isCurrency,
  type LocalDate,
  type Money,
  money,
  StorageError,
} from '@memberpay/core';
import type { SqlRow } from './database';

const INTEGER_TEXT = /^-?\d+$/;

/**
 * Reads one stored row back into domain values, refusing anything the schema should have made
 * impossible, so that a drifted schema fails loudly as `failed` instead of leaking odd values.
 */
export class RowReader {
  readonly #entity: string;
  readonly #row: SqlRow;

  constructor(entity: string, row: SqlRow) {
    this.#entity = entity;
    this.#row = row;
  }

  text(column: string): string {
    const value = this.#row[column];
    if (typeof value !== 'string') {
      throw this.unreadable(column, 'text');
    }

    return value;
  }

  nullableText(column: string): string | null {
    return this.#row[column] === null ? null : this.text(column);
  }

  boolean(column: string): boolean {
    const value = this.#row[column];
    if (typeof value !== 'boolean') {
      throw this.unreadable(column, 'a boolean');
    }

    return value;
  }

  /** An int2 or int4 column. */
  integer(column: string): number {
    const value = this.#row[column];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw this.unreadable(column, 'an integer');
    }

    return value;
  }

  nullableInteger(column: string): number | null {
    return this.#row[column] === null ? null : this.integer(column);
  }

  /** An int8 column, which arrives as text; refused when it is beyond a safe integer. */
  bigint(column: string): number {
    const value = this.#row[column];
    const parsed = typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed)) {
      throw this.unreadable(column, 'an integer no larger than 2^53 - 1');
    }

    return parsed;
  }

  nullableBigint(column: string): number | null {
    return this.#row[column] === null ? null : this.bigint(column);
  }

  money(column: string, currency: Currency): Money {
    return money(this.bigint(column), currency);
  }

  nullableMoney(column: string, currency: Currency): Money | null {
    return this.#row[column] === null ? null : this.money(column, currency);
  }

  currency(column: string): Currency {
    const value = this.text(column);
    if (!isCurrency(value)) {
      throw this.unreadable(column, 'a known currency');
    }

    return value;
  }

  timestamp(column: string): Date {
    const value = this.#row[column];
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      throw this.unreadable(column, 'a point in time');
    }

    return value;
  }

  nullableTimestamp(column: string): Date | null {
    return this.#row[column] === null ? null : this.timestamp(column);
  }

  localDate(column: string): LocalDate {
    const value = this.text(column);
    try {
      return asLocalDate(value);
    } catch (error) {
      throw this.unreadable(column, 'a calendar date', error);
    }
  }

  nullableLocalDate(column: string): LocalDate | null {
    return this.#row[column] === null ? null : this.localDate(column);
  }

  oneOf<Value extends string>(column: string, allowed: readonly Value[]): Value {
    const value = this.text(column);
    const known = allowed.find((candidate) => candidate === value);
    if (known === undefined) {
      throw this.unreadable(column, `one of ${allowed.join(', ')}`);
    }

    return known;
  }

  nullableOneOf<Value extends string>(column: string, allowed: readonly Value[]): Value | null {
    return this.#row[column] === null ? null : this.oneOf(column, allowed);
  }

  textArray(column: string): string[] {
    const value = this.#row[column];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw this.unreadable(column, 'a list of text');
    }

    return value;
  }

  /** A jsonb column, parsed by the driver; the caller validates its shape. */
  json(column: string): unknown {
    const value = this.#row[column];
    if (value === undefined) {
      throw this.unreadable(column, 'JSON');
    }

    return value;
  }

  /** A failure to read `column`, for the caller to throw. */
  unreadable(column: string, expected: string, cause?: unknown): StorageError {
    return new StorageError(
      'failed',
      this.#entity,
      `${this.#entity}.${column} does not hold ${expected}`,
      cause,
    );
  }
}
