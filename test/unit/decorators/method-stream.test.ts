import { getMethodMetadata } from '../../../src/decorators';
import { Method, RivetConfigError } from '../../../src';

function declare(decorate: () => void): RivetConfigError {
  try {
    decorate();
  } catch (err) {
    return err as RivetConfigError;
  }
  throw new Error('expected the declaration to throw');
}

describe('@Method({ stream })', () => {
  it('records the stream kind of each streaming method', () => {
    class Feed {
      @Method({ stream: 'server' })
      async *watch(_q: string): AsyncGenerator<number> {
        yield 1;
      }
      @Method({ stream: 'client' })
      async upload(_chunks: AsyncIterable<Buffer>, _name: string): Promise<number> {
        return 0;
      }
      @Method({ stream: 'bidi' })
      async *chat(msgs: AsyncIterable<string>): AsyncGenerator<string> {
        for await (const m of msgs) yield m;
      }
    }
    const meta = getMethodMetadata(Feed);
    expect([meta.get('watch')?.stream, meta.get('upload')?.stream, meta.get('chat')?.stream]).toEqual(['server', 'client', 'bidi']);
  });

  it('refuses an unknown stream kind', () => {
    const err = declare(() => {
      class Bad {
        @Method({ stream: 'both' as 'bidi' })
        async *run(_x: AsyncIterable<number>): AsyncGenerator<number> {}
      }
      return Bad;
    });
    expect(err.message).toBe(`RIVET_ERR_DECORATOR: @Method on Bad.run: stream must be 'server', 'client' or 'bidi', got "both".`);
  });

  it('refuses an async generator declared without a stream kind', () => {
    const err = declare(() => {
      class Bad {
        @Method()
        async *run(): AsyncGenerator<number> {}
      }
      return Bad;
    });
    expect(err.code).toBe('RIVET_ERR_DECORATOR');
    expect(err.message).toMatch(/declare it with @Method\(\{ stream: 'server' \}\)/);
  });

  it('refuses a generator as a client stream, and a client or bidi stream with no input parameter', () => {
    expect(
      declare(() => {
        class Bad {
          @Method({ stream: 'client' })
          async *run(_x: AsyncIterable<number>): AsyncGenerator<number> {}
        }
        return Bad;
      }).message,
    ).toMatch(/a client stream returns one reply/);
    expect(
      declare(() => {
        class Bad {
          @Method({ stream: 'bidi' })
          async *run(): AsyncGenerator<number> {}
        }
        return Bad;
      }).message,
    ).toMatch(/takes its incoming AsyncIterable as the first parameter/);
  });
});
