// Worker threads start plain JavaScript: register tsx, then load the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
