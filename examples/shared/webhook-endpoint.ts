import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemberPayments, WebhookOutcome } from '@memberpay/core';
import { readRawBody } from '@memberpay/stripe-adapter';
import { describeFailure } from './failure';

export interface WebhookEndpoint {
  readonly url: string;
  /** What the SDK made of each delivery it acknowledged, oldest first. */
  readonly received: readonly WebhookOutcome[];
  /** How many deliveries were refused (400: not trusted) or failed (500: Stripe retries). */
  readonly refusedCount: number;
  /** Starts applying deliveries; until then they are answered 503 and Stripe retries. */
  serve(payments: MemberPayments): void;
  close(): Promise<void>;
}

/**
 * A host's webhook endpoint, as small as it gets: read the raw body (never a parsed JSON
 * object: the signature covers the exact bytes), hand it with the `Stripe-Signature` header to
 * the SDK, and answer 200 when it was applied (or is a duplicate, or not ours), 400 when it
 * cannot be trusted, 500 when something failed and Stripe should deliver it again. Each
 * delivery it does not answer 200 is logged in one line with the reason.
 */
export async function startWebhookEndpoint(
  options: {
    readonly port?: number;
    readonly path?: string;
    readonly log?: (line: string) => void;
  } = {},
): Promise<WebhookEndpoint> {
  const path = options.path ?? '/webhooks/stripe';
  const log = options.log ?? ((line: string) => console.warn(line));
  const received: WebhookOutcome[] = [];
  let refusedCount = 0;
  let payments: MemberPayments | null = null;
  const refuse = (status: number, reason: string) => {
    refusedCount += 1;
    log(`webhook delivery refused (${status}): ${reason}`);
  };

  const server = createServer(async (request, response) => {
    if (request.method !== 'POST' || request.url !== path) {
      if (request.method === 'POST') {
        refuse(404, `${request.url} is not the webhook path; forward to ${path}`);
      }
      response.writeHead(404).end();
      return;
    }

    if (payments === null) {
      response.writeHead(503).end('not ready');
      return;
    }

    const rawBody = await readRawBody(request);
    if (rawBody.isErr()) {
      refuse(400, rawBody.error.message);
      response.writeHead(400).end(rawBody.error.message);
      return;
    }

    const signature = String(request.headers['stripe-signature'] ?? '');
    const outcome = await payments.webhooks.handle({ rawBody: rawBody.value, signature });
    if (outcome.isOk()) {
      received.push(outcome.value);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ received: true, status: outcome.value.status }));
      return;
    }

    const untrusted = outcome.error.code === 'WEBHOOK.INVALID';
    const hint =
      outcome.error.details.kind === 'signature_invalid' ? '; check STRIPE_WEBHOOK_SECRET' : '';
    refuse(
      untrusted ? 400 : 500,
      untrusted
        ? `${outcome.error.message}${hint}`
        : `${describeFailure(outcome.error)}; Stripe will deliver it again`,
    );
    response.writeHead(untrusted ? 400 : 500).end(outcome.error.message);
  });

  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenFailure(error, port)));
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}${path}`,
    received,
    get refusedCount() {
      return refusedCount;
    },
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

function listenFailure(error: NodeJS.ErrnoException, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(
        `Port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose ` +
          'another port with PORT=<number> (PORT=0 takes any free one)',
      );
    case 'EACCES':
      return new Error(
        `Port ${port} needs privileges this process lacks: choose one above 1023 with ` +
          'PORT=<number>',
      );
    default:
      return error;
  }
}
