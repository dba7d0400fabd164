import { startService, startSandboxAlone } from "./processes.ts";
import { overhead } from "./overhead.ts";
import { markdown } from "./table.ts";
const service = await startService();
const linq = await startSandboxAlone();
try {
  console.log(markdown(await overhead(service, linq, { rounds: 100, warmup: 20, concurrentCalls: 400 })));
} finally { await service.stop(); await linq.stop(); }
