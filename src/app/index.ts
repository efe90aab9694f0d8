// app/: the composition root. Builds apps and clients from options: the container, the logger,
// the default registry, scanning. Layer 4: imports everything; the only folder that knows the
// container and calls pino().
export { createApp, App, type CloseOptions, type ListenAddress } from './create-app';
export { createClient } from './create-client';
export { defaultRegistry } from './default-registry';
export { type AppOptions, type ClientOptions, type CommonOptions, DEFAULT_CONNECT_TIMEOUT_MS } from './options';
export type { LoggerInput } from './logger';
export type { AppInternals } from './create-app';
