import type { SimulationClock } from '../state/clock';

/** Stripe keeps keys at least 24 hours; the simulator forgets them exactly then. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: string;
  headers: Readonly<Record<string, string>>;
  requestId: string;
}

interface Entry {
  method: string;
  path: string;
  fingerprint: string;
  createdAtMs: number;
  response: StoredResponse | null;
}

export type IdempotencyDecision =
  | { kind: 'proceed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_flight' }
  | { kind: 'mismatch'; message: string };

/**
 * Stripe's idempotency: the first request with a key runs and its answer is kept; a retry with
 * the same parameters gets that answer again; anything else with the key is refused. Keys are
 * scoped to the account the request acts on.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: SimulationClock) {}

  begin(
    scope: string,
    key: string,
    method: string,
    path: string,
    fingerprint: string,
  ): IdempotencyDecision {
    this.prune();
    const id = `${scope}\u0000${key}`;
    const entry = this.entries.get(id);

    if (entry === undefined) {
      this.entries.set(id, {
        method,
        path,
        fingerprint,
        createdAtMs: this.clock.nowMs(),
        response: null,
      });
      return { kind: 'proceed' };
    }
    if (entry.method !== method || entry.path !== path) {
      return {
        kind: 'mismatch',
        message:
          `Idempotency key '${key}' belongs to ${entry.method} ${entry.path}; ` +
          `it cannot also serve ${method} ${path}. Use a new key.`,
      };
    }
    if (entry.fingerprint !== fingerprint) {
      return {
        kind: 'mismatch',
        message:
          `Idempotency key '${key}' was first sent with other parameters. ` +
          'A different request needs a new key.',
      };
    }
    if (entry.response === null) {
      return { kind: 'in_flight' };
    }
    return { kind: 'replay', response: entry.response };
  }

  complete(scope: string, key: string, response: StoredResponse): void {
    const entry = this.entries.get(`${scope}\u0000${key}`);
    if (entry !== undefined) {
      entry.response = response;
    }
  }

  /** The request was turned away before its work began: forget the key. */
  abandon(scope: string, key: string): void {
    this.entries.delete(`${scope}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
  }

  private prune(): void {
    const oldest = this.clock.nowMs() - IDEMPOTENCY_TTL_MS;
    for (const [id, entry] of this.entries) {
      if (entry.createdAtMs <= oldest) {
        this.entries.delete(id);
      }
    }
  }
}
