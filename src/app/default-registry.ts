import { MemoryRegistry } from '../discovery';

/**
 * The embedded default: one in-process registry shared by every app and client in this process
 * that was given no registry. One of Rivet's two documented globals; it needs no outside service.
 */
export const defaultRegistry = new MemoryRegistry();
