import { StorageError } from '@memberpay/core';

/**
 * A lookup by a key read from a row. A unique index refuses two rows with the same key; a
 * group index finds every row sharing a key (an organization's, a claim's) without a scan.
 * Rows whose key is null are left out of the index.
 *
 * Most keys hold within an organization. Such a rule names the organization as its `scope`,
 * and the index keeps one map of keys per scope, instead of one map of keys that join the
 * organization and the key into a new string. Keys are then fields the row already holds:
 * computing one allocates nothing, and the index keeps no string of its own.
 */
export interface IndexRule<Row> {
  readonly name: string;
  /** Where the key holds, usually the row's organization; without it the key is global. */
  readonly scope?: (row: Row) => string;
  readonly key: (row: Row) => string | null;
}

/** Undo steps of the unit of work in progress, run in reverse on rollback. */
export type UndoLog = Array<() => void>;

/**
 * The ids holding one key. A unique index holds one id. A group holds one id as it is and a
 * set of ids from the second on: most groups (a request's audit entries, a claim's requests)
 * hold one row, and a set for each would be most of the memory the index takes.
 */
type Holder = string | Set<string>;

interface Index<Row> {
  readonly rule: IndexRule<Row>;
  readonly unique: boolean;
  /** Scope, then key, to the ids holding it. Rules without a scope use the scope ''. */
  readonly scopes: Map<string, Map<string, Holder>>;
}

const GLOBAL = '';

function scopeOf<Row>(rule: IndexRule<Row>, row: Row): string {
  return rule.scope ? rule.scope(row) : GLOBAL;
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
      ...unique.map((rule) => ({ rule, unique: true, scopes: new Map() })),
      ...groups.map((rule) => ({ rule, unique: false, scopes: new Map() })),
    ];
    this.#byName = new Map(this.#indexes.map((index) => [index.rule.name, index]));
  }

  get(id: string): Row | undefined {
    return this.#rows.get(id);
  }

  /** The row holding `key` in a unique index; `scope` is omitted for a global rule. */
  findUnique(indexName: string, key: string, scope: string = GLOBAL): Row | undefined {
    const id = this.#index(indexName, true).scopes.get(scope)?.get(key);
    return id === undefined ? undefined : this.#rows.get(id as string);
  }

  values(): IterableIterator<Row> {
    return this.#rows.values();
  }

  /** The rows whose group key is `key`, in the order they joined the group. */
  group(indexName: string, key: string, scope: string = GLOBAL): Row[] {
    const held = this.#index(indexName, false).scopes.get(scope)?.get(key);
    if (held === undefined) {
      return [];
    }

    return typeof held === 'string'
      ? [this.#rows.get(held) as Row]
      : Array.from(held, (id) => this.#rows.get(id) as Row);
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

  #index(name: string, unique: boolean): Index<Row> {
    const index = this.#byName.get(name);
    if (!index || index.unique !== unique) {
      throw new Error(`${this.#entity} has no ${unique ? 'unique' : 'group'} index ${name}`);
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
    for (const { rule, unique, scopes } of this.#indexes) {
      const key = unique ? rule.key(row) : null;
      if (key === null) {
        continue;
      }

      const scope = scopeOf(rule, row);
      if (previous && rule.key(previous) === key && scopeOf(rule, previous) === scope) {
        continue;
      }

      if (scopes.get(scope)?.has(key)) {
        throw new StorageError(
          'duplicate',
          this.#entity,
          `${this.#entity} ${row.id} breaks the uniqueness rule ${rule.name}`,
        );
      }
    }
  }

  /** Moves a row's index entries from the keys of `before` to those of `after`. */
  #reindex(before: Row | undefined, after: Row | undefined): void {
    const id = (after ?? before)?.id as string;
    for (const index of this.#indexes) {
      const { rule } = index;
      const from = before ? rule.key(before) : null;
      const to = after ? rule.key(after) : null;
      const fromScope = from === null ? GLOBAL : scopeOf(rule, before as Row);
      const toScope = to === null ? GLOBAL : scopeOf(rule, after as Row);
      if (from === to && fromScope === toScope) {
        continue;
      }

      if (from !== null) {
        unlink(index, fromScope, from, id);
      }

      if (to !== null) {
        link(index, toScope, to, id);
      }
    }
  }
}

function unlink<Row>(index: Index<Row>, scope: string, key: string, id: string): void {
  const keys = index.scopes.get(scope);
  const held = keys?.get(key);
  if (keys === undefined || held === undefined) {
    return;
  }

  if (typeof held === 'string' || held.size === 1) {
    keys.delete(key);
  } else {
    held.delete(id);
  }
}

function link<Row>(index: Index<Row>, scope: string, key: string, id: string): void {
  let keys = index.scopes.get(scope);
  if (keys === undefined) {
    keys = new Map();
    index.scopes.set(scope, keys);
  }

  const held = index.unique ? undefined : keys.get(key);
  if (held === undefined) {
    keys.set(key, id);
  } else if (typeof held === 'string') {
    keys.set(key, new Set([held, id]));
  } else {
    held.add(id);
  }
}
