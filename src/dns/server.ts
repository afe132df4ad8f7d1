import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { answerQuery, FLAG, RCODE } from './answer.js';
import type { Zone } from './zone.js';

export interface DnsServerOptions {
  /** The zone to answer from, asked for at every query (the caller rebuilds it when the registry changes). */
  zone: () => Zone;
  /** Default 127.0.0.1: loopback unless the operator says otherwise. */
  host?: string;
  /** Default 5353; 0 picks a free port (UDP's, and TCP on the same number). */
  port?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  /** Queries answered, by transport. */
  answered(): { udp: number; tcp: number };
  close(): Promise<void>;
}

/** A response that fits a UDP datagram of `limit` bytes, else the same header truncated (TC): the client asks again over TCP. */
function udpResponse(query: dnsPacket.DecodedPacket, zone: Zone): Buffer {
  const response = answerQuery(query, zone);
  const full = dnsPacket.encode(response);
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  const limit = Math.min(Math.max(opt?.udpPayloadSize ?? 512, 512), 4096);
  if (full.length <= limit) return full;
  return dnsPacket.encode({ type: 'response', id: response.id ?? 0, flags: (response.flags ?? 0) | FLAG.truncated, questions: response.questions ?? [] });
}

function decode(msg: Buffer): dnsPacket.DecodedPacket | undefined {
  try {
    return dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
}

/** A FORMERR for a message that is not a DNS query, when its id can be read at all. */
const formErr = (msg: Buffer): Buffer | undefined => (msg.length >= 2 ? dnsPacket.encode({ type: 'response', id: msg.readUInt16BE(0), flags: RCODE.formErr }) : undefined);

/** UDP and TCP bound to one port number; TCP's listen error is thrown after UDP is closed again. */
async function bindBoth(host: string, wanted: number, onUdp: (udp: Socket) => void, tcp: Server): Promise<{ udp: Socket; port: number }> {
  const udp: Socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  onUdp(udp);
  udp.bind(wanted, host);
  await once(udp, 'listening');
  const port = udp.address().port;
  tcp.listen(port, host);
  try {
    await once(tcp, 'listening');
  } catch (e) {
    await new Promise<void>((r) => udp.close(() => r()));
    throw e;
  }
  return { udp, port };
}

/** Port 0: the number the kernel gave UDP may be taken for TCP; another pick is tried this many times. */
const FREE_PORT_TRIES = 10;

/** meshfed's DNS server for clusterset.local, over UDP and TCP (RFC 1035 4.2). */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const answered = { udp: 0, tcp: 0 };
  const onUdp = (udp: Socket) =>
    udp.on('message', (msg, rinfo) => {
      const q = decode(msg);
      const out = q ? udpResponse(q, opts.zone()) : formErr(msg);
      if (!out) return;
      answered.udp++;
      udp.send(out, rinfo.port, rinfo.address);
    });

  const sockets = new Set<TcpSocket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(10_000, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        const q = decode(msg);
        const out = q ? dnsPacket.encode(answerQuery(q, opts.zone())) : formErr(msg);
        if (!out) continue;
        answered.tcp++;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        socket.write(Buffer.concat([len, out]));
      }
      if (buffered.length > 65_537) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
  });
  const wanted = opts.port ?? 5353;
  let bound: { udp: Socket; port: number } | undefined;
  for (let attempt = 1; !bound; attempt++) {
    try {
      bound = await bindBoth(host, wanted, onUdp, tcp);
    } catch (e) {
      if (wanted !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= FREE_PORT_TRIES) throw e;
    }
  }
  const { udp, port } = bound;
  return {
    host,
    port,
    answered: () => ({ ...answered }),
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
