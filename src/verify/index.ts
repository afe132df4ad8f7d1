export { SAMPLE_NAMESPACE, VERIFY_LABEL, verificationLayout, proxylessMtlsPolicies, deployVerification, parsePlacement, type VerificationCluster, type DeployedWorkloads, type HelloworldVersion, type LayoutOptions } from './workloads.js';
export { judge, defaultRequests, type Answer, type SourceTally, type ClusterFacts, type SourceVerdict, type Verdict, type NetworkVerdict } from './judge.js';
export { curlLoop, echoClientArgs, loggedEchoClientArgs, parseCurlOutput, parseEchoOutput, parseGrpcLog, echoAnswers, errorText, TLS_ERROR, HELLOWORLD_PORT } from './answers.js';
export { runVerify, removeLayout, type VerifyOptions, type VerifyReport, type MtlsObservation, type PlaintextResult } from './run.js';
