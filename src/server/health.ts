import type { ServiceDefinition } from './service-definition';

/** The health of one service, or of the whole server when no service is named. */
export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

/** The name the health service is served under, on every app. */
export const HEALTH_SERVICE = 'rivet.Health';

/**
 * Per-service health, as the built-in `rivet.Health` service reports it (the shape of gRPC's
 * health checking protocol). Draining makes everything NOT_SERVING.
 */
export class HealthState {
  private readonly statuses = new Map<string, 'SERVING' | 'NOT_SERVING'>();
  private draining = false;
  private waiters = new Set<() => void>();

  constructor(services: readonly string[]) {
    for (const s of services) this.statuses.set(s, 'SERVING');
  }

  /** The status of `service` ('' or undefined: the server as a whole). */
  status(service?: string): HealthStatus {
    if (service === undefined || service === '') return this.draining ? 'NOT_SERVING' : 'SERVING';
    const s = this.statuses.get(service);
    if (s === undefined) return 'UNKNOWN';
    return this.draining ? 'NOT_SERVING' : s;
  }

  /** Sets a served service's status. Returns false for a service this server does not serve. */
  set(service: string, status: 'SERVING' | 'NOT_SERVING'): boolean {
    if (!this.statuses.has(service)) return false;
    if (this.statuses.get(service) !== status) {
      this.statuses.set(service, status);
      this.notify();
    }
    return true;
  }

  /** Everything is NOT_SERVING from now on. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.notify();
  }

  /**
   * Resolves with the status of `service` once it differs from `known` (at once when it already
   * does, or when `known` is not given), or when `signal` aborts (then with the current status).
   */
  async watch(service: string | undefined, known: HealthStatus | undefined, signal: AbortSignal | undefined): Promise<HealthStatus> {
    for (;;) {
      const now = this.status(service);
      if (known === undefined || now !== known || signal?.aborted) return now;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private notify(): void {
    const waiters = [...this.waiters];
    for (const w of waiters) w();
  }
}

/**
 * The built-in health service: `check(service?)` answers at once; `watch(service?, known?)` answers
 * when the status differs from `known` (a long poll, bounded by the call's deadline: call it again
 * to keep watching).
 */
export function healthServiceDefinition(state: HealthState): ServiceDefinition {
  return {
    name: HEALTH_SERVICE,
    middlewares: [],
    methods: [
      {
        name: 'check',
        idempotent: true,
        middlewares: [],
        handler: (ctx) => ({ status: state.status(typeof ctx.args[0] === 'string' ? ctx.args[0] : undefined) }),
      },
      {
        name: 'watch',
        idempotent: true,
        middlewares: [],
        handler: async (ctx) => {
          const service = typeof ctx.args[0] === 'string' ? ctx.args[0] : undefined;
          const known = ctx.args[1] as HealthStatus | undefined;
          return { status: await state.watch(service, known, ctx.signal) };
        },
      },
    ],
  };
}
