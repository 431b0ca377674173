import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { readRawBody } from '../../src/index';

const BODY = '{\n  "id": "evt_1",\n  "description": "Copago – José"\n}\n';

let close: (() => Promise<void>) | null = null;

afterEach(async () => {
  await close?.();
  close = null;
});

/** Posts `body` to a real Node server whose handler runs `handle` on the request. */
async function postThrough<T>(
  body: string,
  handle: (request: http.IncomingMessage) => PromiseLike<T>,
): Promise<T> {
  let answer: Promise<T> | undefined;
  const server = http.createServer((request, response) => {
    answer = Promise.resolve(handle(request));
    answer.finally(() => response.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  const { port } = server.address() as AddressInfo;

  await fetch(`http://127.0.0.1:${port}/webhooks`, { method: 'POST', body });
  if (!answer) {
    throw new Error('the handler never ran');
  }
  return answer;
}

describe('readRawBody', () => {
  test('reads the exact bytes of a Node request, non-ASCII included', async () => {
    const result = await postThrough(BODY, (request) => readRawBody(request));

    expect(result._unsafeUnwrap()).toBe(BODY);
  });

  test('refuses a body larger than the limit', async () => {
    const result = await postThrough(BODY, (request) => readRawBody(request, { limitBytes: 10 }));

    expect(result._unsafeUnwrapErr().kind).toBe('malformed');
  });

  test('refuses a Node request whose body someone else already read', async () => {
    const result = await postThrough(BODY, async (request) => {
      await readRawBody(request);
      return readRawBody(request);
    });

    expect(result._unsafeUnwrapErr().kind).toBe('raw_body_required');
  });

  test('takes a body a raw-body middleware left as a Buffer or string', async () => {
    const asBuffer = { body: Buffer.from(BODY, 'utf8') } as unknown as http.IncomingMessage;
    const asString = { body: BODY } as unknown as http.IncomingMessage;

    expect((await readRawBody(asBuffer))._unsafeUnwrap()).toBe(BODY);
    expect((await readRawBody(asString))._unsafeUnwrap()).toBe(BODY);
  });

  test('refuses a body a JSON parser already turned into an object (BR-19)', async () => {
    const parsed = { body: JSON.parse(BODY) } as unknown as http.IncomingMessage;

    const error = (await readRawBody(parsed))._unsafeUnwrapErr();

    expect(error.kind).toBe('raw_body_required');
  });

  test('reads a fetch Request', async () => {
    const request = new Request('http://host.example.test/webhooks', {
      method: 'POST',
      body: BODY,
    });

    expect((await readRawBody(request))._unsafeUnwrap()).toBe(BODY);
  });
});
