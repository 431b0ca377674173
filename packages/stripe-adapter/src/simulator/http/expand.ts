import { type Simulation, wire } from '../state/simulation';
import type { Partition } from '../state/store';
import { invalidRequest } from './errors';
import { newestFirst } from './list';

/** Stripe counts `data` of a list as a level: `data.payment_intent.customer.x` is the deepest. */
const MAX_EXPAND_DEPTH = 4;

/** Id prefixes and where their objects live, longest prefix first. */
const PREFIXES: ReadonlyArray<readonly [string, (partition: Partition, id: string) => unknown]> = [
  ['inpay_', (partition, id) => partition.invoicePayments.get(id)],
  ['trr_', (partition, id) => partition.transferReversals.get(id)],
  ['cus_', (partition, id) => partition.customers.get(id)],
  ['in_', (partition, id) => partition.invoices.get(id)?.invoice],
  ['ii_', (partition, id) => partition.invoiceItems.get(id)],
  ['pi_', (partition, id) => partition.paymentIntents.get(id)?.intent],
  ['ch_', (partition, id) => partition.charges.get(id)],
  ['re_', (partition, id) => partition.refunds.get(id)],
  ['dp_', (partition, id) => partition.disputes.get(id)],
  ['tr_', (partition, id) => partition.transfers.get(id)],
  ['evt_', (partition, id) => partition.events.get(id)],
];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replace ids named by `expand[]` paths with their objects, inside `response` (already a wire
 * copy, so the store is never touched). Includable fields (`invoice.payments`,
 * `charge.refunds`) appear only when expanded.
 */
export function applyExpansions(
  sim: Simulation,
  partition: Partition,
  response: unknown,
  paths: readonly string[],
): void {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_EXPAND_DEPTH) {
      throw invalidRequest(`Expansions reach at most ${MAX_EXPAND_DEPTH} levels deep: ${path}`, {
        param: 'expand',
      });
    }
    expandAt(sim, partition, response, segments, path);
  }
}

function expandAt(
  sim: Simulation,
  partition: Partition,
  node: unknown,
  segments: readonly string[],
  path: string,
): void {
  const [head, ...rest] = segments;
  if (head === undefined || !isObject(node)) {
    return;
  }

  const isList = node.object === 'list' || node.object === 'search_result';
  if (isList && head === 'data' && Array.isArray(node.data)) {
    for (const item of node.data) {
      expandAt(sim, partition, item, rest, path);
    }
    return;
  }

  const value = resolveField(sim, partition, node, head, path);
  if (value !== null) {
    node[head] = value;
    expandAt(sim, partition, value, rest, path);
  }
}

function resolveField(
  sim: Simulation,
  partition: Partition,
  node: JsonObject,
  field: string,
  path: string,
): unknown {
  const included = includable(partition, node, field);
  if (included !== undefined) {
    return included;
  }

  const value = node[field];
  if (value === null || isObject(value)) {
    return value;
  }
  if (typeof value === 'string') {
    const found = findById(sim, partition, value);
    if (found !== undefined) {
      return wire(found);
    }
  }
  throw invalidRequest(`The field ${field} is not expandable: ${path}`, {
    param: 'expand',
  });
}

/** Fields Stripe leaves out unless asked for. */
function includable(partition: Partition, node: JsonObject, field: string): unknown {
  if (node.object === 'invoice' && field === 'payments' && typeof node.id === 'string') {
    const invoiceId = node.id;
    const payments = newestFirst(partition.invoicePayments.values()).filter(
      (payment) => payment.invoice === invoiceId,
    );
    return {
      object: 'list',
      data: wire(payments),
      has_more: false,
      url: `/v1/invoice_payments?invoice=${invoiceId}`,
    };
  }

  if (node.object === 'charge' && field === 'refunds' && typeof node.id === 'string') {
    const chargeId = node.id;
    const refunds = newestFirst(partition.refunds.values()).filter(
      (refund) => refund.charge === chargeId,
    );
    return {
      object: 'list',
      data: wire(refunds),
      has_more: false,
      url: `/v1/charges/${chargeId}/refunds`,
    };
  }

  return undefined;
}

/** The object an id names, looked up in `partition` (accounts on the platform). */
export function findById(sim: Simulation, partition: Partition, id: string): unknown {
  if (id.startsWith('acct_')) {
    return sim.platform.accounts.get(id);
  }

  const entry = PREFIXES.find(([prefix]) => id.startsWith(prefix));
  return entry?.[1](partition, id);
}
