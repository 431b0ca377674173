import type { GatewayEventRepositoryPort } from '@memberpay/core';
import type { Tables } from '../schema';
import type { UnitSession } from '../session';
import { insertInto, valuesOf } from '../sql';
import { checkInserted } from './writes';

const ENTITY = 'gateway_event';

const COLUMNS = ['event_id', 'organization_id', 'type', 'applied_at'] as const;

export type GatewayEventStatements = ReturnType<typeof gatewayEventStatements>;

/** Gateway event ids are global, so these statements are not scoped by organization. */
export function gatewayEventStatements(tables: Tables) {
  return {
    record: insertInto(tables.gateway_event, COLUMNS),
    has: `SELECT EXISTS (SELECT 1 FROM ${tables.gateway_event} WHERE event_id = $1) AS applied`,
  };
}

export function gatewayEventRepository(
  session: UnitSession,
  statements: GatewayEventStatements,
): GatewayEventRepositoryPort {
  return {
    record: async (event) => {
      const written = await session.query(
        ENTITY,
        statements.record,
        valuesOf(COLUMNS, {
          event_id: event.eventId,
          organization_id: event.organizationId,
          type: event.type,
          applied_at: event.appliedAt,
        }),
      );
      checkInserted(written, ENTITY, event.eventId, 'event id');
    },
    has: async (eventId) => {
      const found = await session.read(ENTITY, statements.has, [eventId]);
      return found.rows[0]?.applied === true;
    },
  };
}
