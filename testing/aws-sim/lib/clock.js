'use strict';
// The stand-ins' clock: real time plus an offset tests can move (POST /_sim/clock), so expiry of
// signatures and credentials can be reached without waiting.

class Clock {
  constructor(offsetSeconds = 0) {
    this.offsetMs = offsetSeconds * 1000;
  }

  nowMs() {
    return Date.now() + this.offsetMs;
  }

  now() {
    return new Date(this.nowMs());
  }

  setOffsetSeconds(seconds) {
    this.offsetMs = Number(seconds) * 1000;
  }
}

module.exports = { Clock };
