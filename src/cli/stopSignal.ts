/** Resolves on the first SIGINT or SIGTERM: a long-running command (serve, dns) then closes what it opened. */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
}
