import type { ServiceName } from '../../scripts/services.js';
import type { Stack } from './stack.js';

/** A subgraph's store commands so far, read from its /metrics, as `"<command> <collection>" -> count`. */
export async function storeCommands(stack: Stack, service: ServiceName): Promise<Map<string, number>> {
  const text = await (await fetch(stack.services.url(service, '/metrics'))).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('store_commands_total{')) continue;
    const command = /command="([^"]*)"/.exec(line)?.[1] ?? '';
    const collection = /collection="([^"]*)"/.exec(line)?.[1] ?? '';
    counts.set(`${command} ${collection}`, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}
