import { StorageError } from '@memberpay/core';

/**
 * A lookup by a key computed from a row. A unique index refuses two rows with the same key;
 * a group index finds every row sharing a key (an organization, a claim) without a scan.
 * Rows whose key is null are left out of the index.
 */
export interface IndexRule<Row> {
  readonly name: string;
  readonly key: (row: Row) => string | null;
}

/** Undo steps of the unit of work in progress, run in reverse on rollback. */
export type UndoLog = Array<() => void>;

interface Index<Row> {
  readonly rule: IndexRule<Row>;
  readonly unique: boolean;
  /** Key to the one id holding it (unique) or to the set of ids sharing it (group). */
  readonly entries: Map<string, string | Set<string>>;
}

/**
 * Rows of one kind, with the uniqueness rules and optimistic version checks PostgreSQL
 * applies. Every write pushes its inverse onto the unit of work's undo log.
 */
export class Table<Row extends { readonly id: string }> {
  readonly #entity: string;
  readonly #rows = new Map<string, Row>();
  readonly #indexes: ReadonlyArray<Index<Row>>;
  readonly #byName: ReadonlyMap<string, Index<Row>>;

  constructor(
    entity: string,
    unique: ReadonlyArray<IndexRule<Row>> = [],
    groups: ReadonlyArray<IndexRule<Row>> = [],
  ) {
    this.#entity = entity;
    this.#indexes = [
      ...unique.map((rule) => ({ rule, unique: true, entries: new Map() })),
      ...groups.map((rule) => ({ rule, unique: false, entries: new Map() })),
    ];
    this.#byName = new Map(this.#indexes.map((index) => [index.rule.name, index]));
  }

  get(id: string): Row | undefined {
    return this.#rows.get(id);
  }

  findUnique(indexName: string, key: string): Row | undefined {
    const id = this.#index(indexName).entries.get(key);
    return typeof id === 'string' ? this.#rows.get(id) : undefined;
  }

  values(): IterableIterator<Row> {
    return this.#rows.values();
  }

  /** The rows whose group key is `key`. */
  group(indexName: string, key: string): Row[] {
    const ids = this.#index(indexName).entries.get(key);
    return ids instanceof Set ? [...ids].map((id) => this.#rows.get(id) as Row) : [];
  }

  insert(row: Row, undo: UndoLog): Row {
    if (this.#rows.has(row.id)) {
      throw new StorageError('duplicate', this.#entity, `${this.#entity} ${row.id} already exists`);
    }

    this.#put(row, undefined, undo);
    return row;
  }

  /** Stores `row` if the stored version is `row.version`; returns it with the next version. */
  update<Versioned extends Row & { readonly version: number }>(
    row: Versioned,
    undo: UndoLog,
  ): Versioned {
    const stored = this.#rows.get(row.id) as Versioned | undefined;
    if (!stored) {
      throw new StorageError('conflict', this.#entity, `${this.#entity} ${row.id} does not exist`);
    }

    if (stored.version !== row.version) {
      throw new StorageError(
        'conflict',
        this.#entity,
        `${this.#entity} ${row.id} was changed by someone else ` +
          `(version ${row.version}, stored ${stored.version})`,
      );
    }

    const next = { ...row, version: row.version + 1 };
    this.#put(next, stored, undo);
    return next;
  }

  /** Deletes a row for good. */
  remove(id: string, undo: UndoLog): void {
    const stored = this.#rows.get(id);
    if (!stored) {
      return;
    }

    this.#reindex(stored, undefined);
    this.#rows.delete(id);
    undo.push(() => {
      this.#rows.set(id, stored);
      this.#reindex(undefined, stored);
    });
  }

  #index(name: string): Index<Row> {
    const index = this.#byName.get(name);
    if (!index) {
      throw new Error(`${this.#entity} has no index ${name}`);
    }

    return index;
  }

  #put(row: Row, previous: Row | undefined, undo: UndoLog): void {
    this.#checkUnique(row, previous);
    this.#reindex(previous, row);
    this.#rows.set(row.id, row);
    undo.push(() => {
      this.#reindex(row, previous);
      if (previous) {
        this.#rows.set(row.id, previous);
      } else {
        this.#rows.delete(row.id);
      }
    });
  }

  #checkUnique(row: Row, previous: Row | undefined): void {
    for (const index of this.#indexes) {
      const key = index.unique ? index.rule.key(row) : null;
      if (key === null || (previous && index.rule.key(previous) === key)) {
        continue;
      }

      if (index.entries.has(key)) {
        throw new StorageError(
          'duplicate',
          this.#entity,
          `${this.#entity} ${row.id} breaks the uniqueness rule ${index.rule.name}`,
        );
      }
    }
  }

  /** Moves a row's index entries from the keys of `before` to those of `after`. */
  #reindex(before: Row | undefined, after: Row | undefined): void {
    const id = (after ?? before)?.id as string;
    for (const { rule, unique, entries } of this.#indexes) {
      const from = before ? rule.key(before) : null;
      const to = after ? rule.key(after) : null;
      if (from === to) {
        continue;
      }

      if (from !== null) {
        const held = entries.get(from);
        if (unique || (held instanceof Set && held.size === 1)) {
          entries.delete(from);
        } else if (held instanceof Set) {
          held.delete(id);
        }
      }

      if (to !== null) {
        const held = entries.get(to);
        if (unique) {
          entries.set(to, id);
        } else if (held instanceof Set) {
          held.add(id);
        } else {
          entries.set(to, new Set([id]));
        }
      }
    }
  }
}
