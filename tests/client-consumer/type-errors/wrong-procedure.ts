import { createVmwardenClient } from 'vmwarden/client';

const vmw = createVmwardenClient({ url: 'http://127.0.0.1:4004' });
// no such procedure: must fail tsc (TS2551, "did you mean snapshot")
await vmw.health.snapshots.query();
