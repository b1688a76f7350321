'use strict';
// A pseudo-terminal driver for `kubectl exec -it`, in Python (its pty module; Node has none).
// ptyDriver(steps) is a Python program: it runs argv[1:] in a terminal of 30x100, then `steps`
// (Python using size(rows, cols), pump(seconds), wait_for(text) and the pty's fd and pid), then
// prints {"transcript", "code"} as JSON.
const PRELUDE = String.raw`
import os, pty, sys, time, select, fcntl, termios, struct, signal, json
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
def size(rows, cols): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
size(30, 100)
out = b''
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try: d = os.read(fd, 4096)
            except OSError: return False
            if not d: return False
            out += d
    return True
def wait_for(s, t=15):
    end = time.time() + t
    while time.time() < end:
        if s.encode() in out: return True
        if not pump(0.1): return False
    return False
`;

const EPILOGUE = String.raw`
_, status = os.waitpid(pid, 0)
print(json.dumps({'transcript': out.decode(errors='replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

function ptyDriver(steps) {
  return `${PRELUDE}${steps.trim()}\n${EPILOGUE}`;
}

module.exports = { ptyDriver };
