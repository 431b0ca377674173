import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemberPayments } from '@memberpay/core';
import { readRawBody } from '@memberpay/stripe-adapter';

export interface WebhookEndpoint {
  readonly url: string;
  /** Starts applying deliveries; until then they are answered 503 and Stripe retries. */
  serve(payments: MemberPayments): void;
  close(): Promise<void>;
}

/**
 * A host's webhook endpoint, as small as it gets: read the raw body (never a parsed JSON
 * object: the signature covers the exact bytes), hand it with the `Stripe-Signature` header to
 * the SDK, and answer 200 when it was applied (or is a duplicate, or not ours), 400 when it
 * cannot be trusted, 500 when something failed and Stripe should deliver it again.
 */
export async function startWebhookEndpoint(
  options: { readonly port?: number; readonly path?: string } = {},
): Promise<WebhookEndpoint> {
  const path = options.path ?? '/webhooks/stripe';
  let payments: MemberPayments | null = null;
  const server = createServer(async (request, response) => {
    if (request.method !== 'POST' || request.url !== path) {
      response.writeHead(404).end();
      return;
    }

    if (payments === null) {
      response.writeHead(503).end('not ready');
      return;
    }

    const rawBody = await readRawBody(request);
    if (rawBody.isErr()) {
      response.writeHead(400).end(rawBody.error.message);
      return;
    }

    const signature = String(request.headers['stripe-signature'] ?? '');
    const outcome = await payments.webhooks.handle({ rawBody: rawBody.value, signature });
    if (outcome.isOk()) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ received: true, status: outcome.value.status }));
      return;
    }

    const status = outcome.error.code === 'WEBHOOK.INVALID' ? 400 : 500;
    response.writeHead(status).end(outcome.error.message);
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    serve: (sdk) => {
      payments = sdk;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
