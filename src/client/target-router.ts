import type { Balancer } from '../balancer';
import type { InstanceCache } from '../discovery';
import { ErrorReason, isRpcError, RpcError } from '../errors';
import type { ChannelPool } from './channel-pool';
import type { ClientCall } from './client-call';
import type { Endpoint } from './endpoint';

/**
 * The bottom of the client pipeline for one target service: resolve (from the instance cache,
 * which follows the registry), pick (the balancer), send (the endpoint's channel). One attempt
 * per call of `route`.
 */
export class TargetRouter {
  constructor(
    private readonly service: string,
    private readonly cache: InstanceCache,
    private readonly pool: ChannelPool,
    private readonly balancer: Balancer,
  ) {}

  /** One attempt. Records a failed attempt in `ctx.attempts`. */
  route(ctx: ClientCall): Promise<unknown> {
    const endpoints = this.pool.endpointsOf(this.service);
    if (endpoints === undefined) return this.resolveThenRoute(ctx);
    return this.attempt(ctx, endpoints);
  }

  private async resolveThenRoute(ctx: ClientCall): Promise<unknown> {
    try {
      await this.cache.load(this.service);
    } catch (err) {
      const e = new RpcError('UNAVAILABLE', `cannot resolve "${this.service}": ${(err as Error).message}`, { reason: ErrorReason.NO_INSTANCES }, { notProcessed: true, cause: err });
      ctx.attempts.push({ endpoint: '', code: e.code, ms: 0 });
      throw e;
    }
    return this.attempt(ctx, this.pool.endpointsOf(this.service) ?? []);
  }

  private async attempt(ctx: ClientCall, endpoints: readonly Endpoint[]): Promise<unknown> {
    const candidates = this.candidates(endpoints, ctx.failedEndpoints);
    let picked: Endpoint | undefined;
    if (candidates.length > 0) picked = this.balancer.pick(candidates, ctx) as Endpoint | undefined;
    if (picked === undefined) {
      const e =
        endpoints.length === 0
          ? new RpcError('UNAVAILABLE', `no instance of "${this.service}" is known`, { reason: ErrorReason.NO_INSTANCES }, { notProcessed: true })
          : new RpcError('UNAVAILABLE', `no endpoint of "${this.service}" can take a call now (all draining or reconnecting)`, { reason: ErrorReason.NO_READY_ENDPOINT }, { notProcessed: true });
      ctx.attempts.push({ endpoint: '', code: e.code, ms: 0 });
      throw e;
    }
    ctx.peer = picked.peer;
    const started = performance.now();
    try {
      return await picked.channel.call(ctx);
    } catch (err) {
      const code = isRpcError(err) ? err.code : 'UNKNOWN';
      ctx.attempts.push({ endpoint: picked.address, code, ms: Math.round((performance.now() - started) * 1000) / 1000 });
      (ctx.failedEndpoints ??= []).push(picked.address);
      throw err;
    }
  }

  /**
   * The endpoints that can take this attempt. Usually all of them, returned as is (no copy);
   * endpoints this call already failed on are left out while others remain.
   */
  private candidates(endpoints: readonly Endpoint[], failed: string[] | null): readonly Endpoint[] {
    let allUsable = true;
    for (let i = 0; i < endpoints.length; i++) {
      if (!endpoints[i].usable || (failed !== null && failed.includes(endpoints[i].address))) {
        allUsable = false;
        break;
      }
    }
    if (allUsable) return endpoints;
    const usable = endpoints.filter((e) => e.usable);
    if (failed === null) return usable;
    const fresh = usable.filter((e) => !failed.includes(e.address));
    return fresh.length > 0 ? fresh : usable;
  }
}
