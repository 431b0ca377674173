import type { IdGeneratorPort, LoggerPort } from '@memberpay/core';
import Stripe from 'stripe';
import type { EventFilter } from '../api';
import type { Scheduler, SimulationClock } from './clock';
import { type AccountLinkRecord, Partition, PLATFORM, type WebhookEndpointRecord } from './store';

/** Who caused a change: an API request (its id and idempotency key) or nobody (automatic). */
export interface Origin {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const AUTOMATIC: Origin = { requestId: null, idempotencyKey: null };

export type EventType = Stripe.Event['type'];
export type EventOf<T extends EventType> = Extract<Stripe.Event, { type: T }>;
export type EventObject<T extends EventType> = EventOf<T>['data']['object'];

/** Receives every event once it is recorded; the webhook dispatcher. */
export interface EventSink {
  /** Events of one operation, in the order they happened. */
  publish(events: readonly Stripe.Event[]): void;
  /** How many endpoints will be sent an event, for `pending_webhooks`. */
  countRecipients(event: Stripe.Event): number;
}

export interface SimulationSettings {
  baseUrl: string;
  platformName: string;
  bankSettlementDelayMs: number | null;
  refundsStartPending: boolean;
  refundSettleAfterMs: number | null;
  searchLagMs: number;
}

interface EventWaiter {
  type: string;
  predicate: (event: Stripe.Event) => boolean;
  resolve: (event: Stripe.Event) => void;
}

/**
 * JSON text and back: the form an object has on the wire and in an event snapshot. Decimal
 * fields come back as their decimal strings, which is what stripe-node reads on receipt.
 */
export function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** All state of one simulator: partitions, links, the event log, and the clock. */
export class Simulation {
  readonly partitions = new Map<string, Partition>();
  readonly accountLinks = new Map<string, AccountLinkRecord>();
  /** When each searchable object was created, for the search-lag option. */
  readonly createdAtMs = new Map<string, number>();
  private readonly eventLog: Stripe.Event[] = [];
  private outbox: Stripe.Event[] = [];
  private waiters: EventWaiter[] = [];

  constructor(
    readonly settings: SimulationSettings,
    readonly clock: SimulationClock,
    readonly scheduler: Scheduler,
    readonly ids: IdGeneratorPort,
    readonly logger: LoggerPort,
    private readonly sink: EventSink,
  ) {
    this.partitions.set(PLATFORM, new Partition(PLATFORM));
  }

  get platform(): Partition {
    return this.partition(PLATFORM);
  }

  partition(key: string): Partition {
    let partition = this.partitions.get(key);
    if (partition === undefined) {
      partition = new Partition(key);
      this.partitions.set(key, partition);
    }
    return partition;
  }

  now(): number {
    return this.clock.nowSeconds();
  }

  newId(prefix: string): string {
    return this.ids.next(prefix);
  }

  /** The partition that holds `id` in the map `pick` chooses, whatever account it is on. */
  locate<T>(id: string, pick: (partition: Partition) => ReadonlyMap<string, T>): Partition | null {
    for (const partition of this.partitions.values()) {
      if (pick(partition).has(id)) {
        return partition;
      }
    }
    return null;
  }

  /** Every registered webhook endpoint, platform and connected accounts alike. */
  *webhookEndpoints(): Iterable<WebhookEndpointRecord> {
    for (const partition of this.partitions.values()) {
      yield* partition.webhookEndpoints.values();
    }
  }

  markCreated(id: string): void {
    this.createdAtMs.set(id, this.clock.nowMs());
  }

  /**
   * Record an event with a snapshot of `object` as it is now. Events of one synchronous
   * operation reach the webhook dispatcher together, after it finishes.
   */
  emit<T extends EventType>(
    partition: Partition,
    origin: Origin,
    type: T,
    object: EventObject<T>,
    previousAttributes?: Partial<EventObject<T>>,
  ): void {
    const data: { object: unknown; previous_attributes?: unknown } = { object: wire(object) };
    if (previousAttributes !== undefined) {
      data.previous_attributes = wire(previousAttributes);
    }

    // The union member is fixed by `type`; TypeScript cannot narrow a built object to it.
    const event = {
      id: this.newId('evt'),
      object: 'event',
      ...(partition.eventAccount === undefined ? {} : { account: partition.eventAccount }),
      api_version: Stripe.API_VERSION,
      created: this.now(),
      data,
      livemode: false,
      pending_webhooks: 0,
      request: { id: origin.requestId, idempotency_key: origin.idempotencyKey },
      type,
    } as EventOf<T>;
    event.pending_webhooks = this.sink.countRecipients(event);

    partition.events.set(event.id, event);
    this.eventLog.push(event);
    this.notifyWaiters(event);

    if (this.outbox.length === 0) {
      queueMicrotask(() => this.flush());
    }
    this.outbox.push(event);
  }

  flush(): void {
    const events = this.outbox;
    this.outbox = [];
    if (events.length > 0) {
      this.sink.publish(events);
    }
  }

  listEvents(filter: EventFilter = {}): Stripe.Event[] {
    return this.eventLog.filter(
      (event) =>
        (filter.type === undefined || event.type === filter.type) &&
        (filter.account === undefined || (event.account ?? null) === filter.account),
    );
  }

  waitForEvent(
    type: string,
    predicate: (event: Stripe.Event) => boolean,
    timeoutMs: number,
  ): Promise<Stripe.Event> {
    const seen = this.eventLog.find((event) => event.type === type && predicate(event));
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }

    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = { type, predicate, resolve: () => undefined };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
        reject(new Error(`No ${type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter.resolve = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
      this.waiters.push(waiter);
    });
  }

  private notifyWaiters(event: Stripe.Event): void {
    const satisfied = this.waiters.filter(
      (waiter) => waiter.type === event.type && waiter.predicate(event),
    );
    if (satisfied.length === 0) {
      return;
    }

    this.waiters = this.waiters.filter((waiter) => !satisfied.includes(waiter));
    for (const waiter of satisfied) {
      waiter.resolve(event);
    }
  }

  /** Forget every object and event; settings, clock and endpoints' dispatcher stay. */
  reset(): void {
    this.partitions.clear();
    this.partitions.set(PLATFORM, new Partition(PLATFORM));
    this.accountLinks.clear();
    this.createdAtMs.clear();
    this.eventLog.length = 0;
    this.outbox = [];
    this.scheduler.cancelAll();
  }
}
