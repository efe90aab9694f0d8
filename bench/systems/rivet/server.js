'use strict';
// Rivet server: a decorated service class, applied by hand because this
// harness is plain JavaScript (legacy TypeScript decorators are just functions).
const { serve } = require('../../lib/server-host');
const { loadRivet, noopInterceptors } = require('./load-rivet');

serve(async (options) => {
  const { createApp, Service, Method } = loadRivet();

  class Bench {
    multiply(a, b) {
      return a * b;
    }

    echo(buf) {
      return buf;
    }
  }
  for (const name of ['multiply', 'echo']) {
    Reflect.decorate([Method()], Bench.prototype, name, Object.getOwnPropertyDescriptor(Bench.prototype, name));
  }
  const BenchService = Reflect.decorate([Service('Bench')], Bench);

  const app = await createApp({ services: [BenchService], interceptors: noopInterceptors(options.interceptors), logger: false });
  const { port } = await app.listen(0, '127.0.0.1');
  return { port, close: () => app.close() };
});
