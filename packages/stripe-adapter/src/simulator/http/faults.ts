import type { FaultKind, FaultRule, RequestMatch } from '../api';
import type { SimulationClock } from '../state/clock';
import { StripeApiError, type StripeErrorBody } from './errors';
import { pathMatches } from './routes';

interface ArmedFault {
  rule: FaultRule;
  remaining: number;
}

function matches(match: RequestMatch, method: string, path: string, template: string): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === method) &&
    pathMatches(match.path, path, template)
  );
}

/** Injected failures, latency and the test-mode rate cap. */
export class FaultInjector {
  private armed: ArmedFault[] = [];
  private latencies: Array<{ ms: number; match: RequestMatch | null }> = [];
  private requestsPerSecond: number | null;
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly clock: SimulationClock,
    defaults: { latencyMs: number; requestsPerSecond: number | null },
  ) {
    this.requestsPerSecond = defaults.requestsPerSecond;
    if (defaults.latencyMs > 0) {
      this.latencies.push({ ms: defaults.latencyMs, match: null });
    }
  }

  failNext(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError('A fault must fire at least once');
    }
    this.armed.push({ rule, remaining: times });
  }

  /** The first armed fault that matches, consumed by this call. */
  take(method: string, path: string, template: string): FaultRule | null {
    const found = this.armed.find((armed) => matches(armed.rule, method, path, template));
    if (found === undefined) {
      return null;
    }
    found.remaining -= 1;
    if (found.remaining === 0) {
      this.armed = this.armed.filter((armed) => armed !== found);
    }
    return found.rule;
  }

  pending(): number {
    return this.armed.reduce((sum, armed) => sum + armed.remaining, 0);
  }

  setLatency(ms: number, match?: RequestMatch): void {
    this.latencies = this.latencies.filter((entry) => !sameMatch(entry.match, match ?? null));
    if (ms > 0) {
      this.latencies.push({ ms, match: match ?? null });
    }
  }

  latencyFor(method: string, path: string, template: string): number {
    return this.latencies.reduce(
      (total, entry) =>
        entry.match === null || matches(entry.match, method, path, template)
          ? total + entry.ms
          : total,
      0,
    );
  }

  setRateLimit(requestsPerSecond: number | null): void {
    this.requestsPerSecond = requestsPerSecond;
    this.recent.clear();
  }

  /** Whether one more request of `account` fits in the last second of simulation time. */
  admit(account: string): boolean {
    if (this.requestsPerSecond === null) {
      return true;
    }

    const now = this.clock.nowMs();
    const window = (this.recent.get(account) ?? []).filter((at) => at > now - 1000);
    if (window.length >= this.requestsPerSecond) {
      this.recent.set(account, window);
      return false;
    }
    window.push(now);
    this.recent.set(account, window);
    return true;
  }

  clear(): void {
    this.armed = [];
    this.latencies = [];
    this.requestsPerSecond = null;
    this.recent.clear();
  }
}

function sameMatch(left: RequestMatch | null, right: RequestMatch | null): boolean {
  if (left === null || right === null) {
    return left === right;
  }
  return left.method === right.method && String(left.path) === String(right.path);
}

type HttpFault = Exclude<FaultKind, 'connection_drop' | 'response_lost'>;

const FAULT_ANSWERS: Readonly<Record<HttpFault, { status: number; body: StripeErrorBody }>> = {
  server_error: {
    status: 500,
    body: { type: 'api_error', message: 'An unknown error occurred (injected fault).' },
  },
  service_unavailable: {
    status: 503,
    body: {
      type: 'api_error',
      message: 'The service is temporarily unavailable (injected fault).',
    },
  },
  conflict: {
    status: 409,
    body: {
      type: 'invalid_request_error',
      message: 'The request conflicted with another request (injected fault).',
    },
  },
  rate_limit: {
    status: 429,
    body: {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Rate limited (injected fault).',
    },
  },
  lock_timeout: {
    status: 429,
    body: {
      type: 'invalid_request_error',
      code: 'lock_timeout',
      message: 'Another request is using this object; try again shortly (injected fault).',
    },
  },
};

/** The error answer of a fault that keeps the connection, or null for one that cuts it. */
export function faultError(kind: FaultKind, shouldRetry?: boolean): StripeApiError | null {
  if (kind === 'connection_drop' || kind === 'response_lost') {
    return null;
  }

  const answer = FAULT_ANSWERS[kind];
  // Lock timeouts are the 429s Stripe asks clients to retry.
  const retry = shouldRetry ?? (kind === 'lock_timeout' ? true : undefined);
  return new StripeApiError(
    answer.status,
    answer.body,
    retry === undefined ? {} : { 'Stripe-Should-Retry': String(retry) },
  );
}
