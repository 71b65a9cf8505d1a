// Ctrl-C and SIGTERM: the first one starts an orderly stop; later ones are reported
// and ignored, so that clean-up (stopping the local cluster and server) always finishes.
export function onShutdownSignal(stop: () => void): void {
  let received = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`${signal} received again: still stopping, please wait\n`);
      return;
    }
    received = true;
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
