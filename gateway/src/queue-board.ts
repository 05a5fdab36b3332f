/**
 * The queue board for staff: Bull Board at QUEUE_BOARD_PATH (/admin/queues) on the gateway, to see
 * every queue's jobs and retry or remove failed ones. Only a verified STAFF token opens it.
 *
 * A browser cannot send an Authorization header when it opens a page, so the board also takes the
 * token once as `?token=`: it is checked, moved into an HttpOnly, SameSite=Strict cookie limited
 * to the board's path, and the address is reloaded without it (so it stays out of the history and
 * of the logs of whatever comes after). Every request, the board's API calls included, is checked
 * again, so an expired token or one without STAFF is refused. Scripts send the usual
 * `Authorization: Bearer` header.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import { hasRole, type TokenVerifier } from '../../lib/auth.js';
import { ErrorCode, isAppError } from '../../lib/errors.js';
import { Queues } from '../../lib/events.js';

export const QUEUE_BOARD_PATH = '/admin/queues';
const COOKIE = 'bakery_queue_board';

export interface QueueBoard {
  router: Router;
  close(): Promise<void>;
}

export function queueBoard(options: { connection: Redis; prefix: string; verifier: TokenVerifier }): QueueBoard {
  const queues = Object.values(Queues).map((name) => new Queue(name, { connection: options.connection, prefix: options.prefix }));
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Bakery queues' } },
  });
  const router = Router();
  router.use(QUEUE_BOARD_PATH, staffOnly(options.verifier), serverAdapter.getRouter() as Router);
  return {
    router,
    close: async () => {
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}

function staffOnly(verifier: TokenVerifier) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const fromQuery = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
    const token = bearer(req.header('authorization')) ?? fromQuery ?? cookie(req.header('cookie'), COOKIE);
    try {
      const viewer = token ? await verifier.viewerFromAuthorization(`Bearer ${token}`) : null;
      if (!viewer) return refuse(res, 401, ErrorCode.Unauthenticated, 'the queue board needs a STAFF token: open it with ?token=<token>');
      if (!hasRole(viewer, 'STAFF')) return refuse(res, 403, ErrorCode.Forbidden, 'the queue board needs the STAFF role');
    } catch (error) {
      if (isAppError(error)) return refuse(res, 401, error.code, error.message);
      throw error;
    }
    if (fromQuery) {
      const secure = req.secure || req.header('x-forwarded-proto') === 'https' ? '; Secure' : '';
      res.setHeader('Set-Cookie', `${COOKIE}=${fromQuery}; Path=${QUEUE_BOARD_PATH}; HttpOnly; SameSite=Strict${secure}`);
      const url = new URL(req.originalUrl, 'http://board');
      url.searchParams.delete('token');
      res.redirect(303, url.pathname + url.search);
      return;
    }
    next();
  };
}

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '')?.[1];
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
