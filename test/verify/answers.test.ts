import { describe, expect, it } from 'vitest';
import { loggedEchoClientArgs, parseEchoOutput, parseGrpcLog } from '../../src/verify/index.js';

// grpc-go 1.82's log as Istio's echo client printed it (GRPC_GO_LOG_SEVERITY_LEVEL=info), the
// addresses changed to a pod's and a gateway's; entries may span lines (JSON resolver states).
const LOG = `2026/12/02 04:10:58 INFO: [core] [Channel #1] Resolver state updated: {
  "Addresses": [
    {
      "Addr": "10.20.0.7:5000",
      "ServerName": "",
      "Attributes": null
    },
    {
      "Addr": "192.0.2.130:15443",
      "ServerName": ""
    }
  ]
}
2026/12/02 04:10:58 INFO: [core] [Channel #1 SubChannel #2] Subchannel picks a new address "10.20.0.7:5000" to connect
2026/12/02 04:10:58 WARNING: [core] [Channel #1 SubChannel #2] grpc: addrConn.createTransport failed to connect to {Addr: "10.20.0.7:5000", ServerName: "10.20.0.7:5000", }. Err: connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"
2026/12/02 04:10:58 INFO: [core] [Channel #1] Channel Connectivity change to SHUTDOWN
`;

describe("the lab client's gRPC log", () => {
  it('names the addresses the client was given and the connections that failed, with why', () => {
    expect(parseGrpcLog(LOG)).toEqual({
      given: ['10.20.0.7:5000', '192.0.2.130:15443'],
      connectionErrors: [{ address: '10.20.0.7:5000', error: 'transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority' }],
    });
    expect(parseGrpcLog('no log at all')).toEqual({ given: [], connectionErrors: [] });
  });

  it("a failed batch's reason is the echo client's own error, not a log line around it", () => {
    const stdout = '2026-12-02T04:10:58.303479Z\tfatal\tError 1/1 requests had errors; first error: rpc error: code = Unavailable desc = connection error\n';
    const p = parseEchoOutput(stdout, LOG, 1, 2);
    expect(p.answers).toEqual([]);
    expect(p.errors).toEqual(['1/1 requests had errors; first error: rpc error: code = Unavailable desc = connection error', '1/1 requests had errors; first error: rpc error: code = Unavailable desc = connection error']);
    expect(p.connectionErrors).toHaveLength(1);
  });

  it('runs the echo client under env with the log switched on', () => {
    expect(loggedEchoClientArgs('sample', 10).slice(0, 4)).toEqual(['env', 'GRPC_GO_LOG_SEVERITY_LEVEL=info', 'GRPC_GO_LOG_VERBOSITY_LEVEL=2', 'echo-client']);
  });
});
