import { readConfigOrExit } from '../../lib/config.js';
import { Shutdown, runMain } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/logger.js';
import { startTelemetry } from '../../lib/telemetry.js';
import { readGatewayConfig } from './config.js';
import { startGateway } from './server.js';

const config = readConfigOrExit('gateway', readGatewayConfig);
const log = createLogger('gateway', config.logLevel);

runMain(log, async () => {
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  // First in, so last out: spans of the shutdown itself are still sent.
  const telemetry = await startTelemetry('gateway');
  shutdown.add('telemetry', () => telemetry.shutdown());
  const gateway = await startGateway(config, log);
  shutdown.add('http', () => gateway.close());
  log.info({ url: gateway.url, playground: config.playground }, 'gateway ready');
});
