/**
 * `pnpm stripe-sim --port 12111` (installed as `memberpay-stripe-sim`): run the Stripe
 * simulator until killed.
 */
import { parseArgs } from 'node:util';
import { startStripeSimulator } from './index';

const USAGE = `usage: memberpay-stripe-sim [options]   (pnpm stripe-sim in the repository)
  --port N            port to listen on (default 12111; 0 picks a free one)
  --host H            interface to bind (default 127.0.0.1)
  --api-key K         accept only this secret key (default: any sk_test_... key)
  --rps N             answer 429 beyond N requests a second, as test mode does (25)
  --latency-ms N      add N milliseconds to every API call
  --bank-delay-ms N   how long bank payments stay processing (default 2000)
  --forward-to URL    deliver webhooks to URL, from an account endpoint and a Connect
                      endpoint; prints both signing secrets
  --help              this text`;

function readOptions() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '12111' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string' },
        rps: { type: 'string' },
        'latency-ms': { type: 'string' },
        'bank-delay-ms': { type: 'string' },
        'forward-to': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    process.exit(2);
  }
}

const values = readOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

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
    latencyMs: integerOption('latency-ms', values['latency-ms']) ?? 0,
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
    // Events of the platform and of connected accounts (account.updated) reach the host
    // through two endpoints, each with its own secret, as at Stripe.
    const account = sim.webhooks.addEndpoint({ url: forwardTo });
    const connect = sim.webhooks.addEndpoint({ url: forwardTo, connect: true });
    console.log(`  webhooks -> ${forwardTo} (an account endpoint and a Connect endpoint)`);
    console.log(`  STRIPE_WEBHOOK_SECRET=${account.secret},${connect.secret}`);
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
