'use strict';
// Rivet server: a decorated service class, applied by hand because this
// harness is plain JavaScript (legacy TypeScript decorators are just functions).
// Options: interceptors (W4), admission (W9: passed to createApp as is).
const { serve } = require('../../lib/server-host');
const work = require('../../lib/work');
const { tick } = require('../raw/stream');
const { loadRivet, noopInterceptors } = require('./load-rivet');

function decorate(decorator, proto, name) {
  Reflect.decorate([decorator], proto, name, Object.getOwnPropertyDescriptor(proto, name));
}

serve(async (options) => {
  const { createApp, Service, Method } = loadRivet();
  const notes = [];

  class Bench {
    multiply(a, b) {
      return a * b;
    }

    echo(buf) {
      return buf;
    }

    burn(id, deadline) {
      return work.burn(id, deadline);
    }

    mixed(id, deadline) {
      return work.mixed(id, deadline);
    }

    async *watch(count) {
      for (let i = 0; i < count; i++) yield tick(i);
    }
  }
  for (const name of ['multiply', 'echo', 'burn', 'mixed']) decorate(Method(), Bench.prototype, name);
  // Server streaming arrives with streaming support; a build without it
  // rejects the option, and the stream rows then report "not supported".
  try {
    decorate(Method({ stream: 'server' }), Bench.prototype, 'watch');
  } catch {
    delete Bench.prototype.watch;
  }
  const BenchService = Reflect.decorate([Service('Bench')], Bench);

  const base = { services: [BenchService], interceptors: noopInterceptors(options.interceptors), logger: false };
  let app;
  // The W9 ablation's switches: createApp's internal second argument (docs/overload.md).
  const internals = options.admissionParts ? { admissionParts: options.admissionParts } : undefined;
  if (options.admissionParts) {
    app = await createApp(base, internals);
  } else if (options.admission !== undefined) {
    try {
      app = await createApp({ ...base, admission: options.admission });
    } catch (err) {
      // A build without overload protection rejects the unknown key: run the
      // default app and say so in the row rather than measure nothing.
      if (!/admission/.test(String(err && err.message))) throw err;
      app = await createApp(base);
      notes.push('admission option not supported by this build: ran the default app');
    }
  } else {
    app = await createApp(base);
  }
  const { port } = await app.listen(0, '127.0.0.1');
  return { port, close: () => app.close(), note: notes.join('; ') || undefined };
});
