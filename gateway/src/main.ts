import { Shutdown, runMain } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/logger.js';
import { readGatewayConfig, type GatewayConfig } from './config.js';
import { startGateway } from './server.js';

let config: GatewayConfig;
try {
  config = readGatewayConfig();
} catch (error) {
  console.error(`gateway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const log = createLogger('gateway', config.logLevel);

runMain(log, async () => {
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  const gateway = await startGateway(config, log);
  shutdown.add('http', () => gateway.close());
  log.info({ url: gateway.url, playground: config.playground }, 'gateway ready');
});
