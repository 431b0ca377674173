/**
 * A minimal webhook server for a host: one route that gives Stripe's deliveries, raw, to the
 * SDK. Run it with the storage and Stripe account the rest of your host uses:
 *
 *   DATABASE_URL=postgres://... STRIPE_SECRET_KEY=sk_test_... \
 *   STRIPE_WEBHOOK_SECRET=whsec_account...,whsec_connect... PORT=4242 pnpm example:webhook-server
 *
 * `STRIPE_WEBHOOK_SECRET` holds the signing secrets of the endpoints that deliver here (the
 * Dashboard shows them; `stripe listen` and `pnpm stripe-sim --forward-to` print them). Without
 * it no delivery can be verified: the server warns at start, and refuses each one with 400.
 * Every delivery it does not accept is logged in one line with the reason.
 *
 * Without `DATABASE_URL` it keeps its data in embedded PostgreSQL (PGlite) in
 * `.memberpay/demo-db`, which one process at a time may open (the demo and the scheduler are
 * refused while this runs): share data between processes through a PostgreSQL server. With
 * `STRIPE_API_BASE=http://127.0.0.1:12111` and no key it talks to a simulator started with
 * `pnpm stripe-sim --forward-to http://127.0.0.1:4242/webhooks/stripe`.
 *
 * In Stripe, point one endpoint (your account's events) and one Connect endpoint (your
 * connected accounts' events) at `https://<your host>/webhooks/stripe`; for local development,
 * `stripe listen --forward-to localhost:4242/webhooks/stripe --forward-connect-to ...`.
 */
import { createMemberPayments } from '@memberpay/core';
import { missingSecretWarning, openStorage, openStripe, webhookPort } from '../shared/environment';
import { exitOnFailure } from '../shared/failure';
import { startWebhookEndpoint } from '../shared/webhook-endpoint';

exitOnFailure();
const endpoint = await startWebhookEndpoint({ port: webhookPort(4242) });
const stripe = await openStripe(endpoint.url);
const warning = missingSecretWarning(stripe);
if (warning) {
  console.warn(warning);
}

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
