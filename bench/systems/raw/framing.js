'use strict';
// Length-prefixed msgpackr framing shared by the raw bound's server and client.
// This is the reference every other system is divided by, so it is written to
// be cheap: no Buffer.concat on the read path, one socket write per tick.
const { Packr, Unpackr } = require('msgpackr');

const HEADER = 4;
const FLUSH_AT = 8 * 1024;
const SLAB = 64 * 1024;

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });

/**
 * Reassembles frames from arbitrary TCP chunks. Whole frames are decoded
 * straight out of the incoming chunk; only a frame split across chunks is
 * copied, once, into a buffer of exactly its size.
 */
class FrameReader {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.header = Buffer.allocUnsafe(HEADER);
    this.headerFill = 0;
    this.body = null; // non-null while a split frame's body is being filled
    this.bodyFill = 0;
  }

  push(chunk) {
    let off = 0;
    const end = chunk.length;
    if (this.headerFill > 0 || this.body !== null) {
      off = this.fillPartial(chunk, 0);
      if (off < 0) return;
    }
    while (end - off >= HEADER) {
      const len = chunk.readUInt32BE(off);
      if (end - off - HEADER < len) break;
      const start = off + HEADER;
      off = start + len;
      this.onMessage(unpackr.unpack(chunk.subarray(start, off)), len);
    }
    if (off < end) this.fillPartial(chunk, off);
  }

  /** Returns the offset after the completed frame, or -1 if the chunk ran out. */
  fillPartial(chunk, off) {
    const end = chunk.length;
    if (this.body === null) {
      while (this.headerFill < HEADER && off < end) this.header[this.headerFill++] = chunk[off++];
      if (this.headerFill < HEADER) return -1;
      this.body = Buffer.allocUnsafe(this.header.readUInt32BE(0));
      this.bodyFill = 0;
    }
    const take = Math.min(this.body.length - this.bodyFill, end - off);
    chunk.copy(this.body, this.bodyFill, off, off + take);
    this.bodyFill += take;
    off += take;
    if (this.bodyFill < this.body.length) return -1;
    const body = this.body;
    this.body = null;
    this.headerFill = 0;
    this.onMessage(unpackr.unpack(body), body.length);
    return off;
  }
}

/**
 * Packs frames into a slab and writes everything queued in one tick with a
 * single socket.write, or earlier once FLUSH_AT bytes are waiting. The written
 * region of the slab is handed to the socket and never reused.
 */
class FrameWriter {
  constructor(socket) {
    this.socket = socket;
    this.slab = Buffer.allocUnsafe(SLAB);
    this.start = 0; // first byte not yet handed to the socket
    this.pos = 0;
    this.scheduled = false;
    this.flush = this.flush.bind(this);
  }

  send(message) {
    const body = packr.pack(message);
    const need = HEADER + body.length;
    if (this.slab.length - this.pos < need) this.newSlab(need);
    this.slab.writeUInt32BE(body.length, this.pos);
    body.copy(this.slab, this.pos + HEADER);
    this.pos += need;
    if (this.pos - this.start >= FLUSH_AT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
    return body.length; // the stream bound counts its byte credit in encoded bytes
  }

  newSlab(need) {
    const pending = this.slab.subarray(this.start, this.pos);
    const slab = Buffer.allocUnsafe(Math.max(SLAB, need + pending.length));
    pending.copy(slab, 0);
    this.slab = slab;
    this.start = 0;
    this.pos = pending.length;
  }

  flush() {
    this.scheduled = false;
    if (this.pos === this.start) return;
    if (!this.socket.destroyed) this.socket.write(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
  }
}

module.exports = { FrameReader, FrameWriter };
