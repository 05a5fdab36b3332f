import type { Logger } from '../../../../lib/logger.js';

/** A message on its way to a customer. */
export interface OutgoingNotification {
  id: string;
  customerId: string;
  orderId: string;
  kind: string;
  message: string;
}

/**
 * Where notifications go: the port. `log` writes them to the log (the default); `webhook` posts
 * JSON to a URL, standing in for KakaoTalk or SMS. A send that throws is retried by the queue.
 */
export interface NotificationChannel {
  readonly name: 'log' | 'webhook';
  /** Whether a send can be refused, and so is only done once the receiver says so. */
  readonly confirmsReceipt: boolean;
  send(notification: OutgoingNotification): Promise<void>;
}

export class LogChannel implements NotificationChannel {
  readonly name = 'log';
  readonly confirmsReceipt = false;
  constructor(private readonly log: Logger) {}

  async send(notification: OutgoingNotification): Promise<void> {
    this.log.info({ notification }, 'notification sent');
  }
}

export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';
  readonly confirmsReceipt = true;
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async send(notification: OutgoingNotification): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': notification.id },
      body: JSON.stringify(notification),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }
}
