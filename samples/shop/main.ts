/*
 * The shop demo: three services in three apps on the embedded in-process registry, and a
 * gateway-style client calling Orders, which calls Users and Inventory through injected proxies.
 *
 *   npm start              run the story and exit 0
 *   npm start -- --serve   keep serving after the story (Ctrl-C stops gracefully)
 *   npm start -- --serve --metrics-port 9464
 *                          also serve the RPC metrics for Prometheus on 127.0.0.1:9464/metrics
 *   npm start -- --serve --http-port 8080
 *                          also serve Orders over HTTP on 127.0.0.1:8080: the JSON gateway
 *                          (POST /rpc/Orders/place), /livez, /readyz, /metrics and the
 *                          live dashboard at /rivet/dashboard
 */
import type { MeterProvider } from '@opentelemetry/api';
import { createApp, createClient, isRpcError, type App, type TelemetryOptions } from '../../src';
import { InventoryService } from './inventory.service';
import { OrdersService } from './orders.service';
import { UsersService } from './users.service';

function show(step: string, outcome: unknown): void {
  console.log(`  ${step.padEnd(44)} ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}`);
}

async function attempt(step: string, call: () => Promise<unknown>): Promise<void> {
  try {
    show(step, await call());
  } catch (err) {
    if (!isRpcError(err)) throw err;
    show(step, `${err.code}: ${err.message} ${err.details === undefined ? '' : JSON.stringify(err.details)}`);
  }
}

/** The value of a `--flag N` port, or undefined when the flag is absent. Exits on a bad value. */
function portArg(flag: string, example: number): number | undefined {
  const i = process.argv.indexOf(flag);
  if (i < 0) return undefined;
  const port = Number(process.argv[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${flag} needs a port number, e.g. ${flag} ${example}`);
    process.exit(2);
  }
  return port;
}

/**
 * A meter provider whose reader is a Prometheus scrape endpoint on 127.0.0.1:port. The exporter
 * and the SDK are devDependencies, loaded only with the flag: a plain `npm start` needs neither.
 */
async function startPrometheus(port: number): Promise<{ provider: MeterProvider; shutdown: () => Promise<void> }> {
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  const { MeterProvider: SdkMeterProvider } = await import('@opentelemetry/sdk-metrics');
  const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
  await exporter.startServer();
  const provider = new SdkMeterProvider({ readers: [exporter] });
  console.log(`Metrics for Prometheus: curl -s http://127.0.0.1:${port}/metrics | grep rpc_`);
  return { provider, shutdown: () => provider.shutdown() };
}

async function main(): Promise<void> {
  const serve = process.argv.includes('--serve');
  const metricsPort = portArg('--metrics-port', 9464);
  const httpPort = portArg('--http-port', 8080);
  const prometheus = metricsPort === undefined ? undefined : await startPrometheus(metricsPort);
  // With the flag, every app and the gateway report RPC metrics (no tracing, no access log).
  const telemetry: TelemetryOptions | false =
    prometheus === undefined ? false : { metrics: { meterProvider: prometheus.provider }, tracing: false, accessLog: false };
  // Each service in an app of its own, as it would run in production; they find each other
  // through the in-process registry, which needs nothing installed.
  const apps: App[] = [];
  const addresses: string[] = [];
  for (const service of [UsersService, InventoryService, OrdersService]) {
    // Orders, the front door, also speaks HTTP with the flag: JSON calls, probes, metrics, dashboard.
    const http = service === OrdersService && httpPort !== undefined ? { port: httpPort, metrics: true } : undefined;
    const app = await createApp({ services: [service], logger: false, telemetry, http });
    const { port, httpPort: boundHttpPort } = await app.listen(0, '127.0.0.1');
    console.log(`${service.name.replace('Service', '')} listening on 127.0.0.1:${port}`);
    if (boundHttpPort !== undefined) {
      console.log(`Orders over HTTP on 127.0.0.1:${boundHttpPort}:`);
      console.log(`  curl -s -X POST localhost:${boundHttpPort}/rpc/Orders/place -H 'content-type: application/json' -d '["u1","rivet",2]'`);
      console.log(`  dashboard: http://127.0.0.1:${boundHttpPort}/rivet/dashboard`);
      console.log(`  probes:    curl -s 'localhost:${boundHttpPort}/readyz?verbose'`);
    }
    apps.push(app);
    addresses.push(`127.0.0.1:${port}`);
  }

  const gateway = createClient({
    logger: false,
    telemetry,
    interceptors: [
      async (ctx, next) => {
        ctx.metadata['x-caller'] = 'gateway';
        return next();
      },
    ],
  });
  const orders = gateway.proxy(OrdersService);

  console.log('\nThe gateway places orders:');
  await attempt('Ada orders 2 rivets', () => orders.place('u1', 'rivet', 2));
  await attempt('Linus orders 1 bolt', () => orders.place('u2', 'bolt', 1));
  await attempt('Linus orders 5 bolts (only 2 left)', () => orders.place('u2', 'bolt', 5));
  await attempt('someone unknown orders', () => orders.place('u9', 'rivet', 1));
  await attempt('who does Orders think is calling?', () => orders.whoCalls());
  await attempt('a slow report with a 200 ms deadline', () => gateway.invoke('Orders', 'report', [1_000], { timeoutMs: 200 }));
  await attempt('the same report, given time', () => gateway.invoke('Orders', 'report', [100]));
  const many = await Promise.all(Array.from({ length: 100 }, (_, i) => orders.place('u1', 'rivet', 1).then((o) => o.id)));
  show('100 concurrent orders on one connection', `order ids ${Math.min(...many)}..${Math.max(...many)}`);

  if (serve) {
    console.log('\nServing; press Ctrl-C to stop. Poke at it from another shell (docs/cli.md):');
    console.log(`  export RIVET_ADDR=${addresses.join(',')}`);
    console.log('  npm run build && alias rivet="node $PWD/dist/cli/main.js"   # in a project that depends on rivet-rpc: npx rivet');
    console.log('  rivet ls');
    // Ctrl-C, or SIGTERM from a process manager or a container runtime: both stop gracefully.
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
  console.log('\nShutting down gracefully.');
  await gateway.close();
  for (const app of apps.reverse()) await app.close();
  await prometheus?.shutdown();
  console.log('Done.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
