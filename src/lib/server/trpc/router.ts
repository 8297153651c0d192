import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { watchdogRouter } from './routers/watchdog';
import { activityRouter } from './routers/activity';
import { trendsRouter } from './routers/trends';
import { containersRouter } from './routers/containers';
import { cronRouter } from './routers/cron';
import { maintenanceRouter } from './routers/maintenance';
import { ollamaRouter } from './routers/ollama';
import { resourcesRouter } from './routers/resources';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	watchdog: watchdogRouter,
	activity: activityRouter,
	containers: containersRouter,
	cron: cronRouter,
	maintenance: maintenanceRouter,
	ollama: ollamaRouter,
	trends: trendsRouter,
	resources: resourcesRouter
});

export type AppRouter = typeof appRouter;
