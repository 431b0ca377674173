import { invalidRequest } from './errors';
import type { ParamReader } from './params';

/** How a searchable resource exposes its fields to the query language. */
export interface SearchSchema<T> {
  fields: Readonly<Record<string, (item: T) => string | number | null>>;
  metadata: (item: T) => Readonly<Record<string, string>> | null;
}

type Operator = ':' | '~' | '>' | '<' | '>=' | '<=';

interface Clause {
  negated: boolean;
  field: string;
  metadataKey: string | null;
  operator: Operator;
  value: string | null;
}

const FIELD = String.raw`(?:metadata\[(?:'([^']*)'|"([^"]*)")\]|([a-z_]+))`;
const VALUE = String.raw`(?:'([^']*)'|"([^"]*)"|(null)|(-?\d+))`;
/** `[-]field<op>value`, capturing: negation, metadata key (two quotings), field, op, value. */
const CLAUSE = new RegExp(`^(-?)${FIELD}(>=|<=|:|~|>|<)${VALUE}$`);

/**
 * Compile Stripe's search query language (`field:'value'`, `metadata['key']:'value'`, `~` for
 * substrings, `>`/`<` on numbers, `-` to negate, joined by all-AND or all-OR) into a predicate.
 */
export function compileQuery<T>(query: string, schema: SearchSchema<T>): (item: T) => boolean {
  const trimmed = query.trim();
  if (trimmed === '') {
    throw invalidRequest('The query must not be empty.', { param: 'query' });
  }

  const usesAnd = / AND /.test(trimmed);
  const usesOr = / OR /.test(trimmed);
  if (usesAnd && usesOr) {
    throw invalidRequest('A query cannot combine AND and OR.', { param: 'query' });
  }

  const clauses = tokenize(trimmed).map((text) => parseClause(text, schema));
  const test = (item: T, clause: Clause): boolean =>
    clause.negated !== clauseHolds(item, clause, schema);
  return usesOr
    ? (item) => clauses.some((clause) => test(item, clause))
    : (item) => clauses.every((clause) => test(item, clause));
}

/** Clauses split on AND/OR outside quotes. */
function tokenize(query: string): string[] {
  const clauses: string[] = [];
  let current = '';
  let quote: string | null = null;

  for (let index = 0; index < query.length; index += 1) {
    const char = query[index] ?? '';
    if (quote !== null) {
      quote = char === quote ? null : quote;
      current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      current += char;
      continue;
    }

    const rest = query.slice(index);
    const joiner = /^ (AND|OR) /.exec(rest);
    if (joiner !== null) {
      clauses.push(current.trim());
      current = '';
      index += joiner[0].length - 1;
      continue;
    }
    current += char;
  }
  clauses.push(current.trim());
  return clauses;
}

function parseClause<T>(text: string, schema: SearchSchema<T>): Clause {
  const match = CLAUSE.exec(text);
  if (match === null) {
    throw invalidRequest(`Invalid search query clause: ${text}`, { param: 'query' });
  }

  const [, negation, singleKey, doubleKey, field, operator, single, double, nullWord, number] =
    match;
  const metadataKey = singleKey ?? doubleKey ?? null;
  const fieldName = field ?? 'metadata';
  if (metadataKey === null && schema.fields[fieldName] === undefined) {
    throw invalidRequest(`Field ${fieldName} is not supported in search queries.`, {
      param: 'query',
    });
  }

  return {
    negated: negation === '-',
    field: fieldName,
    metadataKey,
    operator: operator as Operator,
    value: nullWord === undefined ? (single ?? double ?? number ?? null) : null,
  };
}

function clauseHolds<T>(item: T, clause: Clause, schema: SearchSchema<T>): boolean {
  const actual =
    clause.metadataKey === null
      ? (schema.fields[clause.field]?.(item) ?? null)
      : (schema.metadata(item)?.[clause.metadataKey] ?? null);

  if (clause.value === null) {
    return actual === null;
  }
  if (actual === null) {
    return false;
  }

  switch (clause.operator) {
    case ':':
      return String(actual).toLowerCase() === clause.value.toLowerCase();
    case '~':
      return String(actual).toLowerCase().includes(clause.value.toLowerCase());
    case '>':
      return Number(actual) > Number(clause.value);
    case '<':
      return Number(actual) < Number(clause.value);
    case '>=':
      return Number(actual) >= Number(clause.value);
    case '<=':
      return Number(actual) <= Number(clause.value);
  }
}

export interface SearchPage<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
}

/** One page of matches; `page` is the opaque token of the previous page's `next_page`. */
export function searchPage<T>(
  matches: readonly T[],
  params: ParamReader,
  url: string,
): SearchPage<T> {
  const limit = params.integer('limit', { min: 1, max: 100 }) ?? 10;
  const token = params.string('page');
  const offset = token === undefined ? 0 : decodePageToken(token);

  const data = matches.slice(offset, offset + limit);
  const hasMore = matches.length > offset + limit;
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    url,
  };
}

function decodePageToken(token: string): number {
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw invalidRequest('Invalid page token.', { param: 'page' });
  }
  return offset;
}
