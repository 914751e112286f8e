// The Hono workload's load generator: open-loop requests over raw keep-alive sockets on loopback.
// node:http's client costs more CPU per request than the server it measures (an IncomingMessage,
// header objects and a few promises per request), so on 2 shared cores it capped both routes at
// the same ceiling. Here each request is one write of a pre-built buffer and each answer is
// framed from its header block, so the generator's cost per request is a small fraction of the
// server's. Bounded: each step sends a fixed count and waits a fixed time for the answers.
import net from "node:net";

const HEADER_END = Buffer.from("\r\n\r\n");
// Answers not back this long after the last request was due count as failed; the step then ends.
const DRAIN_MS = 5000;

/** One HTTP/1.1 GET with `headers`, as the bytes a client writes. */
export function requestBytes(port, path, headers) {
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/**
 * The length of the first whole response in `buf` and its status, or `undefined` when it is not
 * all there yet. Bodies framed by Content-Length only: a chunked answer is reported as status -1
 * (the revalidations under load answer 304 with no body, so this only marks a wrong answer).
 */
function frame(buf) {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buf.latin1Slice(0, end).toLowerCase();
  const status = Number(head.slice(9, 12));
  if (head.includes("transfer-encoding:")) return { size: buf.length, status: -1 };
  const at = head.indexOf("\r\ncontent-length:");
  const body = at < 0 ? 0 : Number.parseInt(head.slice(at + 17), 10);
  const size = end + 4 + body;
  return size <= buf.length ? { size, status, body } : undefined;
}

/** A connection carrying one request at a time (no pipelining, as browsers and fetch do). */
class Connection {
  constructor(socket, onAnswer) {
    this.socket = socket;
    this.dueAt = -1; // when the request in flight was due; -1 when idle
    this.pending = null;
    socket.setNoDelay(true);
    socket.on("data", (chunk) => {
      let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      for (;;) {
        const got = frame(buf);
        if (got === undefined) break;
        const dueAt = this.dueAt;
        this.dueAt = -1;
        onAnswer(this, dueAt, got.status === 304 && got.body === 0);
        if (got.size >= buf.length) {
          buf = null;
          break;
        }
        buf = buf.subarray(got.size);
      }
      this.pending = buf;
    });
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** `count` keep-alive connections to `port` sending `request` in open-loop steps. */
export async function openLoad(port, request, count) {
  const idle = [];
  const all = [];
  let current = null; // the step running now
  const onAnswer = (conn, dueAt, ok) => {
    const step = current;
    if (step === null || dueAt < 0) return;
    if (ok) step.latencies[step.done++] = performance.now() - dueAt;
    else step.bad++;
    step.answered++;
    if (step.queue.length > step.queueHead) send(conn, step.queue[step.queueHead++]);
    else idle.push(conn);
    if (step.answered === step.total) step.finish();
  };
  const send = (conn, dueAt) => {
    conn.dueAt = dueAt;
    conn.socket.write(request);
  };
  for (let i = 0; i < count; i++) {
    const socket = await connect(port);
    const conn = new Connection(socket, onAnswer);
    socket.on("error", () => {});
    socket.on("close", () => {
      if (conn.dueAt >= 0 && current !== null) {
        current.bad++;
        current.answered++;
        if (current.answered === current.total) current.finish();
      }
      conn.dueAt = -2;
    });
    idle.push(conn);
    all.push(conn);
  }

  /** Sends `rate × seconds` requests, each due at its slot whatever the answers; latency counts from when it was due. */
  async function step(rate, seconds) {
    const total = Math.round(rate * seconds);
    const s = {
      total,
      latencies: new Float64Array(total),
      done: 0,
      bad: 0,
      answered: 0,
      queue: [],
      queueHead: 0,
    };
    const finished = new Promise((resolve) => (s.finish = resolve));
    current = s;
    const t0 = performance.now();
    let sent = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(total, Math.floor(((now - t0) / 1000) * rate) + 1);
        for (; sent < due; sent++) {
          const dueAt = t0 + (sent / rate) * 1000;
          let conn = idle.shift();
          while (conn !== undefined && conn.dueAt === -2) conn = idle.shift();
          if (conn === undefined) s.queue.push(dueAt);
          else send(conn, dueAt);
        }
        // A 1 ms timer, not a busy loop: the generator must leave the server its core.
        if (sent < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS, "late")));
    const outcome = await Promise.race([finished, late]);
    clearTimeout(timer);
    const elapsed = (performance.now() - t0) / 1000;
    current = null;
    if (outcome === "late") s.bad += total - s.answered;
    const latencies = s.latencies.subarray(0, s.done).sort();
    const at = (q) =>
      latencies.length === 0
        ? Number.NaN
        : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
    return {
      rate,
      elapsed,
      achieved: s.done / elapsed,
      p50: at(0.5),
      p99: at(0.99),
      bad: s.bad,
      late: outcome === "late",
    };
  }

  return {
    step,
    /** Whether a later step can still run: a late step leaves requests in flight on its connections. */
    usable: () => all.some((conn) => conn.dueAt === -1),
    close: () => {
      for (const conn of all) conn.socket.destroy();
    },
  };
}
