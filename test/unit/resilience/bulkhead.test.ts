import { composeMiddleware, type CallContext, type Invoker } from '../../../src/call';
import { RpcError } from '../../../src/errors';
import { Bulkhead, bulkheadMiddleware, resolveBulkheadPolicy } from '../../../src/resilience';
import { deferred, makeCtx, rejectionOf } from './support';

/** An invoker whose calls stay in flight until the test settles them, in order. */
class Gate {
  readonly pending: ReturnType<typeof deferred>[] = [];
  started = 0;
  readonly invoke: Invoker = (_ctx: CallContext) => {
    this.started++;
    const d = deferred();
    this.pending.push(d);
    return d.promise;
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Bulkhead', () => {
  it('runs at most maxConcurrent calls and refuses the rest at once when there is no queue', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 2 }), 'Orders');
    const a = bulkhead.run(gate.invoke, makeCtx());
    const b = bulkhead.run(gate.invoke, makeCtx());
    const err = await rejectionOf(bulkhead.run(gate.invoke, makeCtx()));
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'RESOURCE_EXHAUSTED', notProcessed: true, stoppedBy: 'bulkhead', details: { reason: 'BULKHEAD_FULL' } });
    expect((err as RpcError).message).toContain('"Orders"');
    expect(gate.started).toBe(2);
    expect(bulkhead.inFlight).toBe(2);
    gate.pending[0].resolve('a');
    gate.pending[1].reject(new RpcError('INTERNAL', 'b'));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(bulkhead.inFlight).toBe(0);
  });

  it('queues up to maxQueue and starts them in arrival order as slots free', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1, maxQueue: 2 }), 'Orders');
    const order: string[] = [];
    const calls = ['first', 'second', 'third'].map((name) => bulkhead.run(gate.invoke, makeCtx()).then(() => order.push(name)));
    await expect(bulkhead.run(gate.invoke, makeCtx())).rejects.toMatchObject({ details: { reason: 'BULKHEAD_FULL' } });
    expect([gate.started, bulkhead.inFlight, bulkhead.queued]).toEqual([1, 1, 2]);
    for (let i = 0; i < 3; i++) {
      gate.pending[i].resolve(i);
      await tick();
    }
    await Promise.all(calls);
    expect(order).toEqual(['first', 'second', 'third']);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
  });

  it('hands a freed slot to the oldest waiter, not to a newcomer', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1, maxQueue: 1 }), 'Orders');
    void bulkhead.run(gate.invoke, makeCtx());
    const waiter = bulkhead.run(gate.invoke, makeCtx());
    gate.pending[0].resolve(0);
    await tick();
    // The slot went to the waiter; a newcomer now finds it busy and the queue empty, so it waits.
    expect([gate.started, bulkhead.inFlight, bulkhead.queued]).toEqual([2, 1, 0]);
    gate.pending[1].resolve('w');
    await expect(waiter).resolves.toBe('w');
  });

  it('rejects a waiting call with its abort reason when its signal aborts, and never runs it', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1, maxQueue: 5 }), 'Orders');
    void bulkhead.run(gate.invoke, makeCtx());
    const controller = new AbortController();
    const waiting = bulkhead.run(gate.invoke, makeCtx({ signal: controller.signal }));
    const reason = new RpcError('CANCELLED', 'call cancelled by the caller', { reason: 'CANCELLED_BY_CALLER' });
    controller.abort(reason);
    expect(await rejectionOf(waiting)).toBe(reason);
    expect(bulkhead.queued).toBe(0);
    gate.pending[0].resolve(0);
    await tick();
    expect(gate.started).toBe(1);
    expect(bulkhead.inFlight).toBe(0);
  });

  it('rejects a waiting call with DEADLINE_EXCEEDED when its deadline passes first', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1, maxQueue: 1 }), 'Orders');
    void bulkhead.run(gate.invoke, makeCtx());
    const started = Date.now();
    const err = await rejectionOf(bulkhead.run(gate.invoke, makeCtx({ deadline: started + 30 })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(err).toMatchObject({ code: 'DEADLINE_EXCEEDED', notProcessed: true, details: { reason: 'DEADLINE' } });
    expect(bulkhead.queued).toBe(0);
    gate.pending[0].resolve(0);
    await tick();
    expect(gate.started).toBe(1);
  });

  it('rejects a call whose signal is already aborted instead of queueing it', async () => {
    const gate = new Gate();
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1, maxQueue: 1 }), 'Orders');
    void bulkhead.run(gate.invoke, makeCtx());
    const controller = new AbortController();
    controller.abort(new RpcError('DEADLINE_EXCEEDED', 'late', { reason: 'DEADLINE' }));
    await expect(bulkhead.run(gate.invoke, makeCtx({ signal: controller.signal }))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(bulkhead.queued).toBe(0);
    gate.pending[0].resolve(0);
  });

  it('releases its slot when next throws synchronously', async () => {
    const bulkhead = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1 }), 'Orders');
    const throwing = ((): Promise<unknown> => {
      throw new RpcError('INTERNAL', 'sync');
    }) as Invoker;
    await expect(bulkhead.run(throwing, makeCtx())).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(bulkhead.inFlight).toBe(0);
  });

  it('works as a Middleware shared by several methods', async () => {
    const gate = new Gate();
    const shared = new Bulkhead(resolveBulkheadPolicy({ maxConcurrent: 1 }), 'Orders');
    const place = composeMiddleware([bulkheadMiddleware(shared)], gate.invoke);
    const cancel = composeMiddleware([bulkheadMiddleware(shared)], gate.invoke);
    const p = place(makeCtx());
    await expect(cancel(makeCtx({ method: 'cancel' }))).rejects.toMatchObject({ details: { reason: 'BULKHEAD_FULL' } });
    gate.pending[0].resolve('placed');
    await expect(p).resolves.toBe('placed');
  });
});
