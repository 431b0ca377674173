import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LoggerPort } from '@memberpay/core';
import type Stripe from 'stripe';
import type { WebhookDelivery, WebhookSettings } from '../api';
import type { SimulationClock } from '../state/clock';
import type { EventSink } from '../state/simulation';
import { PLATFORM, type WebhookEndpointRecord } from '../state/store';

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryDelaysMs: [500, 2_000, 10_000],
  timeoutMs: 10_000,
  duplicates: false,
  outOfOrder: false,
  timestampSkewSeconds: 0,
};

interface DeliveryJob {
  event: Stripe.Event;
  endpointId: string;
  attempt: number;
  /** Jobs of an earlier generation were dropped by `stop()` and must not come back. */
  generation: number;
}

interface AttemptResult {
  status: number | null;
  error: string | null;
}

/** `t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">`, the header Stripe signs deliveries with. */
export function signatureHeader(body: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** Whether `endpoint` is sent `event`: Connect endpoints get connected accounts' events. */
export function receives(endpoint: WebhookEndpointRecord, event: Stripe.Event): boolean {
  const enabled =
    endpoint.endpoint.status === 'enabled' &&
    (endpoint.endpoint.enabled_events.includes('*') ||
      endpoint.endpoint.enabled_events.includes(event.type));
  if (!enabled) {
    return false;
  }

  if (event.account === undefined) {
    return endpoint.owner === PLATFORM && !endpoint.connect;
  }
  return endpoint.owner === PLATFORM
    ? endpoint.connect
    : endpoint.owner === event.account && !endpoint.connect;
}

/**
 * Sends events to endpoints over HTTP, at least once: one delivery at a time per endpoint,
 * retried after a non-2xx answer, with switches for duplicates, reordering and holding back.
 */
export class WebhookDispatcher implements EventSink {
  settings: WebhookSettings = DEFAULT_WEBHOOK_SETTINGS;
  private readonly queues = new Map<string, DeliveryJob[]>();
  private readonly busyEndpoints = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<http.ClientRequest>();
  private readonly log: WebhookDelivery[] = [];
  private held: DeliveryJob[] = [];
  private paused = false;
  private closed = false;
  private generation = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly agent = new http.Agent({ keepAlive: false });

  constructor(
    private readonly endpoints: () => Iterable<WebhookEndpointRecord>,
    private readonly clock: SimulationClock,
    private readonly logger: LoggerPort,
  ) {}

  configure(settings: Partial<WebhookSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  countRecipients(event: Stripe.Event): number {
    return [...this.endpoints()].filter((endpoint) => receives(endpoint, event)).length;
  }

  publish(events: readonly Stripe.Event[]): void {
    const ordered = this.settings.outOfOrder ? [...events].reverse() : events;
    const jobs: DeliveryJob[] = [];

    for (const event of ordered) {
      for (const endpoint of this.endpoints()) {
        if (receives(endpoint, event)) {
          const job = {
            event,
            endpointId: endpoint.endpoint.id,
            attempt: 1,
            generation: this.generation,
          };
          jobs.push(job);
          if (this.settings.duplicates) {
            jobs.push({ ...job });
          }
        }
      }
    }

    if (this.paused) {
      this.held.push(...jobs);
      return;
    }
    for (const job of jobs) {
      this.enqueue(job);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(order: 'original' | 'reverse' = 'original'): void {
    this.paused = false;
    const released = order === 'reverse' ? this.held.reverse() : this.held;
    this.held = [];
    for (const job of released) {
      this.enqueue(job);
    }
    this.checkIdle();
  }

  deliveries(): readonly WebhookDelivery[] {
    return this.log;
  }

  drain(): Promise<void> {
    if (this.isIdle()) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drop everything queued, held or waiting to retry, and abort deliveries in flight. */
  stop(): void {
    this.generation += 1;
    for (const timer of this.retryTimers) {
      clearTimeout(timer);
    }
    this.retryTimers.clear();
    for (const request of this.inFlight) {
      request.destroy();
    }
    this.inFlight.clear();
    this.queues.clear();
    this.busyEndpoints.clear();
    this.held = [];
    this.log.length = 0;
    this.checkIdle();
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.agent.destroy();
  }

  private enqueue(job: DeliveryJob): void {
    if (this.closed || job.generation !== this.generation) {
      return;
    }
    const queue = this.queues.get(job.endpointId) ?? [];
    queue.push(job);
    this.queues.set(job.endpointId, queue);
    void this.pump(job.endpointId);
  }

  private async pump(endpointId: string): Promise<void> {
    if (this.busyEndpoints.has(endpointId)) {
      return;
    }

    const job = this.queues.get(endpointId)?.shift();
    if (job === undefined) {
      this.queues.delete(endpointId);
      this.checkIdle();
      return;
    }

    this.busyEndpoints.add(endpointId);
    const endpoint = [...this.endpoints()].find(
      (candidate) => candidate.endpoint.id === endpointId,
    );
    // An endpoint deleted or disabled since the event was queued gets nothing more.
    if (endpoint !== undefined && endpoint.endpoint.status === 'enabled') {
      const result = await this.attempt(job, endpoint);
      if (job.generation !== this.generation) {
        // `stop()` dropped this job while it was in flight; the queues are no longer its own.
        return;
      }
      this.settle(job, endpoint, result);
    }
    this.busyEndpoints.delete(endpointId);

    void this.pump(endpointId);
  }

  private settle(job: DeliveryJob, endpoint: WebhookEndpointRecord, result: AttemptResult): void {
    this.log.push({
      eventId: job.event.id,
      eventType: job.event.type,
      endpointId: endpoint.endpoint.id,
      url: endpoint.endpoint.url,
      attempt: job.attempt,
      status: result.status,
      error: result.error,
      deliveredAt: new Date(this.clock.nowMs()),
    });

    if (result.status !== null && result.status >= 200 && result.status < 300) {
      job.event.pending_webhooks = Math.max(0, job.event.pending_webhooks - 1);
      return;
    }

    const delay = this.settings.retryDelaysMs[job.attempt - 1];
    if (delay === undefined) {
      this.logger.warn('stripe simulator: webhook delivery gave up', {
        eventId: job.event.id,
        endpointId: endpoint.endpoint.id,
        attempts: job.attempt,
      });
      return;
    }

    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.enqueue({ ...job, attempt: job.attempt + 1 });
    }, delay);
    this.retryTimers.add(timer);
  }

  private attempt(job: DeliveryJob, endpoint: WebhookEndpointRecord): Promise<AttemptResult> {
    const body = JSON.stringify(job.event, null, 2);
    const timestamp = this.clock.nowSeconds() + this.settings.timestampSkewSeconds;
    const url = new URL(endpoint.endpoint.url);
    const transport = url.protocol === 'https:' ? https : http;

    return new Promise((resolve) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? undefined : this.agent,
          timeout: this.settings.timeoutMs,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': signatureHeader(body, endpoint.secret, timestamp),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            this.inFlight.delete(request);
            resolve({ status: response.statusCode ?? null, error: null });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('delivery timed out')));
      request.on('error', (error) => {
        this.inFlight.delete(request);
        resolve({ status: null, error: error.message });
      });
      this.inFlight.add(request);
      request.end(body);
    });
  }

  private isIdle(): boolean {
    return this.busyEndpoints.size === 0 && this.queues.size === 0 && this.retryTimers.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) {
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}
