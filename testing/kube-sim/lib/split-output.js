'use strict';
// A test option, off unless startServer({splitOutput}) asks for it: every response body and every
// exec/attach output chunk is cut in the middle of each occurrence of the given strings, and the
// second piece follows after a pause. A reader (the gateway in front of kube-sim) then receives
// the string in two reads: two TCP segments of an HTTP body, two exec frames. A real cluster does
// this whenever a value straddles a write boundary; here it happens on purpose, every time.
//
//   splitOutput: {within: ['needle', ...], delayMs: 20}

const DEFAULT_DELAY_MS = 20;

class OutputSplitter {
  constructor({ within = [], delayMs = DEFAULT_DELAY_MS } = {}) {
    this.needles = within.map((s) => Buffer.from(s)).filter((b) => b.length >= 2);
    this.delayMs = delayMs;
  }

  // The chunk cut in the middle of every needle it holds; [chunk] when it holds none.
  pieces(chunk) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const cuts = new Set();
    for (const needle of this.needles) {
      for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) cuts.add(at + (needle.length >> 1));
    }
    if (!cuts.size) return [buf];
    const out = [];
    let from = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      out.push(buf.subarray(from, cut));
      from = cut;
    }
    out.push(buf.subarray(from));
    return out;
  }

  // A serial writer over write(buf)/end(): pieces go out in order with the pause between the two
  // halves of a needle; end() waits for what is queued. Returns {write, end, drained()}.
  writer(write, end) {
    let tail = Promise.resolve();
    let ending = false;
    const pause = () => new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const self = this;
    return {
      write(chunk) {
        const parts = self.pieces(chunk);
        tail = tail.then(async () => {
          for (let i = 0; i < parts.length; i += 1) {
            if (i > 0) await pause();
            write(parts[i]);
          }
        }).catch(() => {});
        return true;
      },
      end(chunk) {
        if (ending) return;
        ending = true;
        if (chunk !== undefined && chunk !== null && chunk.length) this.write(chunk);
        tail = tail.then(() => end()).catch(() => {});
      },
      drained: () => tail,
    };
  }

  // Routes an http.ServerResponse's body writes through writer(); headers are untouched (a
  // Content-Length stays right: the bytes are the same, only their timing differs).
  wrapResponse(res) {
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const w = this.writer((b) => { if (!res.destroyed) write(b); }, () => end());
    res.write = (chunk, encoding, cb) => {
      w.write(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
      if (typeof encoding === 'function') encoding();
      else if (typeof cb === 'function') cb();
      return true;
    };
    res.end = (chunk, encoding, cb) => {
      const done = [chunk, encoding, cb].find((a) => typeof a === 'function');
      const data = typeof chunk === 'function' ? undefined : chunk;
      w.end(typeof data === 'string' ? Buffer.from(data, typeof encoding === 'string' ? encoding : 'utf8') : data);
      if (done) res.once('finish', done);
      return res;
    };
    return res;
  }
}

module.exports = { OutputSplitter };
