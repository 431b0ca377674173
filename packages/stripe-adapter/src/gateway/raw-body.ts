import type { IncomingMessage } from 'node:http';
import { WebhookError } from '@memberpay/core';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';

/**
 * What a webhook route receives: a Node request (plain `node:http`, Express, Fastify's
 * `request.raw`), possibly with a `body` a middleware already read, or a fetch `Request`
 * (Next.js route handlers, Hono, workers).
 */
export type WebhookHttpRequest = (IncomingMessage & { readonly body?: unknown }) | Request;

const DEFAULT_LIMIT_BYTES = 1024 * 1024;

/**
 * The body exactly as it arrived, as a string, for `verifyWebhook`. A body some middleware
 * already turned into an object (a global `express.json()`) is refused: the signed bytes are
 * gone, and re-serialising never reproduces them. Mount `express.raw({ type:
 * 'application/json' })` on the webhook route, or nothing at all.
 */
export function readRawBody(
  request: WebhookHttpRequest,
  options: { readonly limitBytes?: number } = {},
): ResultAsync<string, WebhookError> {
  const limitBytes = options.limitBytes ?? DEFAULT_LIMIT_BYTES;

  if (request instanceof Request) {
    return ResultAsync.fromPromise(request.text(), unreadable);
  }

  if (request.body !== undefined) {
    if (typeof request.body === 'string') {
      return okAsync(request.body);
    }

    if (request.body instanceof Uint8Array) {
      return okAsync(Buffer.from(request.body).toString('utf8'));
    }

    return errAsync(
      new WebhookError(
        'raw_body_required',
        'A body parser turned the webhook body into an object before it could be verified; ' +
          'give the webhook route the raw body',
      ),
    );
  }

  if (request.readableEnded) {
    return errAsync(
      new WebhookError('raw_body_required', 'The webhook body was already read by someone else'),
    );
  }

  return ResultAsync.fromPromise(readStream(request, limitBytes), unreadable);
}

async function readStream(request: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > limitBytes) {
      throw new WebhookError('malformed', `The webhook body is larger than ${limitBytes} bytes`);
    }
    chunks.push(bytes);
  }

  return Buffer.concat(chunks).toString('utf8');
}

function unreadable(cause: unknown): WebhookError {
  return cause instanceof WebhookError
    ? cause
    : new WebhookError('malformed', 'The webhook body could not be read', cause);
}
