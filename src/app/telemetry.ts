import type { Logger } from 'pino';
import type { Client } from '../client';
import { type AdmissionSource, type ConnectionSource, type ShedNotice, telemetryHooksOf } from '../observability';

/** What an app or client offers its global interceptors' telemetry hooks. */
export interface TelemetryTargets {
  logger: Logger;
  client: Client;
  /** A server's open connections and its port (apps only). */
  server?: ConnectionSource;
  /** The server's admission: its state, and a way to hear of every call it sheds (apps with admission on). */
  admission?: AdmissionSource & { onShed(listener: (n: ShedNotice) => void): void };
}

/**
 * Feeds the telemetry hooks of global interceptors (accessLog, metrics, wherever the user put
 * them in `interceptors` or `telemetry` made them): the logger, the client's breaker events and
 * the server's connection count. Done once at creation; returns what to call on close.
 */
export function wireTelemetry(interceptors: readonly unknown[], targets: TelemetryTargets): () => void {
  const stops: Array<() => void> = [];
  for (const i of interceptors) {
    const hooks = telemetryHooksOf(i);
    if (hooks === undefined) continue;
    hooks.useLogger?.(targets.logger);
    const onBreaker = hooks.breakerChanged;
    if (onBreaker !== undefined) targets.client.on('breaker', (change) => onBreaker(change));
    const onRemoved = hooks.endpointRemoved;
    if (onRemoved !== undefined) targets.client.on('endpointRemoved', (e) => onRemoved(e));
    const server = targets.server;
    if (hooks.observeConnections !== undefined && server !== undefined) {
      stops.push(hooks.observeConnections(server));
    }
    const admission = targets.admission;
    if (admission !== undefined) {
      const onShed = hooks.callShed;
      if (onShed !== undefined) admission.onShed((n) => onShed(n));
      if (hooks.observeAdmission !== undefined) stops.push(hooks.observeAdmission(admission));
    }
  }
  return () => {
    for (const stop of stops) stop();
  };
}
