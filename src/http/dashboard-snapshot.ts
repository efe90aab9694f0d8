import type { MethodStatsRow } from './method-stats';

/** One endpoint of a service the app calls, as the dashboard shows it. */
export interface EndpointRow {
  /** `'host:port'`. */
  readonly endpoint: string;
  /** The connection's state: idle, connecting, ready, backoff, draining, closed. */
  readonly state: string;
  readonly breaker: 'closed' | 'open' | 'halfOpen';
  readonly ejected: boolean;
  readonly inFlight: number;
  /** Peak-EWMA latency, ms (0 before the first reply). */
  readonly latencyMs: number;
  readonly calls: number;
  readonly failures: number;
}

/** A service the app calls, with its endpoints. */
export interface TargetRow {
  readonly service: string;
  readonly endpoints: readonly EndpointRow[];
}

/** The instances the registry knows of one service. */
export interface RegistryRow {
  readonly service: string;
  readonly instances: ReadonlyArray<{ readonly id: string; readonly address: string; readonly version?: string; readonly zone?: string }>;
}

/** What the dashboard gets once a second over `/rivet/events`: one JSON object per event. */
export interface DashboardSnapshot {
  /** Epoch ms when it was taken. */
  readonly at: number;
  readonly app: {
    /** The app's overall health: SERVING, or NOT_SERVING while draining. */
    readonly health: string;
    readonly ready: boolean;
    readonly services: ReadonlyArray<{ readonly name: string; readonly status: string }>;
    readonly port: number | null;
    readonly httpPort: number | null;
    /**
     * The server's load (app.load(); docs/overload.md): handler calls running, the async limit
     * (null for none), calls queued by admission, calls shed over the last second, event-loop utilization.
     */
    readonly load?: { concurrency: number; limit: number | null; queued: number; shedPerSecond: number; eventLoopUtilization: number };
  };
  readonly methods: readonly MethodStatsRow[];
  readonly targets: readonly TargetRow[];
  readonly registry: readonly RegistryRow[];
}

/** Where the dashboard's snapshots come from (the app builds them). */
export interface DashboardSource {
  snapshot(): DashboardSnapshot;
}
