import { ClientCall } from './client-call';
import type { ChannelCall } from './connection/channel-call';
import { type LearningCall, learnFacts, type MethodFacts, type MethodFactsSource } from './method-facts';

/** The built-in service a server answers method facts from (the server's `rivet.Reflection`). */
const REFLECTION_SERVICE = 'rivet.Reflection';

/** How long one lookup may take; it runs on a connection that just answered a call. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** After a refused or failed lookup, the next may start no sooner than this, doubling to the cap. */
const RETRY_AFTER_MS = 5_000;
const RETRY_AFTER_MAX_MS = 10 * 60_000;

// Metadata the client's own stages add to one attempt; the lookup is not an attempt of that call.
const ATTEMPT_KEYS: ReadonlySet<string> = new Set(['rivet-attempt', 'rivet-hedge']);

/** A channel, as the lookup sees it: where it sends one call, and the handshake's facts. */
export interface FactsChannel extends MethodFactsSource {
  call(ctx: ChannelCall): Promise<unknown>;
}

/** What one endpoint's `rivet.Reflection.describe(service)` said, or is saying. */
class LearntService implements MethodFactsSource {
  methods: Map<string, MethodFacts> | null = null;
  pending: Promise<void> | null = null;
  /** Epoch ms before which no new lookup starts (after a refusal or a failure). */
  retryAt = 0;
  failures = 0;

  constructor(readonly service: string) {}

  methodFacts(service: string, method: string): MethodFacts | undefined {
    return service === this.service ? this.methods?.get(method) : undefined;
  }
}

/**
 * The second {@link MethodFactsSource}: method facts learnt from an authenticated call. When a
 * server's handshake advertises no facts (`createApp({ advertiseMethods: false })`), a call by
 * name that succeeded proves the caller's metadata is accepted; the client then asks that
 * endpoint's `rivet.Reflection.describe(service)` once, in the background, with the same
 * metadata (so the same authorization), and later calls learn idempotency and timeouts from the
 * answer. A refusal (reflection off, not allowed) or a failure leaves the methods unknown (so not
 * idempotent) and holds the next lookup back, 5 s doubling to 10 min.
 *
 * One per client, keyed by channel (one per endpoint and transport): weakly, so an endpoint that
 * leaves the registry takes what was learnt of it along.
 */
export class ReflectionFacts {
  private readonly byChannel = new WeakMap<FactsChannel, Map<string, LearntService>>();

  /**
   * After the handshake said nothing of a call's method: learns what a finished lookup said, and
   * returns the lookup in flight, if any, so a failed attempt can wait for it before its retry
   * is decided. Starts a lookup when `succeeded` (the call's metadata was accepted) and none was
   * made or is held back.
   */
  learn(ctx: LearningCall & { readonly metadata: Record<string, string> }, channel: FactsChannel, succeeded: boolean): Promise<void> | undefined {
    const entry = this.entry(channel, ctx.service);
    if (entry.methods !== null) {
      learnFacts(ctx, entry);
      return undefined;
    }
    if (entry.pending !== null) return entry.pending;
    if (succeeded && Date.now() >= entry.retryAt) this.lookUp(entry, channel, ctx.metadata);
    return undefined;
  }

  private entry(channel: FactsChannel, service: string): LearntService {
    let services = this.byChannel.get(channel);
    if (services === undefined) this.byChannel.set(channel, (services = new Map()));
    let entry = services.get(service);
    if (entry === undefined) services.set(service, (entry = new LearntService(service)));
    return entry;
  }

  private lookUp(entry: LearntService, channel: FactsChannel, metadata: Record<string, string>): void {
    const md: Record<string, string> = {};
    for (const k of Object.keys(metadata)) if (!ATTEMPT_KEYS.has(k)) md[k] = metadata[k];
    const call = new ClientCall(REFLECTION_SERVICE, 'describe', [entry.service], md, Date.now() + LOOKUP_TIMEOUT_MS, true, true);
    // The server holds the same deadline; this timer only covers a server that stopped answering.
    const timer = setTimeout(() => call.expire(), LOOKUP_TIMEOUT_MS + 1_000);
    timer.unref();
    let attempt: Promise<unknown>;
    try {
      attempt = channel.call(call);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    entry.pending = attempt.then(
      (described) => {
        clearTimeout(timer);
        entry.pending = null;
        const methods = readMethods(described);
        if (methods === null) this.holdBack(entry);
        else entry.methods = methods;
      },
      () => {
        clearTimeout(timer);
        entry.pending = null;
        // Any refusal (UNIMPLEMENTED: reflection off; UNAUTHENTICATED, PERMISSION_DENIED) or failure.
        this.holdBack(entry);
      },
    );
  }

  private holdBack(entry: LearntService): void {
    entry.failures++;
    entry.retryAt = Date.now() + Math.min(RETRY_AFTER_MAX_MS, RETRY_AFTER_MS * 2 ** (entry.failures - 1));
  }
}

/** The methods of a `describe` answer, or null when it is not one. */
function readMethods(described: unknown): Map<string, MethodFacts> | null {
  const methods = (described as { methods?: unknown } | null)?.methods;
  if (!Array.isArray(methods)) return null;
  const out = new Map<string, MethodFacts>();
  for (const m of methods as Array<{ name?: unknown; idempotent?: unknown; timeoutMs?: unknown }>) {
    if (typeof m?.name !== 'string') continue;
    const timeoutMs = typeof m.timeoutMs === 'number' && Number.isFinite(m.timeoutMs) && m.timeoutMs > 0 ? m.timeoutMs : undefined;
    out.set(m.name, timeoutMs === undefined ? { idempotent: m.idempotent === true } : { idempotent: m.idempotent === true, timeoutMs });
  }
  return out;
}
