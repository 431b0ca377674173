/** Statement text shared by the repositories. Values always travel as parameters. */

/** `INSERT` that writes nothing, instead of failing, when a uniqueness rule refuses the row. */
export function insertInto(table: string, columns: readonly string[]): string {
  const placeholders = columns.map((_, index) => `$${index + 1}`);
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) ` +
    'ON CONFLICT DO NOTHING'
  );
}

/**
 * `UPDATE` with an optimistic version check. Parameters: the key columns first, then the
 * version the caller read, then `columns` in order; the row gets that version plus one.
 */
export function updateVersioned(
  table: string,
  keys: readonly string[],
  columns: readonly string[],
): string {
  const version = keys.length + 1;
  const assignments = columns.map((column, index) => `${column} = $${version + 1 + index}`);
  const conditions = keys.map((key, index) => `${key} = $${index + 1}`);
  return (
    `UPDATE ${table} SET ${[...assignments, `version = $${version} + 1`].join(', ')} ` +
    `WHERE ${[...conditions, `version = $${version}`].join(' AND ')}`
  );
}

export function selectFrom(table: string, columns: readonly string[]): string {
  return `SELECT ${columns.join(', ')} FROM ${table}`;
}

/** The values of `columns`, in their order, from a record keyed by column. */
export function valuesOf<Column extends string>(
  columns: readonly Column[],
  record: Readonly<Record<Column, unknown>>,
): unknown[] {
  return columns.map((column) => record[column]);
}

/**
 * A page of an organization's rows in creation order (then id). `$1` is the organization; the
 * page starts after the row whose id is `after`, or at the beginning when there is no such row,
 * as the in-memory adapter does.
 */
export function creationOrderPage(options: {
  readonly table: string;
  readonly columns: readonly string[];
  readonly conditions: readonly string[];
  readonly after: string;
  readonly limit: string;
}): string {
  const { table, columns, conditions, after, limit } = options;
  return (
    `WITH cursor_row AS (SELECT created_at, id FROM ${table} ` +
    `WHERE organization_id = $1 AND id = ${after}) ` +
    `${selectFrom(table, columns)} WHERE ${conditions.join(' AND ')} ` +
    'AND (NOT EXISTS (SELECT 1 FROM cursor_row) ' +
    'OR (created_at, id) > (SELECT created_at, id FROM cursor_row)) ' +
    `ORDER BY created_at, id LIMIT ${limit}`
  );
}
