import { inspect } from 'node:util';

/**
 * Makes whatever failure reaches the top of an example print one line on stderr,
 * `error: CODE: message (cause)`, and exit with status 1. `DEBUG=memberpay` prints the whole
 * error, with its stack and causes, before that line.
 */
export function exitOnFailure(): void {
  const fail = (error: unknown) => {
    // The reader of the output went away (`| head`): nothing failed that needs telling.
    if ((error as NodeJS.ErrnoException | null)?.code === 'EPIPE') {
      process.exit(0);
    }

    if (debugging()) {
      console.error(inspect(unwrapped(error), { depth: null }));
    }

    console.error(`error: ${describeFailure(error)}`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/** One line for people: the code when there is one, the message, then what caused it. */
export function describeFailure(thrown: unknown): string {
  const error = unwrapped(thrown);
  if (!(error instanceof Error)) {
    return String(error);
  }

  const code = 'code' in error && typeof error.code === 'string' ? error.code : null;
  // Node's system errors already start their message with the code.
  let line = code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  for (const message of causeMessages(error)) {
    if (!line.includes(message)) {
      line += ` (${message})`;
    }
  }

  return line.replaceAll(/\s*\n\s*/g, ' ');
}

function debugging(): boolean {
  const names = (process.env.DEBUG ?? '').split(/[\s,]+/);
  return names.some((name) => name === '*' || name.startsWith('memberpay'));
}

/** `_unsafeUnwrap()` throws `{ data: { type: 'Err', value } }`: the error is the value. */
function unwrapped(thrown: unknown): unknown {
  if (typeof thrown === 'object' && thrown !== null && 'data' in thrown) {
    const { data } = thrown as { data?: { type?: unknown; value?: unknown } };
    if (data?.type === 'Err') {
      return data.value;
    }
  }

  return thrown;
}

function causeMessages(error: Error): string[] {
  const messages: string[] = [];
  const seen = new Set<unknown>([error]);
  let next = nextCause(error);
  while (next instanceof Error && !seen.has(next)) {
    seen.add(next);
    messages.push(next.message);
    next = nextCause(next);
  }

  return messages;
}

/** stripe-node keeps the network error of a failed connection in `detail`, not `cause`. */
function nextCause(error: Error): unknown {
  if (error.cause !== undefined) {
    return error.cause;
  }

  return 'detail' in error ? error.detail : undefined;
}
