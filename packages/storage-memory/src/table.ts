import { StorageError } from '@memberpay/core';

/** A uniqueness rule: rows whose key is not null must all have different keys. */
export interface UniqueIndex<Row> {
  readonly name: string;
  readonly key: (row: Row) => string | null;
}

/** A lookup by a key many rows may share (an organization, a claim), so reads need no scan. */
export interface GroupIndex<Row> {
  readonly name: string;
  readonly key: (row: Row) => string | null;
}

/** Undo steps of the unit of work in progress, run in reverse on rollback. */
export type UndoLog = Array<() => void>;

/**
 * Rows of one kind, with the uniqueness rules and optimistic version checks PostgreSQL
 * applies. Every write pushes its inverse onto the unit of work's undo log.
 */
export class Table<Row extends { readonly id: string }> {
  readonly #entity: string;
  readonly #rows = new Map<string, Row>();
  readonly #indexes: ReadonlyArray<{ rule: UniqueIndex<Row>; keys: Map<string, string> }>;
  readonly #groups: ReadonlyArray<{ rule: GroupIndex<Row>; members: Map<string, Set<string>> }>;

  constructor(
    entity: string,
    unique: ReadonlyArray<UniqueIndex<Row>> = [],
    groups: ReadonlyArray<GroupIndex<Row>> = [],
  ) {
    this.#entity = entity;
    this.#indexes = unique.map((rule) => ({ rule, keys: new Map<string, string>() }));
    this.#groups = groups.map((rule) => ({ rule, members: new Map<string, Set<string>>() }));
  }

  get(id: string): Row | undefined {
    return this.#rows.get(id);
  }

  findUnique(indexName: string, key: string): Row | undefined {
    const index = this.#indexes.find((candidate) => candidate.rule.name === indexName);
    const id = index?.keys.get(key);
    return id === undefined ? undefined : this.#rows.get(id);
  }

  values(): IterableIterator<Row> {
    return this.#rows.values();
  }

  /** The rows whose group key is `key`, in the order they were first stored. */
  group(indexName: string, key: string): Row[] {
    const group = this.#groups.find((candidate) => candidate.rule.name === indexName);
    if (!group) {
      throw new Error(`${this.#entity} has no group index ${indexName}`);
    }

    const ids = group.members.get(key) ?? new Set<string>();
    return [...ids].map((id) => this.#rows.get(id) as Row);
  }

  insert(row: Row, undo: UndoLog): Row {
    if (this.#rows.has(row.id)) {
      throw new StorageError('duplicate', this.#entity, `${this.#entity} ${row.id} already exists`);
    }

    this.#checkUnique(row);
    this.#put(row, undo);
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
    this.#checkUnique(next);
    this.#put(next, undo);
    return next;
  }

  /** Deletes a row for good. */
  remove(id: string, undo: UndoLog): void {
    const stored = this.#rows.get(id);
    if (!stored) {
      return;
    }

    this.#unindex(stored);
    this.#rows.delete(id);
    undo.push(() => {
      this.#rows.set(id, stored);
      this.#index(stored);
    });
  }

  #checkUnique(row: Row): void {
    for (const { rule, keys } of this.#indexes) {
      const key = rule.key(row);
      const holder = key === null ? undefined : keys.get(key);
      if (holder !== undefined && holder !== row.id) {
        throw new StorageError(
          'duplicate',
          this.#entity,
          `${this.#entity} ${row.id} breaks the uniqueness rule ${rule.name}`,
        );
      }
    }
  }

  #put(row: Row, undo: UndoLog): void {
    const previous = this.#rows.get(row.id);
    if (previous) {
      this.#unindex(previous);
    }

    this.#rows.set(row.id, row);
    this.#index(row);
    undo.push(() => {
      this.#unindex(row);
      if (previous) {
        this.#rows.set(row.id, previous);
        this.#index(previous);
      } else {
        this.#rows.delete(row.id);
      }
    });
  }

  #index(row: Row): void {
    for (const { rule, keys } of this.#indexes) {
      const key = rule.key(row);
      if (key !== null) {
        keys.set(key, row.id);
      }
    }

    for (const { rule, members } of this.#groups) {
      const key = rule.key(row);
      if (key !== null) {
        const ids = members.get(key) ?? new Set<string>();
        ids.add(row.id);
        members.set(key, ids);
      }
    }
  }

  #unindex(row: Row): void {
    for (const { rule, keys } of this.#indexes) {
      const key = rule.key(row);
      if (key !== null && keys.get(key) === row.id) {
        keys.delete(key);
      }
    }

    for (const { rule, members } of this.#groups) {
      const key = rule.key(row);
      const ids = key === null ? undefined : members.get(key);
      ids?.delete(row.id);
      if (key !== null && ids?.size === 0) {
        members.delete(key);
      }
    }
  }
}
