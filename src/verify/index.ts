export { SAMPLE_NAMESPACE, verificationLayout, deployVerification, type VerificationCluster, type DeployedWorkloads, type HelloworldVersion } from './workloads.js';
