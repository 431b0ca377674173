import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One webhook request as it arrived, body untouched for signature checks. */
export interface ReceivedWebhook {
  /** The raw body, exactly the signed bytes. */
  body: string;
  /** `Stripe-Signature`, or an empty string when absent. */
  signature: string;
  headers: http.IncomingHttpHeaders;
  /** The event's `id` and `type`, read from the body. */
  eventId: string;
  eventType: string;
}

export interface WebhookReceiverOptions {
  /**
   * The status to answer with; `index` counts requests from 0. Default: always 200. Return a
   * non-2xx to make the simulator retry.
   */
  respond?: (webhook: ReceivedWebhook, index: number) => number;
}

/** A tiny HTTP endpoint that records what the simulator delivers, for tests and demos. */
export interface WebhookReceiver {
  readonly url: string;
  /** Requests so far, in arrival order. */
  readonly received: readonly ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const respond = options.respond ?? (() => 200);

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhook: ReceivedWebhook = {
        body,
        signature: String(request.headers['stripe-signature'] ?? ''),
        headers: request.headers,
        ...eventIdentity(body),
      };
      const status = respond(webhook, received.length);
      received.push(webhook);

      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end('{"received":true}');
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function eventIdentity(body: string): { eventId: string; eventType: string } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; type?: unknown };
    return { eventId: String(parsed.id ?? ''), eventType: String(parsed.type ?? '') };
  } catch {
    return { eventId: '', eventType: '' };
  }
}
