// Jest loads global hooks with require(), which cannot load this ES-module project's TypeScript
// (import.meta, `.js` specifiers); tsx can. The work is in infrastructure.ts.
import { tsImport } from 'tsx/esm/api';

const { setup } = await tsImport('./infrastructure.ts', import.meta.url);
export default setup;
