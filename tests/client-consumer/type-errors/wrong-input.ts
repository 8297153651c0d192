import { createVmwardenClient } from 'vmwarden/client';

const vmw = createVmwardenClient({ url: 'http://127.0.0.1:4004' });
// range is '1h' | '6h' | '24h' | '7d', not a number: must fail tsc (TS2322)
await vmw.health.history.query({ range: 3600 });
