import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LoggerPort, noopLogger, systemClock } from '@memberpay/core';
import Stripe from 'stripe';
import type {
  CallLog,
  RecordedCall,
  StripeSimulator,
  StripeSimulatorOptions,
  WebhookControls,
} from './api';
import { invalidRequest, StripeApiError } from './http/errors';
import { applyExpansions } from './http/expand';
import { FaultInjector, faultError } from './http/faults';
import { decodeForm, FormDecodeError, type FormObject, fingerprint } from './http/form';
import { IdempotencyStore, type StoredResponse } from './http/idempotency';
import { ParamReader, rejectUnknownParams } from './http/params';
import { findRoute, pathMatches, type RequestContext, type Route } from './http/routes';
import { servePage } from './pages/pages';
import { accountRoutes } from './resources/accounts';
import { customerRoutes } from './resources/customers';
import { disputeRoutes } from './resources/disputes';
import { eventRoutes } from './resources/events';
import { invoiceItemRoutes } from './resources/invoice-items';
import { invoiceLifecycleRoutes } from './resources/invoice-lifecycle';
import { invoiceRoutes } from './resources/invoices';
import { paymentRoutes } from './resources/payments';
import { refundRoutes } from './resources/refunds';
import { registerEndpoint, webhookEndpointRoutes } from './resources/webhook-endpoints';
import { Scheduler, SimulationClock } from './state/clock';
import { randomToken, stripeLikeIds } from './state/ids';
import { Simulation, type SimulationSettings, wire } from './state/simulation';
import { type Partition, PLATFORM } from './state/store';
import { createTestHelpers } from './test-helpers';
import { WebhookDispatcher } from './webhooks/dispatcher';

const ROUTES: readonly Route[] = [
  ...accountRoutes,
  ...customerRoutes,
  ...invoiceItemRoutes,
  ...invoiceRoutes,
  ...invoiceLifecycleRoutes,
  ...paymentRoutes,
  ...refundRoutes,
  ...disputeRoutes,
  ...webhookEndpointRoutes,
  ...eventRoutes,
];

const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_API_KEY = 'sk_test_memberpay_simulator';

/** An idempotency key this request holds until its answer is stored. */
interface HeldKey {
  scope: string;
  key: string;
}

interface ApiAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Cut the connection instead of answering (after the work, if any, was done). */
  dropConnection: boolean;
  replayed: boolean;
}

/** The HTTP front of a simulation: auth, idempotency, faults, then the route's handler. */
class ApiFront {
  readonly calls: RecordedCall[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly idempotency: IdempotencyStore,
    readonly faults: FaultInjector,
    private readonly apiKey: string | undefined,
  ) {}

  async handle(request: http.IncomingMessage, body: string, requestId: string): Promise<ApiAnswer> {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const method = (request.method ?? 'GET').toUpperCase();
    const match = findRoute(ROUTES, method, url.pathname);
    const account = headerValue(request, 'stripe-account');
    const idempotencyKey = method === 'POST' ? headerValue(request, 'idempotency-key') : null;
    const call: RecordedCall = {
      requestId,
      method,
      path: url.pathname,
      route: match?.route.template ?? url.pathname,
      account,
      idempotencyKey,
      status: null,
      replayed: false,
    };
    this.calls.push(call);

    const answer = await this.answer(request, url, body, requestId, call);
    call.status = answer.dropConnection ? null : answer.status;
    call.replayed = answer.replayed;
    return answer;
  }

  private async answer(
    request: http.IncomingMessage,
    url: URL,
    body: string,
    requestId: string,
    call: RecordedCall,
  ): Promise<ApiAnswer> {
    let held: HeldKey | null = null;

    try {
      const partition = this.admit(request, call);
      const values = decodeParams(url, body);
      const match = findRoute(ROUTES, call.method, call.path);
      if (match === null) {
        throw invalidRequest(`No API route for ${call.method} ${call.path}.`, {
          status: 404,
        });
      }
      rejectUnknownParams(values, match.route.accepts);

      // Faults hit every matching call, replays included: the network knows nothing of keys.
      const fault = this.faults.take(call.method, call.path, match.route.template);
      if (fault?.fault === 'connection_drop') {
        return { status: 0, body: '', headers: {}, dropConnection: true, replayed: false };
      }
      const injected = fault === null ? null : faultError(fault.fault, fault.shouldRetry);
      if (injected !== null) {
        throw injected;
      }
      const loseResponse = fault?.fault === 'response_lost';

      const claim = this.claimKey(partition, call, values);
      if (claim.replay !== null) {
        return { ...claim.replay, dropConnection: loseResponse };
      }
      held = claim.held;

      const latency = this.faults.latencyFor(call.method, call.path, match.route.template);
      if (latency > 0) {
        await new Promise((resolve) => setTimeout(resolve, latency));
      }

      const params = new ParamReader(values);
      const ctx: RequestContext = {
        partition,
        account: call.account,
        requestId,
        idempotencyKey: call.idempotencyKey,
      };
      const result = wire(match.route.handle({ sim: this.sim, ctx, params, path: match.path }));
      applyExpansions(this.sim, partition, result, params.expand());

      const answer = jsonAnswer(200, result, {});
      this.store(held, answer, requestId);
      return { ...answer, dropConnection: loseResponse };
    } catch (error) {
      if (!(error instanceof StripeApiError)) {
        this.release(held);
        throw error;
      }
      const answer = jsonAnswer(error.status, { error: error.body }, { ...error.headers });
      if (error.rejectedBeforeWork) {
        this.release(held);
      } else {
        this.store(held, answer, requestId);
      }
      return answer;
    }
  }

  /** Key, account and rate: what Stripe checks before it looks at the request itself. */
  private admit(request: http.IncomingMessage, call: RecordedCall): Partition {
    this.authenticate(request);
    const partition = this.partitionFor(call.account);
    if (!this.faults.admit(partition.key)) {
      throw invalidRequest('Over the requests-per-second limit of test mode; slow down.', {
        status: 429,
        code: 'rate_limit',
      });
    }
    return partition;
  }

  /** Hold the idempotency key for this request, or find the answer it already has. */
  private claimKey(
    partition: Partition,
    call: RecordedCall,
    values: FormObject,
  ): { held: HeldKey | null; replay: ApiAnswer | null } {
    if (call.idempotencyKey === null) {
      return { held: null, replay: null };
    }

    const decision = this.idempotency.begin(
      partition.key,
      call.idempotencyKey,
      call.method,
      call.path,
      fingerprint(values),
    );
    switch (decision.kind) {
      case 'replay':
        return { held: null, replay: replayOf(decision.response) };
      case 'in_flight':
        throw invalidRequest(
          'Another request with this idempotency key is still in progress; retry shortly.',
          { status: 409, code: 'idempotency_key_in_use' },
        );
      case 'mismatch':
        throw new StripeApiError(400, { type: 'idempotency_error', message: decision.message });
      case 'proceed':
        return { held: { scope: partition.key, key: call.idempotencyKey }, replay: null };
    }
  }

  private authenticate(request: http.IncomingMessage): void {
    const key = apiKeyOf(headerValue(request, 'authorization'));
    if (key === null) {
      throw invalidRequest(
        'No API key provided. Send it as a Bearer token in the Authorization header.',
        { status: 401 },
      );
    }
    const accepted = this.apiKey === undefined ? key.startsWith('sk_test_') : key === this.apiKey;
    if (!accepted) {
      throw invalidRequest(`The API key ${redact(key)} is not accepted here.`, { status: 401 });
    }
  }

  private partitionFor(account: string | null): Partition {
    if (account === null) {
      return this.sim.platform;
    }
    if (!this.sim.platform.accounts.has(account)) {
      throw invalidRequest(
        `The API key has no access to account '${account}', or that account does not exist.`,
        { status: 403, code: 'account_invalid' },
      );
    }
    return this.sim.partition(account);
  }

  private store(held: HeldKey | null, answer: ApiAnswer, requestId: string): void {
    if (held !== null) {
      const response: StoredResponse = {
        status: answer.status,
        body: answer.body,
        headers: answer.headers,
        requestId,
      };
      this.idempotency.complete(held.scope, held.key, response);
    }
  }

  private release(held: HeldKey | null): void {
    if (held !== null) {
      this.idempotency.abandon(held.scope, held.key);
    }
  }
}

function decodeParams(url: URL, body: string): FormObject {
  try {
    return { ...decodeForm(url.search.slice(1)), ...decodeForm(body) };
  } catch (error) {
    if (error instanceof FormDecodeError) {
      throw invalidRequest(error.message);
    }
    throw error;
  }
}

function jsonAnswer(status: number, body: unknown, headers: Record<string, string>): ApiAnswer {
  return {
    status,
    body: JSON.stringify(body, null, 2),
    headers,
    dropConnection: false,
    replayed: false,
  };
}

function replayOf(response: StoredResponse): ApiAnswer {
  return {
    status: response.status,
    body: response.body,
    headers: {
      ...response.headers,
      'Idempotent-Replayed': 'true',
      'Original-Request': response.requestId,
    },
    dropConnection: false,
    replayed: true,
  };
}

function headerValue(request: http.IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

/** The secret key of a Bearer header, or of a Basic header as `curl -u sk_test_...:` sends. */
function apiKeyOf(authorization: string | null): string | null {
  if (authorization === null) {
    return null;
  }
  const [scheme, credentials] = authorization.split(' ');
  if (scheme?.toLowerCase() === 'bearer' && credentials) {
    return credentials;
  }
  if (scheme?.toLowerCase() === 'basic' && credentials) {
    const user = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0];
    return user === undefined || user === '' ? null : user;
  }
  return null;
}

function redact(key: string): string {
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function createCallLog(front: ApiFront): CallLog {
  const selected = (match?: Parameters<CallLog['count']>[0]) =>
    front.calls.filter(
      (call) =>
        match === undefined ||
        ((match.method === undefined || match.method.toUpperCase() === call.method) &&
          pathMatches(match.path, call.path, call.route)),
    );

  return {
    count: (match) => selected(match).length,
    byRoute: () => {
      const counts: Record<string, number> = {};
      for (const call of front.calls) {
        const key = `${call.method} ${call.route}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    list: () => front.calls,
    reset: () => {
      front.calls.length = 0;
    },
  };
}

function settingsFrom(options: StripeSimulatorOptions): SimulationSettings {
  return {
    baseUrl: '',
    platformName: options.platformName ?? 'Memberpay Test Platform',
    bankSettlementDelayMs:
      options.bankSettlementDelayMs === undefined ? 2000 : options.bankSettlementDelayMs,
    refundsStartPending: options.refunds?.startPending ?? false,
    refundSettleAfterMs:
      options.refunds?.settleAfterMs === undefined ? 1000 : options.refunds.settleAfterMs,
    searchLagMs: options.searchLagMs ?? 0,
  };
}

function createWebhookControls(sim: Simulation, dispatcher: WebhookDispatcher): WebhookControls {
  return {
    drain: () => {
      sim.flush();
      return dispatcher.drain();
    },
    configure: (settings) => dispatcher.configure(settings),
    pause: () => dispatcher.pause(),
    resume: (options) => dispatcher.resume(options?.order),
    addEndpoint: (endpoint) => {
      const owner = endpoint.account ?? PLATFORM;
      if (owner !== PLATFORM && !sim.platform.accounts.has(owner)) {
        throw new Error(`No connected account ${owner} in the simulator`);
      }
      const record = registerEndpoint(sim, sim.partition(owner), {
        url: endpoint.url,
        enabledEvents: endpoint.enabledEvents ?? ['*'],
        connect: endpoint.connect ?? false,
        apiVersion: null,
        description: null,
        metadata: {},
      });
      return { id: record.endpoint.id, secret: record.secret };
    },
    deliveries: () => dispatcher.deliveries(),
  };
}

/** API calls go to the front; everything else is a hosted page (or a 404). */
function requestListener(
  sim: Simulation,
  front: ApiFront,
  logger: LoggerPort,
): http.RequestListener {
  const serve = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const requestId = `req_${randomToken(14)}`;
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://simulator');

    if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') {
      const answer = await front.handle(request, body, requestId);
      if (answer.dropConnection) {
        request.socket.destroy();
        return;
      }
      const key = headerValue(request, 'idempotency-key');
      response.writeHead(answer.status, {
        'Content-Type': 'application/json',
        'request-id': requestId,
        'Stripe-Version': headerValue(request, 'stripe-version') ?? Stripe.API_VERSION,
        ...(key === null ? {} : { 'Idempotency-Key': key }),
        ...answer.headers,
      });
      response.end(answer.body);
      logger.debug('stripe simulator: api call', {
        requestId,
        method: request.method,
        path: url.pathname,
        status: answer.status,
      });
      return;
    }

    const page = servePage(sim, {
      method: (request.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      form: new URLSearchParams(body),
    }) ?? { status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Not found' };
    response.writeHead(page.status, { 'request-id': requestId, ...page.headers });
    response.end(page.body);
  };

  return (request, response) => {
    serve(request, response).catch((error: unknown) => {
      logger.error('stripe simulator: request failed', {
        reason: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) {
        response.writeHead(500, { 'Content-Type': 'application/json' });
      }
      response.end(JSON.stringify({ error: { type: 'api_error', message: 'Simulator failure' } }));
    });
  };
}

/** Listen, wire the parts together, and hand back the controls of {@link StripeSimulator}. */
export async function startSimulatorServer(
  options: StripeSimulatorOptions,
): Promise<StripeSimulator> {
  const logger = options.logger ?? noopLogger;
  const clock = new SimulationClock(options.clock ?? systemClock);
  const scheduler = new Scheduler(clock, logger);
  const dispatcher = new WebhookDispatcher(() => sim.webhookEndpoints(), clock, logger);
  dispatcher.configure(options.webhooks ?? {});
  const sim: Simulation = new Simulation(
    settingsFrom(options),
    clock,
    scheduler,
    options.ids ?? stripeLikeIds,
    logger,
    dispatcher,
  );
  const idempotency = new IdempotencyStore(clock);
  const faults = new FaultInjector(clock, {
    latencyMs: options.latencyMs ?? 0,
    requestsPerSecond: options.requestsPerSecond ?? null,
  });
  const front = new ApiFront(sim, idempotency, faults, options.apiKey);
  const server = http.createServer(requestListener(sim, front, logger));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  sim.settings.baseUrl = options.publicUrl ?? url;

  return {
    url,
    host,
    port,
    apiKey: options.apiKey ?? DEFAULT_API_KEY,
    stripeOptions: { host, port, protocol: 'http' },
    clock: {
      now: () => new Date(clock.nowMs()),
      advance: async (ms) => {
        clock.advance(ms);
        scheduler.runDue();
        sim.flush();
      },
    },
    faults: {
      failNext: (rule) => faults.failNext(rule),
      setLatency: (ms, match) => faults.setLatency(ms, match),
      setRateLimit: (requestsPerSecond) => faults.setRateLimit(requestsPerSecond),
      pending: () => faults.pending(),
      clear: () => faults.clear(),
    },
    webhooks: createWebhookControls(sim, dispatcher),
    events: {
      list: (filter) => wire(sim.listEvents(filter)),
      waitFor: (type, waitOptions = {}) =>
        sim
          .waitForEvent(type, waitOptions.predicate ?? (() => true), waitOptions.timeoutMs ?? 5000)
          .then(wire),
    },
    calls: createCallLog(front),
    testHelpers: createTestHelpers(sim),
    reset: () => {
      sim.reset();
      dispatcher.stop();
      idempotency.clear();
      faults.clear();
      front.calls.length = 0;
    },
    close: async () => {
      scheduler.cancelAll();
      dispatcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
