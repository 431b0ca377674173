import { invalidRequest } from './errors';
import type { ParamReader } from './params';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/**
 * One page of `newestFirst`, cut by `limit`, `starting_after` and `ending_before` as Stripe
 * pages: ids are cursors, and a page never repeats an item of the page it continues.
 */
export function paginate<T extends { id?: string }>(
  newestFirst: readonly T[],
  params: ParamReader,
  url: string,
): ListPage<T> {
  const limit = params.integer('limit', { min: 1, max: MAX_LIMIT }) ?? DEFAULT_LIMIT;
  const after = params.string('starting_after');
  const before = params.string('ending_before');

  if (after !== undefined) {
    const index = cursorIndex(newestFirst, after, 'starting_after');
    const rest = newestFirst.slice(index + 1);
    return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }

  if (before !== undefined) {
    const index = cursorIndex(newestFirst, before, 'ending_before');
    const earlier = newestFirst.slice(0, index);
    const start = Math.max(0, earlier.length - limit);
    return { object: 'list', data: earlier.slice(start), has_more: start > 0, url };
  }

  return {
    object: 'list',
    data: newestFirst.slice(0, limit),
    has_more: newestFirst.length > limit,
    url,
  };
}

function cursorIndex<T extends { id?: string }>(
  items: readonly T[],
  id: string,
  param: string,
): number {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0) {
    throw invalidRequest(`No such object: '${id}'`, { code: 'resource_missing', param });
  }
  return index;
}

/** Items of a Map, newest (last inserted) first. */
export function newestFirst<T>(items: Iterable<T>): T[] {
  return [...items].reverse();
}

/** `created` (or another timestamp) as an exact value or a `gt/gte/lt/lte` range. */
export function timestampFilter(params: ParamReader, key: string): (value: number) => boolean {
  if (!params.has(key)) {
    return () => true;
  }

  const range = params.raw(key);
  if (typeof range === 'string') {
    const exact = params.integer(key);
    return (value) => value === exact;
  }

  const bounds = params.object(key);
  const gt = bounds?.integer('gt');
  const gte = bounds?.integer('gte');
  const lt = bounds?.integer('lt');
  const lte = bounds?.integer('lte');
  return (value) =>
    (gt === undefined || value > gt) &&
    (gte === undefined || value >= gte) &&
    (lt === undefined || value < lt) &&
    (lte === undefined || value <= lte);
}
