import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, test } from '@jest/globals';

/**
 * A process whose stdout is gone (the launcher that read it was killed, or its terminal closed)
 * must still exit when it means to. pino flushes its last lines synchronously on exit, and
 * sonic-boom 4 retried a write that failed with EPIPE for ever: the process spun at full CPU and
 * never exited (patches/sonic-boom+4.2.1.patch).
 */
describe('the logger when stdout is gone', () => {
  test('a process that logs and exits after its reader went away exits', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createLogger } from './lib/logger.ts';
         const log = createLogger('child', 'info');
         process.stdin.once('data', () => { log.info('shutting down'); log.info('stopped'); process.exit(0); });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LOG_FORMAT: 'json' } },
    );
    // Close our end of its stdout, then let it log and exit: the first line is being written
    // when it exits, the second waits in pino's buffer for the synchronous flush on exit.
    child.stdout.destroy();
    child.stdin.write('go\n');
    try {
      const [code, signal] = await once(child, 'exit');
      expect({ code, signal }).toMatchObject({ signal: null });
    } finally {
      child.kill('SIGKILL');
    }
    // Bounds the wait for a process that never exits (the failure), not the time one takes to.
  }, 60_000);
});
