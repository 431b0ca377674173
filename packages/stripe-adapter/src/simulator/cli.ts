/**
 * `pnpm stripe-sim --port 12111`: run the Stripe simulator until killed.
 *
 * Options: --port, --host, --api-key, --rps (test-mode cap, e.g. 25), --bank-delay-ms,
 * --forward-to <url> [--connect] (register a webhook endpoint and print its secret).
 */
import { parseArgs } from 'node:util';
import { startStripeSimulator } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    rps: { type: 'string' },
    'bank-delay-ms': { type: 'string' },
    'forward-to': { type: 'string' },
    connect: { type: 'boolean', default: false },
  },
});

function integerOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got ${text}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const bankDelay = values['bank-delay-ms'];
  const sim = await startStripeSimulator({
    port: integerOption('port', values.port),
    host: values.host,
    ...(values['api-key'] === undefined ? {} : { apiKey: values['api-key'] }),
    requestsPerSecond: integerOption('rps', values.rps) ?? null,
    ...(bankDelay === undefined
      ? {}
      : { bankSettlementDelayMs: integerOption('bank-delay-ms', bankDelay) }),
    logger: {
      debug: () => undefined,
      info: (message) => console.log(message),
      warn: (message, fields) => console.warn(message, fields ?? ''),
      error: (message, fields) => console.error(message, fields ?? ''),
    },
  });

  console.log(`Stripe simulator listening on ${sim.url}`);
  console.log(
    `  new Stripe('${sim.apiKey}', { host: '${sim.host}', port: ${sim.port}, protocol: 'http' })`,
  );

  const forwardTo = values['forward-to'];
  if (forwardTo !== undefined) {
    const endpoint = sim.webhooks.addEndpoint({ url: forwardTo, connect: values.connect });
    const kind = values.connect ? 'Connect' : 'account';
    console.log(`  webhooks -> ${forwardTo} (${kind} endpoint)`);
    console.log(`  signing secret: ${endpoint.secret}`);
  }

  const shutdown = async () => {
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
