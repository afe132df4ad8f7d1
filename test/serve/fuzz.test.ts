/**
 * The HTTP API under hostile input, in its own process (test/serve/churnServer.ts: the real
 * startServer over a registry that changes every 5 ms, events of ~40 KB): malformed targets,
 * bad %-escapes and raw bytes, every method, bodies, huge and many headers, foreign and
 * missing Host headers, broken HTTP, random targets, then 1,000 event streams that never read.
 * Every request gets a status line and a JSON error with an MF95xx code; the process keeps
 * serving throughout; slow readers are dropped and its RSS stays within a bound while they
 * sit there (before, 1,000 idle clients queued 257 MB in 45 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let url: URL;
let hostHeader: string;

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Lines the server prints after its URL: answers to SIGUSR2 (retained memory after a GC). */
const serverLines: string[] = [];
let lineArrived: (() => void) | undefined;

/** Memory the server holds after a full GC: heap used plus external (Buffers, write queues). */
async function retainedMiB(): Promise<number> {
  const arrived = new Promise<void>((r) => (lineArrived = r));
  child.kill('SIGUSR2');
  await arrived;
  return (JSON.parse(serverLines.shift()!) as { retainedMiB: number }).retainedMiB;
}

beforeAll(async () => {
  child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/serve/churnServer.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  url = new URL(await new Promise<string>((resolve, reject) => {
    lines.once('line', (first) => {
      lines.on('line', (l) => {
        serverLines.push(l);
        lineArrived?.();
      });
      resolve(first);
    });
    child.once('exit', (code) => reject(new Error(`the server exited ${code}`)));
  }));
  hostHeader = url.host;
}, 60_000);

afterAll(() => {
  child?.kill('SIGKILL');
});

interface Answer {
  status: number;
  body: string;
}

/** Sends raw bytes, reads until the server closes (or 10 s), and parses the status line and body. */
function raw(request: string | Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(request);
  });
}

/** The status line of the answer, then the connection is dropped (for streams). */
function firstLine(request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => resolve(''));
    socket.once('data', (c: Buffer) => {
      resolve(c.toString('latin1').split('\r\n')[0]!);
      socket.destroy();
    });
    socket.write(request);
  });
}

const get = (target: string, headers: string[] = [`Host: ${'HOST'}`]) => `GET ${target} HTTP/1.1\r\n${headers.join('\r\n').replace('HOST', hostHeader)}\r\nConnection: close\r\n\r\n`;
const errorCode = (a: Answer) => {
  try {
    const body = JSON.parse(a.body) as { error?: { code?: string } };
    return a.status === 200 ? '' : (body.error?.code ?? '(no code)');
  } catch {
    return `not JSON: ${a.body.slice(0, 80)}`;
  }
};
const stillServing = async () => {
  const a = await raw(get('/api/v1/clusters'));
  expect(a.status).toBe(200);
  expect((JSON.parse(a.body) as { clusters: unknown[] }).clusters).toHaveLength(200);
};

describe('the HTTP API under hostile input', () => {
  it('malformed targets, escapes, methods, bodies, headers and Host values: each a 4xx JSON error with its code', async () => {
    const cases: [string, string | Buffer, number, string][] = [
      ['absolute-form target with a broken authority', get('http://['), 400, 'MF9505'],
      ['a lone % in the hostname', get('/api/v1/services/%/endpoints'), 400, 'MF9505'],
      ['an overlong UTF-8 escape', get('/api/v1/services/%C0%AF/endpoints'), 400, 'MF9505'],
      ['a truncated escape', get('/api/v1/services/%E0%A4%A/endpoints'), 400, 'MF9505'],
      ['asterisk-form target', get('*'), 400, 'MF9505'],
      ['authority-form target', get('//evil.example/api/v1/clusters'), 400, 'MF9505'],
      ['raw bytes over 0x7f in the target', Buffer.concat([Buffer.from('GET /api/v1/\xff\xfe'), Buffer.from([0xff, 0xfe]), Buffer.from(` HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`)]), 400, 'MF9505'],
      ['a NUL in the target', get('/api/v1/clusters\0'), 400, 'MF9505'],
      ['an unknown route', get('/api/v2/anything'), 404, 'MF9501'],
      ['Host: evil.example (DNS rebinding)', get('/api/v1/clusters', ['Host: evil.example']), 421, 'MF9506'],
      ['Host: evil.example with our port', get('/api/v1/clusters', [`Host: evil.example:${url.port}`]), 421, 'MF9506'],
      ['no Host header (HTTP/1.0)', `GET /api/v1/clusters HTTP/1.0\r\n\r\n`, 421, 'MF9506'],
      ['POST with a body', `POST /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`, 405, 'MF9504'],
      ['DELETE', `DELETE /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`, 405, 'MF9504'],
      ['OPTIONS (no CORS here)', `OPTIONS /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n`, 405, 'MF9504'],
      ['CONNECT', `CONNECT evil.example:443 HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`, 405, 'MF9504'],
      ['an Upgrade to websocket', `GET /api/v1/events HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, 400, 'MF9505'],
      ['an invented method', `BREW /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`, 400, 'MF9505'],
      ['GET with a chunked body', `GET /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, 413, 'MF9507'],
      ['GET announcing 10 GB', `GET /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Length: 10000000000\r\n\r\n`, 413, 'MF9507'],
      ['Content-Length and Transfer-Encoding both (smuggling)', `GET /api/v1/services HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'MF9505'],
      ['a 100 KB header', get('/api/v1/clusters', [`Host: ${hostHeader}`, `X-Big: ${'a'.repeat(100_000)}`]), 431, 'MF9507'],
      // Past 100 headers the rest are not read (maxHeadersCount); the request itself is fine.
      ['500 small headers', get('/api/v1/clusters', [`Host: ${hostHeader}`, ...Array.from({ length: 500 }, (_, i) => `X-H${i}: ${i}`)]), 200, ''],
      ['HTTP/9.9', `GET /api/v1/clusters HTTP/9.9\r\nHost: ${hostHeader}\r\n\r\n`, 400, 'MF9505'],
      ['garbage', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]), 400, 'MF9505'],
      ['a header line without a colon', `GET /api/v1/clusters HTTP/1.1\r\nHost: ${hostHeader}\r\nnonsense\r\n\r\n`, 400, 'MF9505'],
    ];
    const answers = await Promise.all(cases.map(([, request]) => raw(request)));
    expect(cases.map(([name], i) => [name, answers[i]!.status, errorCode(answers[i]!)])).toEqual(cases.map(([name, , status, code]) => [name, status, code]));
    await stillServing();
  }, 60_000);

  it('500 random targets (escapes, brackets, unicode, dots): every one answered with 200 or a 4xx JSON error', async () => {
    const alphabet = ['/', '%', '%2', '%25', '%2F', '%00', '%ff', '[', ']', '?', '#', '..', '.', 'a', 'Z', '9', '-', '_', '~', ':', '@', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', 'é', '漢', '\u{1F600}', 'api', 'v1', 'services', 'endpoints', 'events', 'network=', 'cluster='];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const targets = Array.from({ length: 500 }, () => `/api/v1/${Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('')}`.replace('/api/v1/events', '/api/v1/eventz'));
    for (let i = 0; i < targets.length; i += 50) {
      const answers = await Promise.all(targets.slice(i, i + 50).map((t) => raw(Buffer.from(get(t), 'utf8'))));
      for (const [j, a] of answers.entries()) {
        const ok = a.status === 200 || (a.status >= 400 && a.status < 500 && /^MF95\d\d$/.test(errorCode(a)));
        expect(ok, `${JSON.stringify(targets[i + j])} → ${a.status} ${a.body.slice(0, 120)}`).toBe(true);
      }
    }
    await stillServing();
  }, 120_000);

  it('1,000 event streams that never read: each a stream or 503 JSON (100 open at most), the idle ones dropped, the API serving, memory held flat', async () => {
    const before = rssMiB();
    const retainedBefore = await retainedMiB();
    const streams: { socket: Socket; first: string }[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 100 }, () =>
          new Promise<{ socket: Socket; first: string }>((resolve) => {
            const socket = connect(Number(url.port), url.hostname);
            const s = { socket, first: '' };
            socket.on('error', () => undefined);
            // Read only the first chunk (status line, headers), then never again.
            socket.once('data', (c: Buffer) => {
              s.first = c.toString('latin1');
              socket.pause();
              resolve(s);
            });
            socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`);
          }),
        ),
      );
      streams.push(...opened);
    }
    const status = (s: { first: string }) => Number(/^HTTP\/1\.1 (\d{3})/.exec(s.first)?.[1] ?? 0);
    const refused = streams.filter((s) => status(s) === 503);
    // Each answered: a stream, or 503 once 100 are open. Streams that do not read are dropped
    // within moments here (each event is ~40 KB), which frees room for later ones.
    expect(streams.filter((s) => status(s) !== 200 && status(s) !== 503).map((s) => s.first.slice(0, 80))).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((s) => s.first.includes('"MF9509"'))).toBe(true);

    // Ten seconds of churn with the idle streams in place; the API must keep answering.
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      peak = Math.max(peak, rssMiB());
      if (peak > before + 400) break; // a regression: stop before it eats the machine
      if (i % 4 === 0) await stillServing();
    }
    // What the server holds with the idle streams in place (after a GC): flat. Before the
    // fix, queued events grew it by ~57 MiB per ten seconds and it never came back.
    const retainedAfter = await retainedMiB();
    expect(retainedAfter - retainedBefore, `retained ${retainedBefore.toFixed(0)} → ${retainedAfter.toFixed(0)} MiB`).toBeLessThan(30);
    // RSS also moves with when the collector last ran (on a loaded machine, by 150 MiB and
    // more): bounded loosely, a runaway (the loop above stops at +400) still fails here.
    expect(peak - before, `RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB`).toBeLessThan(250);
    // The streams that never read were dropped by the server: a new one is welcome again.
    expect(await firstLine(`GET /api/v1/events HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`)).toBe('HTTP/1.1 200 OK');
    for (const s of streams) s.socket.destroy();
    await stillServing();
  }, 120_000);
});
