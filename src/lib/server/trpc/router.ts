import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { cronRouter } from './routers/cron';
import { maintenanceRouter } from './routers/maintenance';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	cron: cronRouter,
	maintenance: maintenanceRouter
});

export type AppRouter = typeof appRouter;
