import { startService } from "./processes.ts";
import { throughput } from "./throughput.ts";
import { markdown } from "./table.ts";
const service = await startService({ SANDBOX_DROP_RATE: "1" });
try {
  console.log(markdown(await throughput(service, { settlements: 300 })));
} finally { await service.stop(); }
