/**
 * The bound for a test or hook of the integration and e2e projects (Jest reads `testTimeout` only
 * from the global config, so each project that needs another sets it here). It catches a test
 * that hangs; it is no speed goal: node's runner had no bound at all, and these tests wait on
 * real processes (a stack starts six) on a shared machine. Each wait inside a test has its own,
 * shorter bound that names what did not happen.
 */
import { jest } from '@jest/globals';

jest.setTimeout(300_000);
