import { isEvent, type EventJob } from '../../../../lib/events.js';
import type { BakerAssignment } from '../application/baker-assignment.js';

/** What the order context tells the delivery context: confirmed orders get a baker, ended ones are taken back. */
export function deliveryEventsHandler(assignment: BakerAssignment) {
  return async (job: EventJob): Promise<void> => {
    if (isEvent(job, 'OrderStatusChanged')) await assignment.onOrderStatusChanged(job.payload);
  };
}
