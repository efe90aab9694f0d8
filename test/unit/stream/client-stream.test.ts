import { RpcError } from '../../../src/errors';
import { ClientStreamState, DEFAULT_STREAM_WINDOW, type StreamWire, TurnBudget } from '../../../src/stream';

/** A wire that records what an attempt sends. */
class FakeWire implements StreamWire {
  readonly sent: string[] = [];
  readonly budget = new TurnBudget();
  sendData(value: unknown): number {
    this.sent.push(`data ${String(value)}`);
    return 1;
  }
  sendEnd(): void {
    this.sent.push('end');
  }
  sendCredit(messages: number, bytes: number): void {
    this.sent.push(`credit ${messages} ${bytes}`);
  }
}

function control() {
  const log: string[] = [];
  return {
    log,
    abort: (reason: RpcError) => log.push(`abort ${reason.code} ${(reason.details as { reason?: string } | undefined)?.reason ?? ''}`.trim()),
    commit: () => log.push('commit'),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ClientStreamState', () => {
  it('grants the whole window at the start of each attempt', () => {
    const c = control();
    const state = new ClientStreamState('server', { messages: 4, bytes: 100 }, undefined, undefined, c);
    const wire = new FakeWire();
    state.beginAttempt(wire);
    expect(wire.sent).toEqual(['credit 4 100']);
    state.settle();
  });

  it('commits on the first message, delivers messages then the settled error', async () => {
    const c = control();
    const state = new ClientStreamState('server', DEFAULT_STREAM_WINDOW, undefined, undefined, c);
    const attempt = state.beginAttempt(new FakeWire());
    expect(attempt.onData('a', 1)).toBe(true);
    expect(attempt.onData('b', 1)).toBe(true);
    expect(c.log).toEqual(['commit']);
    state.settle(new RpcError('INTERNAL', 'boom'));
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const v of state.receiver!) seen.push(v);
      })(),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(seen).toEqual(['a', 'b']);
  });

  it('takes input only once the server grants credit, commits then, and ends the input with END', async () => {
    const c = control();
    const state = new ClientStreamState('client', DEFAULT_STREAM_WINDOW, ['x', 'y'], undefined, c);
    const wire = new FakeWire();
    const attempt = state.beginAttempt(wire);
    await tick();
    expect(wire.sent).toEqual([]);
    expect(c.log).toEqual([]);
    attempt.onCredit(1, 100);
    await tick();
    expect(wire.sent).toEqual(['data x']);
    expect(c.log).toEqual(['commit']);
    attempt.onCredit(5, 100);
    await tick();
    expect(wire.sent).toEqual(['data x', 'data y', 'end']);
    state.settle();
  });

  it('cancels the call when the input iterable throws', async () => {
    const c = control();
    async function* input(): AsyncGenerator<number> {
      yield 1;
      throw new Error('disk gone');
    }
    const state = new ClientStreamState('bidi', DEFAULT_STREAM_WINDOW, input(), undefined, c);
    state.beginAttempt(new FakeWire()).onCredit(10, 1000);
    await tick();
    expect(c.log).toEqual(['commit', 'abort CANCELLED CANCELLED_BY_CALLER']);
    state.settle(new RpcError('CANCELLED', 'x'));
  });

  it('closes the caller input when the call settles before the input is drained', async () => {
    const c = control();
    let closed = false;
    async function* input(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const state = new ClientStreamState('client', DEFAULT_STREAM_WINDOW, input(), undefined, c);
    state.beginAttempt(new FakeWire()).onCredit(2, 1000);
    await tick();
    state.settle();
    await tick();
    expect(closed).toBe(true);
  });

  it('cancels the call, quietly for the consumer, when it breaks out', async () => {
    const c = control();
    const state = new ClientStreamState('server', DEFAULT_STREAM_WINDOW, undefined, undefined, c);
    state.beginAttempt(new FakeWire()).onData(1, 1);
    for await (const _ of state.receiver!) break;
    expect(c.log).toEqual(['commit', 'abort CANCELLED CANCELLED_BY_CALLER']);
    state.settle(new RpcError('CANCELLED', 'x'));
  });

  it('fails a stream on which nothing moved for idleTimeoutMs', async () => {
    const c = control();
    const state = new ClientStreamState('server', DEFAULT_STREAM_WINDOW, undefined, 30, c);
    state.beginAttempt(new FakeWire());
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(c.log).toEqual(['abort DEADLINE_EXCEEDED STREAM_IDLE']);
    state.settle(new RpcError('DEADLINE_EXCEEDED', 'idle'));
  });

  it('refuses an input that is not iterable', () => {
    expect(() => new ClientStreamState('client', DEFAULT_STREAM_WINDOW, 42, undefined, control())).toThrow(/AsyncIterable or an Iterable/);
  });
});
