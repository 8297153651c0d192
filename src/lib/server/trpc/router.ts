import { router } from './init';
import { authRouter } from './routers/auth';
import { healthRouter } from './routers/health';
import { trendsRouter } from './routers/trends';
import { containersRouter } from './routers/containers';

export const appRouter = router({
	auth: authRouter,
	health: healthRouter,
	trends: trendsRouter,
	containers: containersRouter
});

export type AppRouter = typeof appRouter;
