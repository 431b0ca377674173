import { INITIAL_SCHEMA } from './0001-initial-schema';
import { REQUEST_MEMBER_AND_CLAIM_KEYS } from './0002-request-member-and-claim-keys';
import { LEANER_REQUEST_WRITES } from './0003-leaner-request-writes';
import { REQUEST_FOLLOW_UP_QUEUE } from './0004-request-follow-up-queue';
import { REMITTANCE_SOURCE_IN_IDENTITY } from './0005-remittance-source-in-identity';
import { CLAIM_PAYMENTS_BY_CLAIM } from './0006-claim-payments-by-claim';

export interface Migration {
  /** Applied in ascending order; each version once per schema. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'request member and claim keys', sql: REQUEST_MEMBER_AND_CLAIM_KEYS },
  { version: 3, name: 'leaner request writes', sql: LEANER_REQUEST_WRITES },
  { version: 4, name: 'request follow-up queue', sql: REQUEST_FOLLOW_UP_QUEUE },
  { version: 5, name: 'remittance source in identity', sql: REMITTANCE_SOURCE_IN_IDENTITY },
  { version: 6, name: 'claim payments by claim', sql: CLAIM_PAYMENTS_BY_CLAIM },
];
