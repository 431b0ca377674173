import type Stripe from 'stripe';
import { invalidRequest, parameterMissing, resourceMissing } from '../http/errors';
import { newestFirst, paginate } from '../http/list';
import { acceptedParams, type ParamReader } from '../http/params';
import { type ApiCall, type Route, route } from '../http/routes';
import { randomToken } from '../state/ids';
import type { Simulation } from '../state/simulation';
import type { Partition, WebhookEndpointRecord } from '../state/store';

export interface EndpointInit {
  url: string;
  enabledEvents: readonly string[];
  connect: boolean;
  apiVersion: string | null;
  description: string | null;
  metadata: Record<string, string>;
}

function findEndpoint(partition: Partition, id: string): WebhookEndpointRecord {
  const record = partition.webhookEndpoints.get(id);
  if (record === undefined) {
    throw resourceMissing('webhook_endpoint', id);
  }
  return record;
}

function readUrl(params: ParamReader): string {
  const url = params.requireString('url');
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw invalidRequest(`Invalid URL: ${url}`, { code: 'url_invalid', param: 'url' });
  }
  return url;
}

function readEnabledEvents(params: ParamReader): string[] {
  const events = params.strings('enabled_events');
  if (events === undefined || events.length === 0) {
    throw parameterMissing('enabled_events');
  }
  return events;
}

/** Register an endpoint on `partition`; the answer is the only place its secret is shown. */
export function registerEndpoint(
  sim: Simulation,
  partition: Partition,
  init: EndpointInit,
): WebhookEndpointRecord {
  const secret = `whsec_${randomToken(32)}`;
  const endpoint: Stripe.WebhookEndpoint = {
    id: sim.newId('we'),
    object: 'webhook_endpoint',
    api_version: init.apiVersion,
    application: null,
    created: sim.now(),
    description: init.description,
    enabled_events: [...init.enabledEvents],
    livemode: false,
    metadata: init.metadata,
    status: 'enabled',
    url: init.url,
  };

  const record = { endpoint, secret, owner: partition.key, connect: init.connect };
  partition.webhookEndpoints.set(endpoint.id, record);
  return record;
}

function createEndpoint({ sim, ctx, params }: ApiCall): Stripe.WebhookEndpoint {
  const record = registerEndpoint(sim, ctx.partition, {
    url: readUrl(params),
    enabledEvents: readEnabledEvents(params),
    connect: params.boolean('connect') ?? false,
    apiVersion: params.string('api_version') ?? null,
    description: params.string('description') ?? null,
    metadata: params.metadata(),
  });
  return { ...record.endpoint, secret: record.secret };
}

function updateEndpoint({ ctx, params, path }: ApiCall): Stripe.WebhookEndpoint {
  const { endpoint } = findEndpoint(ctx.partition, path.id ?? '');
  if (params.has('url')) {
    endpoint.url = readUrl(params);
  }
  if (params.has('enabled_events')) {
    endpoint.enabled_events = readEnabledEvents(params);
  }
  const disabled = params.boolean('disabled');
  if (disabled !== undefined) {
    endpoint.status = disabled ? 'disabled' : 'enabled';
  }
  if (params.has('description')) {
    endpoint.description = params.string('description') ?? null;
  }
  endpoint.metadata = params.metadata(endpoint.metadata);
  return endpoint;
}

export const webhookEndpointRoutes: Route[] = [
  route(
    'POST',
    '/v1/webhook_endpoints',
    acceptedParams<Stripe.WebhookEndpointCreateParams>({
      api_version: true,
      connect: true,
      description: true,
      enabled_events: true,
      expand: true,
      metadata: true,
      url: true,
    }),
    createEndpoint,
  ),
  route(
    'GET',
    '/v1/webhook_endpoints/:id',
    acceptedParams<Stripe.WebhookEndpointRetrieveParams>({ expand: true }),
    ({ ctx, path }) => findEndpoint(ctx.partition, path.id ?? '').endpoint,
  ),
  route(
    'POST',
    '/v1/webhook_endpoints/:id',
    acceptedParams<Stripe.WebhookEndpointUpdateParams>({
      description: true,
      disabled: true,
      enabled_events: true,
      expand: true,
      metadata: true,
      url: true,
    }),
    updateEndpoint,
  ),
  route(
    'DELETE',
    '/v1/webhook_endpoints/:id',
    acceptedParams<Stripe.WebhookEndpointDeleteParams>({}),
    ({ ctx, path }): Stripe.DeletedWebhookEndpoint => {
      const { endpoint } = findEndpoint(ctx.partition, path.id ?? '');
      ctx.partition.webhookEndpoints.delete(endpoint.id);
      return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
    },
  ),
  route(
    'GET',
    '/v1/webhook_endpoints',
    acceptedParams<Stripe.WebhookEndpointListParams>({
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
    }),
    ({ ctx, params }) => {
      const endpoints = newestFirst(ctx.partition.webhookEndpoints.values()).map(
        (record) => record.endpoint,
      );
      return paginate(endpoints, params, '/v1/webhook_endpoints');
    },
  ),
];
