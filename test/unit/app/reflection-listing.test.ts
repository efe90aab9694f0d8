import { buildReflectionListing } from '../../../src/app/reflection-listing';
import { Method, Service } from '../../../src';
import type { ContractManifest } from '../../../src/manifest';
import type { ServiceDefinition } from '../../../src/server';

@Service('Feed', { version: '3.0.0' })
class FeedService {
  @Method({ idempotent: true, timeoutMs: 200 })
  latest(topic: string, limit = 10): string[] {
    return [topic].slice(0, limit);
  }

  @Method()
  follow(topic: string): string {
    return topic;
  }
}

// What buildServiceDefinitions makes of FeedService, reduced to what the listing reads.
const definition: ServiceDefinition = {
  name: 'Feed',
  version: '3.0.0',
  middlewares: [],
  methods: [
    { name: 'latest', idempotent: true, timeoutMs: 200, middlewares: [], handler: () => [] },
    { name: 'follow', idempotent: false, middlewares: [], handler: () => '' },
  ],
};

describe('buildReflectionListing', () => {
  it("lists each method's facts, sorted, with the handler's declared arity when there is no contract", () => {
    expect(buildReflectionListing([FeedService], [definition], undefined)).toEqual({
      services: [
        {
          name: 'Feed',
          version: '3.0.0',
          methods: [
            { name: 'follow', arity: 1, params: [], idempotent: false },
            // `limit = 10` has a default, so Function.length stops before it.
            { name: 'latest', arity: 1, params: [], idempotent: true, timeoutMs: 200 },
          ],
        },
      ],
    });
  });

  it('takes names, types, return types, stream kinds and deprecations from the contract', () => {
    const contract: ContractManifest = {
      manifestVersion: 1,
      services: [
        {
          name: 'Feed',
          methods: [
            { name: 'follow', params: [{ name: 'topic', type: 'string', optional: false }], returns: 'string', idempotent: false, stream: 'server', deprecated: true },
            {
              name: 'latest',
              params: [
                { name: 'topic', type: 'string', optional: false },
                { name: 'limit', type: 'number', optional: true },
              ],
              returns: 'string[]',
              idempotent: true,
              timeoutMs: 200,
            },
          ],
        },
      ],
    };
    const [feed] = buildReflectionListing([FeedService], [definition], contract).services;
    expect(feed.methods[0]).toEqual({
      name: 'follow',
      arity: 1,
      params: [{ name: 'topic', type: 'string', optional: false }],
      returns: 'string',
      idempotent: false,
      stream: 'server',
      deprecated: true,
    });
    expect(feed.methods[1]).toMatchObject({ name: 'latest', arity: 2, returns: 'string[]' });
    expect(feed.contract).toBe(contract.services[0]);
  });

  it('reads the stream kind a @Method records, ahead of the contract', () => {
    class Ticker {
      tick(): number {
        return 1;
      }
    }
    // What @Method({ stream: 'bidi' }) will record once streaming lands: the same metadata key.
    Reflect.defineMetadata(Symbol.for('rivet-rpc:methods'), new Map([['tick', { stream: 'bidi' }]]), Ticker.prototype);
    const def: ServiceDefinition = { name: 'Ticker', middlewares: [], methods: [{ name: 'tick', idempotent: false, middlewares: [], handler: () => 1 }] };
    expect(buildReflectionListing([Ticker], [def], undefined).services[0].methods[0]).toEqual({ name: 'tick', arity: 0, params: [], idempotent: false, stream: 'bidi' });
  });
});
