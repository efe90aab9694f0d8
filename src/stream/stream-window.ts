import { optionsObject, positiveInt, rejectUnknownKeys } from '../util';

/** How much one receiver of a stream lets its peer send ahead of what it has consumed. */
export interface StreamWindow {
  /** Messages in flight or buffered. Default 32. */
  messages?: number;
  /** Payload bytes in flight or buffered. Default 1 MiB. One larger message still goes through, alone. */
  bytes?: number;
}

/** A validated StreamWindow, every field set. */
export interface ResolvedStreamWindow {
  readonly messages: number;
  readonly bytes: number;
}

/** The default window in messages: 32. */
export const DEFAULT_STREAM_WINDOW_MESSAGES = 32;

/** The default window in bytes: 1 MiB. */
export const DEFAULT_STREAM_WINDOW_BYTES = 1024 * 1024;

/** The default window, in both units. */
export const DEFAULT_STREAM_WINDOW: ResolvedStreamWindow = Object.freeze({ messages: DEFAULT_STREAM_WINDOW_MESSAGES, bytes: DEFAULT_STREAM_WINDOW_BYTES });

// A credit frame carries u32 counts.
const MAX_WINDOW = 0xffff_ffff;

/**
 * Validates a StreamWindow and fills what it leaves out from `base`. Throws RivetConfigError
 * naming the option (`name`) and the fix.
 */
export function resolveStreamWindow(name: string, input: unknown, base: ResolvedStreamWindow = DEFAULT_STREAM_WINDOW): ResolvedStreamWindow {
  if (input === undefined) return base;
  const w = optionsObject(name, input);
  rejectUnknownKeys(name, w, ['messages', 'bytes']);
  const messages = w.messages === undefined ? base.messages : Math.min(MAX_WINDOW, positiveInt(`${name}.messages`, w.messages, DEFAULT_STREAM_WINDOW_MESSAGES));
  const bytes = w.bytes === undefined ? base.bytes : Math.min(MAX_WINDOW, positiveInt(`${name}.bytes`, w.bytes, DEFAULT_STREAM_WINDOW_BYTES));
  return Object.freeze({ messages, bytes });
}
