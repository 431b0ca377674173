import type Stripe from 'stripe';
import { resourceMissing } from '../http/errors';
import { newestFirst, paginate, timestampFilter } from '../http/list';
import { acceptedParams } from '../http/params';
import { type Route, route } from '../http/routes';

/** `invoice.paid` matches itself; `invoice.*` matches every invoice event. */
function typeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

export const eventRoutes: Route[] = [
  route(
    'GET',
    '/v1/events/:id',
    acceptedParams<Stripe.EventRetrieveParams>({ expand: true }),
    ({ ctx, path }) => {
      const event = ctx.partition.events.get(path.id ?? '');
      if (event === undefined) {
        throw resourceMissing('event', path.id ?? '');
      }
      return event;
    },
  ),
  route(
    'GET',
    '/v1/events',
    acceptedParams<Stripe.EventListParams>({
      created: true,
      delivery_success: true,
      ending_before: true,
      expand: true,
      limit: true,
      starting_after: true,
      type: true,
      types: true,
    }),
    ({ ctx, params }) => {
      const type = params.string('type');
      const types = params.strings('types');
      const created = timestampFilter(params, 'created');
      const events = newestFirst(ctx.partition.events.values()).filter(
        (event) =>
          (type === undefined || typeMatches(type, event.type)) &&
          (types === undefined || types.some((pattern) => typeMatches(pattern, event.type))) &&
          created(event.created),
      );
      return paginate(events, params, '/v1/events');
    },
  ),
];
