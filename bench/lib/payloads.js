'use strict';
// One definition of the call arguments so every system does the same work.

const MUL_A = 7;
const MUL_B = 8;
const ECHO_BYTES = 1024;

// Fixed pseudo-random bytes: compressible-looking data would flatter nobody,
// and determinism keeps runs comparable.
const ECHO_BUFFER = Buffer.alloc(ECHO_BYTES);
for (let i = 0, x = 0x2545f491; i < ECHO_BYTES; i++) {
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  ECHO_BUFFER[i] = x & 0xff;
}

// JSON-only transports (Nest TCP, Moleculer JSON) would turn a Buffer into a
// {type,data:[...]} array several times larger, so they echo a 1 KB string.
const ECHO_STRING = ECHO_BUFFER.toString('base64').slice(0, ECHO_BYTES);

module.exports = { MUL_A, MUL_B, ECHO_BYTES, ECHO_BUFFER, ECHO_STRING };

/** One-time sanity check that a system really did the work it is timed on. */
function checkResult(kind, value) {
  if (kind === 'multiply') {
    const n = value !== null && typeof value === 'object' ? value.result : value;
    return n === MUL_A * MUL_B;
  }
  const data = value !== null && typeof value === 'object' && 'data' in value ? value.data : value;
  return data != null && data.length === ECHO_BYTES;
}

module.exports.checkResult = checkResult;
