/**
 * A minimal webhook server for a host: one route that gives Stripe's deliveries, raw, to the
 * SDK. Run it with the storage and Stripe account the rest of your host uses:
 *
 *   DATABASE_URL=postgres://... STRIPE_SECRET_KEY=sk_test_... \
 *   STRIPE_WEBHOOK_SECRET=whsec_account...,whsec_connect... PORT=4242 pnpm example:webhook-server
 *
 * Without `DATABASE_URL` it keeps its data in embedded PostgreSQL (PGlite) in
 * `.memberpay/demo-db`, which one process at a time may open: run the scheduler against a
 * PostgreSQL server. With `STRIPE_API_BASE=http://127.0.0.1:12111` and no key it talks to a
 * simulator started with `pnpm stripe-sim --forward-to http://127.0.0.1:4242/webhooks/stripe`.
 *
 * In Stripe, point one endpoint (your account's events) and one Connect endpoint (your
 * connected accounts' events) at `https://<your host>/webhooks/stripe`; for local development,
 * `stripe listen --forward-to localhost:4242/webhooks/stripe --forward-connect-to ...`.
 */
import { createMemberPayments } from '@memberpay/core';
import { openStorage, openStripe } from '../shared/environment';
import { startWebhookEndpoint } from '../shared/webhook-endpoint';

const port = Number(process.env.PORT ?? 4242);
const endpoint = await startWebhookEndpoint({ port });
const stripe = await openStripe(endpoint.url);
const database = await openStorage(process.env.MEMBERPAY_DATA_DIR ?? '.memberpay/demo-db');
endpoint.serve(createMemberPayments({ storage: database.storage, gateway: stripe.gateway }));
console.log(`Listening for Stripe webhooks on ${endpoint.url}`);
console.log(`  storage ${database.where}; payments ${stripe.where}`);

const stop = async () => {
  await endpoint.close();
  await stripe.close();
  await database.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
