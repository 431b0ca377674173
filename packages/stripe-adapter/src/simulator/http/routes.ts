import type { Origin, Simulation } from '../state/simulation';
import type { Partition } from '../state/store';
import type { ParamReader } from './params';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Who is asking: the partition `Stripe-Account` chose, and the request's id and key. */
export interface RequestContext extends Origin {
  partition: Partition;
  /** `Stripe-Account`, or null for the platform. */
  account: string | null;
}

export interface ApiCall {
  sim: Simulation;
  ctx: RequestContext;
  params: ParamReader;
  /** Values of the route's `:name` segments. */
  path: Readonly<Record<string, string>>;
}

/** Does the work of one call and returns the object to answer with (status 200). */
export type Handler = (call: ApiCall) => object;

export interface Route {
  method: HttpMethod;
  template: string;
  accepts: ReadonlySet<string>;
  handle: Handler;
}

export function route(
  method: HttpMethod,
  template: string,
  accepts: ReadonlySet<string>,
  handle: Handler,
): Route {
  return { method, template, accepts, handle };
}

export interface RouteMatch {
  route: Route;
  path: Record<string, string>;
}

/** Literal segments win over `:name` segments, so `/v1/invoices/search` is not an invoice id. */
export function findRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): RouteMatch | null {
  const segments = path.split('/').filter((segment) => segment !== '');
  let best: { match: RouteMatch; captures: number } | null = null;

  for (const candidate of routes) {
    if (candidate.method !== method) {
      continue;
    }
    const captured = matchTemplate(candidate.template, segments);
    if (captured === null) {
      continue;
    }
    const captures = Object.keys(captured).length;
    if (best === null || captures < best.captures) {
      best = { match: { route: candidate, path: captured }, captures };
    }
  }

  return best?.match ?? null;
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | null {
  const parts = template.split('/').filter((part) => part !== '');
  if (parts.length !== segments.length) {
    return null;
  }

  const captured: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = decodeSegment(segments[index] ?? '');
    if (part.startsWith(':')) {
      captured[part.slice(1)] = segment;
    } else if (part !== segment) {
      return null;
    }
  }
  return captured;
}

/** A path segment as sent; a malformed escape stays as it is and matches no id. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Whether `path` fits a request selector: a route template, a concrete path, or a RegExp. */
export function pathMatches(pattern: string | RegExp, path: string, template: string): boolean {
  if (pattern instanceof RegExp) {
    return pattern.test(path);
  }
  if (pattern === template || pattern === path) {
    return true;
  }

  const wanted = pattern.split('/');
  const actual = path.split('/');
  return (
    wanted.length === actual.length &&
    wanted.every((part, index) => part === '*' || part.startsWith(':') || part === actual[index])
  );
}
