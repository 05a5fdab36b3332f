// See global-setup.mjs.
import { tsImport } from 'tsx/esm/api';

const { teardown } = await tsImport('./infrastructure.ts', import.meta.url);
export default teardown;
