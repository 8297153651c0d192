import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { watchdogRouter } from './routers/watchdog';
import { activityRouter } from './routers/activity';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	watchdog: watchdogRouter,
	activity: activityRouter
});

export type AppRouter = typeof appRouter;
