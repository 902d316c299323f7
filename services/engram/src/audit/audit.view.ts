import { AuditEvent, AuditPage } from './audit-event';

/** One entry as the API, the CLI's --json and the dashboard show it. */
export function toAuditView(event: AuditEvent) {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    action: event.action,
    outcome: event.outcome,
    principal: event.principal,
    namespace: event.namespace,
    client_address: event.clientAddress,
    target: event.target,
    details: event.details,
  };
}

export function toAuditPageView(page: AuditPage) {
  return { events: page.events.map(toAuditView), next_cursor: page.nextCursor };
}
